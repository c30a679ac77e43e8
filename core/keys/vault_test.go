package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKeychainRoundTrip(t *testing.T) {
	requireKeychain(t)
	dir := t.TempDir()
	v := openTest(t, dir)
	s1, s2 := meshyKey(), meshyKey()

	k, err := v.Add(providerMeshy, "  Client A  ", NewSecret(s1), AddOptions{Note: "for client A"})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if k.Name != "Client A" || k.Source != SourceKeychain || k.Provider != providerMeshy || k.Warning != "" || k.TestMode {
		t.Fatalf("added key = %+v", k)
	}
	if want := "msy_…" + s1[len(s1)-4:]; k.Fingerprint != want {
		t.Fatalf("fingerprint %q, want %q", k.Fingerprint, want)
	}
	if got, ok := keychainValue(t, k.ID); !ok || got != s1 {
		t.Fatalf("keychain item %s: present=%v, right value=%v", k.ID, ok, got == s1)
	}

	// A second process (a new Vault on the same folder) sees it.
	v2 := openTest(t, dir)
	if got, ok := v2.Find(providerMeshy, "client a"); !ok || got.ID != k.ID || got.Note != "for client A" {
		t.Fatalf("Find after reopen = %+v, %v", got, ok)
	}
	if l := v2.List(); len(l) != 1 {
		t.Fatalf("List after reopen has %d keys", len(l))
	}

	// Rename: metadata only, the keychain item keeps its account (the ID).
	if _, err := v.Rename(k.ID, "Client B"); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if _, ok := openTest(t, dir).Find(providerMeshy, "Client B"); !ok {
		t.Fatal("renamed key not found after reopen")
	}
	if _, ok := v2.Find(providerMeshy, "Client A"); ok {
		t.Fatal("the other vault still finds the old name (it must pick up the change)")
	}
	if got, _ := keychainValue(t, k.ID); got != s1 {
		t.Fatal("rename changed the keychain item")
	}

	// Rotate.
	before := time.Now().Add(-time.Second)
	rk, err := v.Replace(k.ID, NewSecret(s2))
	if err != nil {
		t.Fatalf("Replace: %v", err)
	}
	if rk.Rotated.Before(before) || rk.Fingerprint != NewSecret(s2).Fingerprint() {
		t.Fatalf("after Replace: %+v", rk)
	}
	if got, _ := keychainValue(t, k.ID); got != s2 {
		t.Fatal("keychain does not hold the new secret after Replace")
	}
	if got, ok := openTest(t, dir).Get(k.ID); !ok || got.Rotated.IsZero() {
		t.Fatalf("rotation time not saved: %+v", got)
	}

	// Use: the secret, and the last-used time recorded in the file.
	sec, err := v2.Secret(k.ID)
	if err != nil || sec.Reveal() != s2 {
		t.Fatalf("Secret: %v (right value: %v)", err, sec.Reveal() == s2)
	}
	if got, _ := openTest(t, dir).Get(k.ID); got.LastUsed.Before(before) {
		t.Fatalf("last use not saved: %+v", got)
	}

	// Rotate-by and note.
	due := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	if _, err := v.SetRotateBy(k.ID, due); err != nil {
		t.Fatal(err)
	}
	if _, err := v.SetNote(k.ID, "  rotated  "); err != nil {
		t.Fatal(err)
	}
	if got, _ := openTest(t, dir).Get(k.ID); !got.RotateBy.Equal(due) || got.Note != "rotated" || got.RotationDue(due.Add(-time.Hour)) || !got.RotationDue(due) {
		t.Fatalf("rotate-by/note: %+v", got)
	}

	// Delete: keychain item and metadata together.
	if err := v.Delete(k.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, ok := keychainValue(t, k.ID); ok {
		t.Fatal("keychain item still there after Delete")
	}
	if l := openTest(t, dir).List(); len(l) != 0 {
		t.Fatalf("keys left after Delete: %+v", l)
	}
	if _, err := v.Secret(k.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Secret of a deleted key: %v", err)
	}
	if err := v.Delete(k.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	assertNoSecretInFiles(t, dir, s1, s2)
}

// A key whose keychain item vanished (deleted with secret-tool, say) is
// reported by name, can be replaced, and can be deleted.
func TestSecretMissingFromKeychain(t *testing.T) {
	requireKeychain(t)
	v := openTest(t, t.TempDir())
	k, err := v.Add(providerTripo, "gone", NewSecret(randomKey("tsk_", 40)), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.kc.delete(k.ID); err != nil {
		t.Fatal(err)
	}
	_, err = v.Secret(k.ID)
	if !errors.Is(err, ErrSecretMissing) || !strings.Contains(err.Error(), `"gone"`) {
		t.Fatalf("Secret of a key without an item: %v", err)
	}
	s := randomKey("tsk_", 40)
	if _, err := v.Replace(k.ID, NewSecret(s)); err != nil {
		t.Fatalf("Replace restores a missing item: %v", err)
	}
	if got, _ := keychainValue(t, k.ID); got != s {
		t.Fatal("Replace did not store the secret")
	}
	if err := v.kc.delete(k.ID); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(k.ID); err != nil {
		t.Fatalf("Delete of a key whose item is gone: %v", err)
	}
	if len(v.List()) != 0 {
		t.Fatal("metadata kept")
	}
}

func TestSecretNeverLeaks(t *testing.T) {
	requireKeychain(t)
	dir := t.TempDir()
	var logBuf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logBuf, nil))
	s1, s2, s3 := meshyKey(), randomKey("tsk_", 32), randomKey("", 30)
	v, err := OpenWith(dir, Options{Getenv: func(n string) string {
		if n == "GENX3D_API_KEY" {
			return "sk-" + s3
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	k1, err := v.Add(providerMeshy, "one", NewSecret(s1), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k2, err := v.Add(providerTripo, "two", NewSecret(s2), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Replace(k1.ID, NewSecret(s2)); err != nil { // rotate one to the other's secret
		t.Fatal(err)
	}
	sec, err := v.Secret(k2.ID)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("used", "secret", sec, "key", k2, "keys", v.List())
	text := fmt.Sprintf("%v %s %+v %#v %q %x", sec, sec, sec, sec, sec, sec)
	j, _ := json.Marshal(map[string]any{"s": sec, "keys": v.List()})

	// Every error path that sees a secret.
	var errs []error
	_, err = v.Add(providerMeshy, "one", NewSecret(s1), AddOptions{}) // name taken
	errs = append(errs, err)
	_, err = v.Add(providerMeshy, "ctl", NewSecret(s1+"\n"+s1), AddOptions{})
	errs = append(errs, err)
	_, err = v.Replace(k1.ID, NewSecret("\x1b"+s1))
	errs = append(errs, err)
	_, err = v.Add("nope", "x", NewSecret(s1), AddOptions{})
	errs = append(errs, err)
	env, _ := v.Lookup(providerGenX3D, "GENX3D_API_KEY")
	errs = append(errs, v.Delete(env.ID))
	for i, e := range errs {
		if e == nil {
			t.Fatalf("error case %d did not fail", i)
		}
		text += "\n" + e.Error()
	}
	if err := v.Delete(k1.ID); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{s1, s2, s3} {
		assertNoSecretIn(t, "formatted output", text, s)
		assertNoSecretIn(t, "JSON", string(j), s)
		assertNoSecretIn(t, "log", logBuf.String(), s)
		assertNoSecretIn(t, "warnings", strings.Join(v.Warnings(), "\n"), s)
	}
	assertNoSecretInFiles(t, dir, s1, s2, s3)
}

func TestNameRules(t *testing.T) {
	requireKeychain(t)
	v := openTest(t, t.TempDir())
	s := NewSecret(meshyKey())
	for _, bad := range []string{"", "   ", "\t", strings.Repeat("é", 65), "a\nb", "tab\there", "esc\x1b"} {
		if _, err := v.Add(providerMeshy, bad, s, AddOptions{}); !errors.Is(err, ErrInvalidName) {
			t.Errorf("name %q: err = %v, want ErrInvalidName", bad, err)
		}
	}
	long := strings.Repeat("é", 64)
	k, err := v.Add(providerMeshy, " "+long+" ", s, AddOptions{})
	if err != nil || k.Name != long {
		t.Fatalf("64-character name: %v", err)
	}
	if _, err := v.Add(providerMeshy, "Studio", s, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Add(providerMeshy, " studio ", NewSecret(meshyKey()), AddOptions{}); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("same name again (other case): %v", err)
	}
	if _, err := v.Add(providerMeshy, "studio", NewSecret(meshyKey()), AddOptions{SessionOnly: true}); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("same name as a session key: %v", err)
	}
	other, err := v.Add(providerTripo, "Studio", NewSecret(randomKey("tsk_", 30)), AddOptions{})
	if err != nil {
		t.Fatalf("same name, other provider: %v", err)
	}
	if _, err := v.Rename(k.ID, "STUDIO"); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("rename onto a taken name: %v", err)
	}
	if _, err := v.Rename(other.ID, "studio"); err != nil {
		t.Fatalf("rename changing only case: %v", err)
	}
	if got, err := v.Lookup("", "studio"); err != nil || got.ID != other.ID {
		t.Fatalf("exact-case Lookup: %v", err)
	}
	if _, err := v.Lookup("", "STUDIO"); !errors.Is(err, ErrAmbiguous) {
		t.Fatalf("Lookup across providers: %v", err)
	}
	if got, err := v.Lookup(providerTripo, "Studio"); err != nil || got.ID != other.ID {
		t.Fatalf("Lookup with provider: %v", err)
	}
	if _, err := v.Add("sandbox", "x", s, AddOptions{}); !errors.Is(err, ErrUnknownProvider) {
		t.Fatalf("sandbox key: %v", err)
	}
	for _, k := range v.List() {
		if err := v.Delete(k.ID); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSecretValidation(t *testing.T) {
	refused := []string{"", " ", "   \t ", "\n", "msy_abc\ndef", "msy_abc\r", "msy_\x1b[31mred", "msy_\x00", "msy_\u0085x", string([]byte{'m', 0xff, 'x'})}
	for _, s := range refused {
		_, _, _, err := CheckSecret(providerMeshy, NewSecret(s))
		if !errors.Is(err, ErrInvalidSecret) {
			t.Errorf("%q accepted", s)
			continue
		}
		if len(strings.TrimSpace(s)) > 3 && strings.Contains(err.Error(), strings.TrimSpace(s)) {
			t.Errorf("message quotes the secret: %v", err)
		}
	}
	tests := []struct {
		provider, secret string
		warn, testMode   bool
	}{
		{providerMeshy, "msy_" + strings.Repeat("a", 36), false, false},
		{providerMeshy, "msy-" + strings.Repeat("a", 36), false, false},
		{providerMeshy, "tsk_" + strings.Repeat("a", 36), true, false},
		{providerMeshy, MeshyTestModeKey, false, true},
		{providerTripo, MeshyTestModeKey, true, false},
		{providerTripo, "tsk_abcdef0123456789", false, false},
		{providerTripo, "tcli_abcdef0123456789", true, false},
		{providerGenX3D, "sk-abcdef0123456789", false, false},
		{providerGenX3D, "pk-abcdef0123456789", true, false},
		{providerRodin, "anything-goes-0123456789", false, false},
	}
	for _, tc := range tests {
		clean, warn, testMode, err := CheckSecret(tc.provider, NewSecret("  "+tc.secret+" "))
		if err != nil || clean.Reveal() != tc.secret || (warn != "") != tc.warn || testMode != tc.testMode {
			t.Errorf("%s %s: clean ok=%v warn=%q testMode=%v err=%v", tc.provider, Fingerprint(tc.secret), clean.Reveal() == tc.secret, warn, testMode, err)
		}
		if strings.Contains(warn, tc.secret) {
			t.Errorf("warning quotes the secret: %s", warn)
		}
	}
}

// Format mismatches are accepted with a warning, the test-mode key is labelled.
func TestAddWarnsAndLabels(t *testing.T) {
	requireKeychain(t)
	dir := t.TempDir()
	v := openTest(t, dir)
	odd, err := v.Add(providerMeshy, "odd", NewSecret("key_"+strings.Repeat("z", 30)), AddOptions{})
	if err != nil || !strings.Contains(odd.Warning, "msy_") {
		t.Fatalf("odd format: %v, warning %q", err, odd.Warning)
	}
	tm, err := v.Add(providerMeshy, "test mode", NewSecret(MeshyTestModeKey), AddOptions{})
	if err != nil || !tm.TestMode || tm.Warning != "" {
		t.Fatalf("test-mode key: %v %+v", err, tm)
	}
	re := openTest(t, dir)
	if k, _ := re.Get(odd.ID); k.Warning == "" {
		t.Fatal("warning not kept")
	}
	if k, _ := re.Get(tm.ID); !k.TestMode {
		t.Fatal("test mode not kept")
	}
	if _, err := v.Replace(tm.ID, NewSecret(meshyKey())); err != nil {
		t.Fatal(err)
	}
	if k, _ := v.Get(tm.ID); k.TestMode {
		t.Fatal("test mode kept after replacing with a real key")
	}
	for _, k := range v.List() {
		v.Delete(k.ID)
	}
}

func TestEnvironmentKeys(t *testing.T) {
	dir := t.TempDir()
	envs := map[string]string{
		"MESHY_API_KEY":   " " + MeshyTestModeKey + " ",
		"TRIPO_API_KEY":   "tsk_" + strings.Repeat("t", 30),
		"HYPER3D_API_KEY": "hyper-secret-value-1234",
		"GENX3D_API_KEY":  "sk-bad\nvalue",
		"OPENAI_API_KEY":  "sk-not-ours-1234567890",
	}
	v, err := OpenWith(dir, Options{Getenv: func(n string) string { return envs[n] }})
	if err != nil {
		t.Fatal(err)
	}
	l := v.List()
	if len(l) != 3 {
		t.Fatalf("want 3 environment keys (meshy, tripo, rodin from HYPER3D_API_KEY), got %+v", l)
	}
	for _, k := range l {
		if k.Source != SourceEnvironment || !k.ReadOnly() || k.Env == "" || k.Name != k.Env {
			t.Errorf("env key %+v", k)
		}
	}
	m, ok := v.Find(providerMeshy, "MESHY_API_KEY")
	if !ok || !m.TestMode {
		t.Fatalf("meshy env key: %+v", m)
	}
	r, ok := v.Find(providerRodin, "HYPER3D_API_KEY")
	if !ok {
		t.Fatal("HYPER3D_API_KEY not used for Rodin")
	}
	if s, err := v.Secret(r.ID); err != nil || s.Reveal() != envs["HYPER3D_API_KEY"] {
		t.Fatalf("Secret of env key: %v", err)
	}
	if k, _ := v.Get(r.ID); k.LastUsed.IsZero() {
		t.Fatal("use of an environment key not recorded")
	}
	if w := strings.Join(v.Warnings(), "\n"); !strings.Contains(w, "GENX3D_API_KEY") || strings.Contains(w, "sk-bad") {
		t.Fatalf("warnings: %q", w)
	}
	if _, err := v.Rename(m.ID, "x"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Rename env key: %v", err)
	}
	if _, err := v.Replace(m.ID, NewSecret(meshyKey())); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Replace env key: %v", err)
	}
	if err := v.Delete(m.ID); !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "MESHY_API_KEY") {
		t.Fatalf("Delete env key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, MetadataFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("environment keys were written to a file: %v", err)
	}

	envs["RODIN_API_KEY"] = "rodin-secret-value-5678"
	v2, _ := OpenWith(t.TempDir(), Options{Getenv: func(n string) string { return envs[n] }})
	rs := v2.ForProvider(providerRodin)
	if len(rs) != 1 || rs[0].Env != "RODIN_API_KEY" {
		t.Fatalf("RODIN_API_KEY must win over HYPER3D_API_KEY: %+v", rs)
	}
}

func TestSessionOnlyKeys(t *testing.T) {
	// Needs no keychain at all: that is the point.
	dir := t.TempDir()
	v := openTest(t, dir)
	s := meshyKey()
	k, err := v.Add(providerMeshy, "temp", NewSecret(s), AddOptions{SessionOnly: true})
	if err != nil || k.Source != SourceSession {
		t.Fatalf("Add session-only: %v %+v", err, k)
	}
	if got, err := v.Secret(k.ID); err != nil || got.Reveal() != s {
		t.Fatalf("Secret: %v", err)
	}
	if k2, err := v.Rename(k.ID, "temp 2"); err != nil || k2.Name != "temp 2" {
		t.Fatalf("Rename: %v", err)
	}
	s2 := meshyKey()
	if k2, err := v.Replace(k.ID, NewSecret(s2)); err != nil || k2.Rotated.IsZero() {
		t.Fatalf("Replace: %v", err)
	}
	if got, _ := v.Secret(k.ID); got.Reveal() != s2 {
		t.Fatal("Replace did not take")
	}
	if len(openTest(t, dir).List()) != 0 {
		t.Fatal("a session-only key outlived its vault")
	}
	if _, err := os.Stat(filepath.Join(dir, MetadataFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a session-only key was written to a file: %v", err)
	}
	if err := v.Delete(k.ID); err != nil || len(v.List()) != 0 {
		t.Fatalf("Delete: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	requireKeychain(t)
	dir := t.TempDir()
	// Two vaults on one folder stand for two processes (window and CLI).
	vaults := []*Vault{openTest(t, dir), openTest(t, dir)}
	const workers, each = 6, 3
	var wg sync.WaitGroup
	secrets := sync.Map{}
	errc := make(chan error, workers*each*4)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			v := vaults[w%2]
			for i := 0; i < each; i++ {
				s := meshyKey()
				k, err := v.Add(providerMeshy, fmt.Sprintf("w%d-%d", w, i), NewSecret(s), AddOptions{})
				if err != nil {
					errc <- err
					return
				}
				secrets.Store(k.ID, s)
				if got, err := v.Secret(k.ID); err != nil || got.Reveal() != s {
					errc <- fmt.Errorf("Secret(%s): %v", k.ID, err)
				}
				if _, err := v.Rename(k.ID, fmt.Sprintf("renamed w%d-%d", w, i)); err != nil {
					errc <- err
				}
				v.List()
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	l := openTest(t, dir).List()
	if len(l) != workers*each {
		t.Fatalf("%d keys after concurrent adds, want %d", len(l), workers*each)
	}
	for _, k := range l {
		if !strings.HasPrefix(k.Name, "renamed ") {
			t.Errorf("rename lost: %s", k.Name)
		}
		want, _ := secrets.Load(k.ID)
		if got, _ := keychainValue(t, k.ID); got != want {
			t.Errorf("keychain item %s wrong", k.ID)
		}
	}
	var wg2 sync.WaitGroup
	for i, k := range l {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			if err := vaults[i%2].Delete(k.ID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg2.Wait()
	if n := len(openTest(t, dir).List()); n != 0 {
		t.Fatalf("%d keys left after concurrent deletes", n)
	}
}

func TestFingerprint(t *testing.T) {
	for in, want := range map[string]string{
		"msy_abcdefghijklmnopqrstuvwxyz0123459f3a": "msy_…9f3a",
		"tsk_0123456789":  "tsk_…6789",
		"sk-0123456789":   "sk-…6789",
		"opaquevalue1234": "…1234",
		"short":           "…",
		"":                "(empty)",
	} {
		if got := Fingerprint(in); got != want {
			t.Errorf("Fingerprint(%q) = %q, want %q", in, got, want)
		}
	}
}
