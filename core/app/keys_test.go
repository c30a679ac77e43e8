package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The vault opens once, in the config folder, and a damaged key list there is
// reported in the log rather than stopping Meshdrop.
func TestVaultOpensOnceInConfig(t *testing.T) {
	a := testApp(t)
	if err := os.WriteFile(filepath.Join(a.Dirs.Config, "keys.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	v1, err := a.Vault()
	if err != nil {
		t.Fatal(err)
	}
	v2, err := a.Vault()
	if err != nil || v1 != v2 {
		t.Fatalf("second Vault() = %p, %v; want the same vault %p", v2, err, v1)
	}
	if w := v1.Warnings(); len(w) != 1 || !strings.Contains(w[0], a.Dirs.Config) {
		t.Fatalf("warnings %q", w)
	}
	log, _ := os.ReadFile(filepath.Join(a.Dirs.Logs, "meshdrop.log"))
	if !strings.Contains(string(log), "damaged") {
		t.Fatalf("damaged key list not logged: %s", log)
	}
	if k, err := a.keyVault(); err != nil || k != v1 {
		t.Fatalf("the runner does not reach the vault: %v", err)
	}
}
