package keys

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// requireKeychain skips (or, under MESHDROP_REQUIRE_KEYCHAIN=1 as in `make
// test`, fails) when no Secret Service answers.
func requireKeychain(t testing.TB) {
	t.Helper()
	err := keychain{service: KeychainService, timeout: 10 * time.Second}.check()
	if err == nil {
		return
	}
	msg := "no usable Secret Service for the real-keychain tests (" + err.Error() + "); run them with `make test`, " +
		"which starts a private D-Bus session with an unlocked gnome-keyring"
	if os.Getenv("MESHDROP_REQUIRE_KEYCHAIN") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomKey makes a fresh secret in a provider's documented shape.
func randomKey(prefix string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return prefix + string(b)
}

func meshyKey() string { return randomKey("msy_", 36) }

// noEnv opens vaults without the process's environment keys.
func noEnv(string) string { return "" }

func openTest(t testing.TB, dir string) *Vault {
	t.Helper()
	v, err := OpenWith(dir, Options{Getenv: noEnv, KeychainTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return v
}

// keychainValue reads an item straight from the real keychain, not through the vault.
func keychainValue(t testing.TB, id string) (string, bool) {
	t.Helper()
	s, err := keyring.Get(KeychainService, id)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", false
	}
	if err != nil {
		t.Fatalf("keyring.Get(%s): %v", id, err)
	}
	return s, true
}

// assertNoSecretInFiles fails if any file under dir holds any of the secrets.
func assertNoSecretInFiles(t testing.TB, dir string, secrets ...string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("file %s contains a secret", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no file under %s to check", dir)
	}
}

func assertNoSecretIn(t testing.TB, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains a secret: %q", what, strings.ReplaceAll(text, s, "<SECRET>"))
		}
	}
}
