package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/genx3d"
	"meshdrop/core/provider/genx3d/genx3dtest"
	"meshdrop/core/settings"
)

// mintEnv is a CLI env whose genX3D adapter talks to a loopback fake server,
// with the fake's admin key stored in the keychain as "Lab".
func mintEnv(t *testing.T) (*Env, *genx3dtest.Server, string) {
	t.Helper()
	return mintEnvWith(t, nil)
}

// mintEnvWith is mintEnv with the fake server's handler wrapped (set before
// its first request).
func mintEnvWith(t *testing.T, wrap func(http.Handler) http.Handler) (*Env, *genx3dtest.Server, string) {
	t.Helper()
	requireKeychain(t)
	srv, admin := genx3dtest.New()
	t.Cleanup(srv.Close)
	if wrap != nil {
		srv.Config.Handler = wrap(srv.Config.Handler)
	}
	srv.ShowsPrefix = true // the old key's ID is found in GET /keys
	t.Setenv(settings.EnvURL(provider.GenX3D), srv.BaseURL())
	e, _, _ := libEnv(t)
	if code, out, errs := run(e, admin, "keys", "add", "genx3d", "Lab"); code != ExitOK {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	return e, srv, admin
}

// storedSecret is what the keychain holds for the genX3D key name.
func storedSecret(t *testing.T, e *Env, name string) (keys.Key, string) {
	t.Helper()
	v, err := e.Vault()
	if err != nil {
		t.Fatal(err)
	}
	k, ok := v.Find(provider.GenX3D, name)
	if !ok {
		t.Fatalf("no key %q", name)
	}
	s, err := v.Secret(k.ID)
	if err != nil {
		t.Fatal(err)
	}
	return k, s.Reveal()
}

func genx3dAdapter(t *testing.T, e *Env) provider.Provider {
	t.Helper()
	reg, err := e.Providers()
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Get(provider.GenX3D)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// anyGenX3DSecret matches a secret the fake server makes.
var anyGenX3DSecret = regexp.MustCompile(`sk-[0-9a-f]{32}`)

func noSecrets(t *testing.T, text string, secrets ...string) {
	t.Helper()
	if anyGenX3DSecret.MatchString(text) {
		t.Fatalf("a secret was printed:\n%s", text)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("a secret was printed:\n%s", text)
		}
	}
}

func TestKeysMintRotatesThroughTheServer(t *testing.T) {
	e, srv, admin := mintEnv(t)
	ctx := context.Background()
	before, _ := storedSecret(t, e, "Lab")
	start := time.Now()

	code, out, errs := run(e, "", "keys", "mint", "Lab", "--expires", "30d")
	t.Logf("stdout: %sstderr: %s", out, errs)
	if code != ExitOK {
		t.Fatalf("mint: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	k, secret := storedSecret(t, e, "Lab")
	noSecrets(t, out+errs, admin, secret)
	if secret == admin {
		t.Fatal("the keychain still holds the old secret")
	}
	// The keychain's secret is the server's new key, scoped and expiring as asked.
	sk, ok := srv.KeyBySecret(secret)
	if !ok || sk.Revoked || !slices.Equal(sk.Permissions, genx3d.DefaultPermissions) {
		t.Fatalf("server key for the stored secret: %+v (known %v)", sk, ok)
	}
	if want := start.AddDate(0, 0, 30); sk.ExpiresAt.Before(want.Add(-time.Minute)) || sk.ExpiresAt.After(want.Add(time.Minute)) {
		t.Fatalf("expires %v, want about %v", sk.ExpiresAt, want)
	}
	if !strings.Contains(out, sk.ID) || !strings.Contains(out, "key_1") || !strings.Contains(out, k.Fingerprint) {
		t.Fatalf("output does not name the keys: %s", out)
	}
	// The vault records the rotation and a reminder before the expiry.
	if k.ID != before.ID || k.Fingerprint != keys.Fingerprint(secret) || k.Rotated.Before(start.Add(-time.Second)) {
		t.Fatalf("vault after mint: %+v (before %+v)", k, before)
	}
	if !k.RotateBy.Before(sk.ExpiresAt) || !k.RotateBy.After(start) {
		t.Fatalf("rotate-by %v for expiry %v", k.RotateBy, sk.ExpiresAt)
	}
	// The server accepts the new key and refuses the old one.
	p := genx3dAdapter(t, e)
	if _, err := p.Create(ctx, provider.Credential{Name: "new", Secret: keys.NewSecret(secret)}, provider.Request{Prompt: "a cube"}); err != nil {
		t.Fatalf("new key refused: %v", err)
	}
	if _, err := p.Balance(ctx, provider.Credential{Name: "old", Secret: keys.NewSecret(admin)}); provider.KindOf(err) != provider.ErrUnauthorized {
		t.Fatalf("old key after mint: %v", err)
	}
	if ok, _ := srv.KeyBySecret(admin); !ok.Revoked {
		t.Fatal("the old key is not revoked on the server")
	}

	// The new key lacks the keys API's permission: minting again fails
	// before anything is minted, and the keychain keeps the working key.
	mints := srv.Hits("POST /keys")
	code, out, errs = run(e, "", "keys", "mint", "Lab")
	noSecrets(t, out+errs, admin, secret)
	if code != ExitFailure || srv.Hits("POST /keys") != mints || !strings.Contains(errs, `needs the "admin" permission`) {
		t.Fatalf("mint with a scoped key: exit %d, mints %d→%d\n%s%s", code, mints, srv.Hits("POST /keys"), out, errs)
	}
	if _, again := storedSecret(t, e, "Lab"); again != secret {
		t.Fatal("a failed mint changed the stored secret")
	}
}

func TestKeysMintOldKeyNotRevoked(t *testing.T) {
	e, srv, admin := mintEnv(t)
	srv.FailNext("DELETE /keys/{id}", http.StatusBadRequest)
	code, out, errs := run(e, "", "keys", "mint", "Lab", "--permission", "admin", "--permission", "models:read,models:write,chat:send", "--expires", time.Now().AddDate(0, 2, 0).Format("2006-01-02"))
	k, secret := storedSecret(t, e, "Lab")
	t.Logf("stdout: %sstderr: %s", out, errs)
	noSecrets(t, out+errs, admin, secret)
	if code != ExitFailure || !strings.Contains(errs, "STILL LIVE") || !strings.Contains(errs, "key_1") || !strings.Contains(errs, "Revoke key key_1") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	// The new key is stored all the same, and both keys work on the server.
	sk, ok := srv.KeyBySecret(secret)
	if secret == admin || !ok || sk.Revoked || !slices.Contains(sk.Permissions, genx3dtest.PermAdmin) || k.Rotated.IsZero() {
		t.Fatalf("stored key %+v, vault %+v", sk, k)
	}
	if old, _ := srv.KeyBySecret(admin); old.Revoked {
		t.Fatal("the old key was revoked after all")
	}
	// With the admin permission the new key can mint its own replacement
	// (named by its server ID), which this time revokes it.
	code, out, errs = run(e, "", "keys", "mint", "Lab", "--old-key-id", sk.ID)
	_, third := storedSecret(t, e, "Lab")
	noSecrets(t, out+errs, admin, secret, third)
	if code != ExitOK || third == secret {
		t.Fatalf("second mint: exit %d\n%s%s", code, out, errs)
	}
	if prev, _ := srv.KeyBySecret(secret); !prev.Revoked {
		t.Fatal("the second mint did not revoke the key it replaced")
	}
}

func TestKeysMintRefusals(t *testing.T) {
	requireKeychain(t)
	srv, envKey := genx3dtest.New()
	defer srv.Close()
	t.Setenv(settings.EnvURL(provider.GenX3D), srv.BaseURL())
	t.Setenv("GENX3D_API_KEY", envKey)
	e, _, _ := libEnv(t)

	code, out, errs := run(e, "", "keys", "mint", "GENX3D_API_KEY")
	noSecrets(t, out+errs, envKey)
	if code != ExitUsage || !strings.Contains(errs, "environment variable GENX3D_API_KEY") || !strings.Contains(errs, "import-env") {
		t.Fatalf("environment key: exit %d\n%s%s", code, out, errs)
	}

	meshy := testSecret("msy_")
	if code, out, errs := run(e, meshy, "keys", "add", "meshy", "Studio"); code != ExitOK {
		t.Fatalf("add: %s%s", out, errs)
	}
	code, out, errs = run(e, "", "keys", "mint", "Studio")
	noSecrets(t, out+errs, meshy)
	if code != ExitUsage || !strings.Contains(errs, "only genX3D") || !strings.Contains(errs, "keys rotate Studio") {
		t.Fatalf("meshy key: exit %d\n%s%s", code, out, errs)
	}

	for _, bad := range []string{"0d", "soon", "2001-01-01", "x30d"} {
		if code, _, errs := run(e, "", "keys", "mint", "Studio", "--expires", bad); code != ExitUsage || !strings.Contains(errs, "--expires") {
			t.Fatalf("--expires %s: exit %d %s", bad, code, errs)
		}
	}
	if srv.Hits("POST /keys") != 0 || srv.Hits("GET /keys") != 0 {
		t.Fatal("a refused mint reached the server")
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     now.Add(defaultMintLifetime),
		"30d":                  now.AddDate(0, 0, 30),
		"2w":                   now.AddDate(0, 0, 14),
		"2027-01-02T03:04:05Z": time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC),
	} {
		if got, err := parseExpiry(in, now); err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	if got, err := parseExpiry("2027-03-01", now); err != nil || got.Format(keysTimeLayout) != "2027-03-01" {
		t.Errorf("date: %v %v", got, err)
	}
	for _, bad := range []string{"d", "-1d", "1.5d", "2026-11-22", "2026-11-23T11:00:00Z", "tomorrow"} {
		if _, err := parseExpiry(bad, now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// breakKeyList makes the vault's key list unreadable (a folder where the
// file was), so every change to the vault fails.
func breakKeyList(t *testing.T, e *Env) {
	t.Helper()
	meta := filepath.Join(e.Dirs.Config, keys.MetadataFile)
	if err := os.Remove(meta); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(meta, 0o700); err != nil {
		t.Fatal(err)
	}
}

// A key list that cannot be written is found before anything is minted.
func TestKeysMintChecksStorageFirst(t *testing.T) {
	e, srv, admin := mintEnv(t)
	breakKeyList(t, e)
	code, out, errs := run(e, "", "keys", "mint", "Lab")
	noSecrets(t, out+errs, admin)
	if code == ExitOK || !strings.Contains(errs, "nothing was minted") || srv.Hits("GET /keys")+srv.Hits("POST /keys")+srv.Hits("DELETE /keys/{id}") != 0 {
		t.Fatalf("exit %d, server hits %d\n%s%s", code, srv.Hits("POST /keys"), out, errs)
	}
	if k, _ := srv.KeyBySecret(admin); k.Revoked {
		t.Fatal("the old key was revoked")
	}
}

// Storing fails (the key list breaks while the key is being minted): the
// new key is revoked, the old one still works and stays in the keychain, and
// no secret is printed.
func TestKeysMintStoreFailsBeforeRevoke(t *testing.T) {
	var e *Env
	e, srv, admin := mintEnvWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/keys") {
				breakKeyList(t, e)
			}
			h.ServeHTTP(w, r)
		})
	})
	code, out, errs := run(e, "", "keys", "mint", "Lab")
	t.Logf("stdout: %sstderr: %s", out, errs)
	noSecrets(t, out+errs, admin)
	if code != ExitNoKey || !strings.Contains(errs, "could not be stored") || !strings.Contains(errs, "still works") ||
		!strings.Contains(errs, "key_2 was revoked") || !strings.Contains(errs, "keys mint Lab") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if k, _ := srv.KeyBySecret(admin); k.Revoked {
		t.Fatal("the old key was revoked")
	}
	if k, ok := srv.KeyByID("key_2"); !ok || !k.Revoked {
		t.Fatalf("the unstored new key: %+v (%v)", k, ok)
	}
	if _, secret := storedSecret(t, e, "Lab"); secret != admin {
		t.Fatal("the keychain no longer holds the old, working key")
	}
	if _, err := genx3dAdapter(t, e).Balance(context.Background(), provider.Credential{Name: "old", Secret: keys.NewSecret(admin)}); provider.KindOf(err) == provider.ErrUnauthorized {
		t.Fatalf("old key after a failed mint: %v", err)
	}
}

// The old key is revoked only once the keychain holds the new one.
func TestKeysMintStoresBeforeRevoking(t *testing.T) {
	var e *Env
	var mu sync.Mutex
	var atRevoke string // the keychain's secret for "Lab" when DELETE came
	e, srv, admin := mintEnvWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete {
				if v, err := e.Vault(); err == nil {
					if k, ok := v.Find(provider.GenX3D, "Lab"); ok {
						if s, err := v.Secret(k.ID); err == nil {
							mu.Lock()
							atRevoke = s.Reveal()
							mu.Unlock()
						}
					}
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	code, out, errs := run(e, "", "keys", "mint", "Lab")
	_, secret := storedSecret(t, e, "Lab")
	noSecrets(t, out+errs, admin, secret)
	if code != ExitOK || srv.Hits("DELETE /keys/{id}") != 1 {
		t.Fatalf("exit %d, revokes %d\n%s%s", code, srv.Hits("DELETE /keys/{id}"), out, errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if atRevoke != secret || secret == admin {
		t.Fatal("when the old key was revoked the keychain did not yet hold the new one")
	}
	if k, _ := srv.KeyBySecret(admin); !k.Revoked {
		t.Fatal("the old key was not revoked")
	}
}

// The server mints a key it then does not accept: the old key, which still
// works, stays in the keychain, and the unusable key is named for revoking.
func TestKeysMintNewKeyNotAccepted(t *testing.T) {
	var admin string
	e, srv, admin := mintEnvWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.Header.Get("Authorization") != "Bearer "+admin {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"error":{"code":"UNAUTHORIZED","message":"Invalid API key","details":{"reason":"key_not_found"}}}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	before, _ := storedSecret(t, e, "Lab")
	code, out, errs := run(e, "", "keys", "mint", "Lab")
	t.Logf("stdout: %sstderr: %s", out, errs)
	noSecrets(t, out+errs, admin)
	if code != ExitFailure || !strings.Contains(errs, "does not accept it") || !strings.Contains(errs, "new key key_2 was revoked") || !strings.Contains(errs, "still works") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	k, secret := storedSecret(t, e, "Lab")
	if secret != admin || !k.Rotated.IsZero() || k.Fingerprint != before.Fingerprint {
		t.Fatalf("the keychain no longer holds the working key: %+v", k)
	}
	if old, _ := srv.KeyBySecret(admin); old.Revoked {
		t.Fatal("the old key was revoked")
	}
	if k, ok := srv.KeyByID("key_2"); !ok || !k.Revoked {
		t.Fatalf("the unusable new key is still live: %+v (%v)", k, ok)
	}
}
