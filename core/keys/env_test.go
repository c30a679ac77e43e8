package keys

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestParseDotEnv(t *testing.T) {
	m, tr, r, h, g := meshyKey(), randomKey("tsk_", 30), randomKey("", 24), randomKey("", 24), randomKey("sk-", 30)
	text := "\uFEFF# provider keys\n" +
		"OPENAI_API_KEY=sk-not-ours\n" +
		"export MESHY_API_KEY=" + m + "\n" +
		"TRIPO_API_KEY = \"" + tr + "\"   # trailing comment\n" +
		"RODIN_API_KEY='" + r + "'\n" +
		"HYPER3D_API_KEY=" + h + " # comment\n" +
		"GENX3D_API_KEY=old\n" +
		"GENX3D_API_KEY=" + g + "\n" +
		"MESHY_API_KEY_OLD=msy_ignored\n" +
		"not a line at all\n"
	vals, err := ParseDotEnv(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"MESHY_API_KEY": m, "TRIPO_API_KEY": tr, "RODIN_API_KEY": r, "HYPER3D_API_KEY": h, "GENX3D_API_KEY": g}
	if len(vals) != len(want) {
		t.Fatalf("got %d values, want %d", len(vals), len(want))
	}
	for _, v := range vals {
		if want[v.Var] != v.Secret.Reveal() {
			t.Errorf("%s: wrong value (fingerprint %s)", v.Var, v.Secret)
		}
	}
	for _, bad := range []string{"MESHY_API_KEY=\"" + m + "\n", "TRIPO_API_KEY='" + tr + "' extra\n"} {
		_, err := ParseDotEnv(strings.NewReader(bad))
		if err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("bad line accepted or unnumbered: %v", err)
		} else {
			assertNoSecretIn(t, "parse error", err.Error(), m, tr)
		}
	}
}

func TestImportEnvFile(t *testing.T) {
	requireKeychain(t)
	dir := t.TempDir()
	v := openTest(t, dir)
	m, tr, bad := meshyKey(), randomKey("tsk_", 30), "msy_has\x1bescape"
	envFile := filepath.Join(t.TempDir(), ".env")
	content := "MESHY_API_KEY=" + m + "\nTRIPO_API_KEY=" + tr + "\nGENX3D_API_KEY=" + bad + "\nAWS_SECRET=zzz\n"
	if err := os.WriteFile(envFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := v.ImportEnvFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("results: %+v", res)
	}
	got := map[string]ImportResult{}
	for _, r := range res {
		got[r.Var] = r
	}
	mk := got["MESHY_API_KEY"].Key
	if mk.Name != "Meshy (.env)" || mk.Source != SourceKeychain || got["MESHY_API_KEY"].Skipped != "" {
		t.Fatalf("meshy import: %+v", got["MESHY_API_KEY"])
	}
	if s, _ := keychainValue(t, mk.ID); s != m {
		t.Fatal("imported meshy secret not in the keychain")
	}
	if s, _ := keychainValue(t, got["TRIPO_API_KEY"].Key.ID); s != tr {
		t.Fatal("imported tripo secret not in the keychain")
	}
	if g := got["GENX3D_API_KEY"]; g.Skipped == "" || g.Key.ID != "" {
		t.Fatalf("invalid value imported: %+v", g)
	}
	// Again: nothing new, each already there.
	res2, err := v.ImportEnvFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res2 {
		if r.Key.ID != "" || r.Skipped == "" {
			t.Errorf("second import of %s: %+v", r.Var, r)
		}
	}
	if n := len(v.List()); n != 2 {
		t.Fatalf("%d keys after two imports, want 2", n)
	}
	// Same variable, new value: a second key with a numbered name.
	m2 := meshyKey()
	if err := os.WriteFile(envFile, []byte("MESHY_API_KEY="+m2+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := sha256.Sum256([]byte("MESHY_API_KEY=" + m2 + "\n"))
	st0, _ := os.Stat(envFile)
	res3, err := v.ImportEnvFile(envFile)
	if err != nil || len(res3) != 1 || res3[0].Key.Name != "Meshy (.env) 2" {
		t.Fatalf("third import: %v %+v", err, res3)
	}
	after, _ := os.ReadFile(envFile)
	st1, _ := os.Stat(envFile)
	if sha256.Sum256(after) != before || !st1.ModTime().Equal(st0.ModTime()) {
		t.Fatal("the .env file was written")
	}
	if _, err := v.ImportEnvFile(filepath.Join(dir, "missing.env")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	assertNoSecretInFiles(t, dir, m, tr, m2)
	for _, k := range v.List() {
		if err := v.Delete(k.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// The .env parser reads files people point it at: it must never crash, and
// its errors are built only from fixed text (so never hold a value).
func FuzzParseDotEnv(f *testing.F) {
	f.Add("MESHY_API_KEY=msy_abc\nTRIPO_API_KEY=\"tsk_x\" # c\n")
	f.Add("export RODIN_API_KEY='abc\nGENX3D_API_KEY=\"sk-\" x")
	f.Add("\uFEFFHYPER3D_API_KEY=a #b\n#c\n\n=\nMESHY_API_KEY")
	errRe := regexp.MustCompile(`^(line \d+ \([A-Z0-9_]+\): (the quote around the value is not closed \(multi-line values are not supported\)|unexpected text after the quoted value)|a line is longer than 1 MiB; this is not a \.env file)$`)
	f.Fuzz(func(t *testing.T, text string) {
		vals, err := ParseDotEnv(strings.NewReader(text))
		if err != nil {
			if !errRe.MatchString(err.Error()) {
				t.Fatalf("unexpected error text: %q", err.Error())
			}
			return
		}
		for _, v := range vals {
			if v.Secret.IsZero() || !strings.Contains(text, v.Secret.Reveal()) {
				t.Fatalf("value for %s not from the input", v.Var)
			}
		}
	})
}
