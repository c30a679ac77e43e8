package paths

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMeshdropHomeMovesEverything(t *testing.T) {
	root := t.TempDir()
	t.Setenv(EnvHome, root)
	d, err := Resolve()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{d.Config, d.Data, d.Library, d.Logs} {
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." || filepath.IsAbs(rel) || rel[:2] == ".." {
			t.Errorf("%s is not under MESHDROP_HOME %s", p, root)
		}
	}
	if err := d.Ensure(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(d.Library)
	if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
		t.Fatalf("library folder not created private: %v %v", st, err)
	}
}

func TestXDGDataHome(t *testing.T) {
	t.Setenv(EnvHome, "")
	xdg := t.TempDir()
	t.Setenv("XDG_DATA_HOME", xdg)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(xdg, "cfg"))
	d, err := Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if d.Data != filepath.Join(xdg, "meshdrop") {
		t.Errorf("data = %s, want under XDG_DATA_HOME", d.Data)
	}
	if d.Config != filepath.Join(xdg, "cfg", "meshdrop") {
		t.Errorf("config = %s, want under XDG_CONFIG_HOME", d.Config)
	}
}
