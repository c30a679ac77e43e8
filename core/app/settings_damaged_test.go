package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"meshdrop/core/settings"
)

// A moved library survives a damaged settings file: the next start reads
// library_dir from it, opens the library where it is, says so in its
// warning, and the start after that finds it without a warning. Before,
// the damaged file's library_dir was dropped with the rest and the empty
// default library opened.
func TestDamagedSettingsKeepTheMovedLibrary(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	a := newMoveApp(t, dirs)
	jobs := importModels(t, a, 2)
	dst := filepath.Join(root, "moved library")
	if _, err := a.MoveLibrary(dst, nil); err != nil {
		t.Fatal(err)
	}
	a.Close()
	p := filepath.Join(dirs.Config, settings.FileName)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b[:len(b)-2], 0o600); err != nil { // cut short
		t.Fatal(err)
	}

	c := newMoveApp(t, dirs)
	if c.LibraryDir() != dst {
		t.Fatalf("after a damaged settings file the library is looked for in %s, want %s", c.LibraryDir(), dst)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "The library is in "+dst) || !strings.Contains(c.Warnings[0], p+".bad") {
		t.Fatalf("warnings %q", c.Warnings)
	}
	l, err := c.Library()
	if err != nil {
		t.Fatal(err)
	}
	checkLibrary(t, l, jobs)
	c.Close()

	d := newMoveApp(t, dirs)
	if d.LibraryDir() != dst || len(d.Warnings) != 0 {
		t.Fatalf("the start after: library %s, warnings %q", d.LibraryDir(), d.Warnings)
	}
}

// A damaged settings file without library_dir opens the default library
// and the warning says so, and where the damaged file went (to find a
// moved library's place in it by hand).
func TestDamagedSettingsWithoutLibraryDirSaysWhereTheLibraryIs(t *testing.T) {
	dirs := moveDirs(t.TempDir())
	if err := os.MkdirAll(dirs.Config, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dirs.Config, settings.FileName)
	if err := os.WriteFile(p, []byte(`{"version": 1, "thumb_size": 5#`), 0o600); err != nil {
		t.Fatal(err)
	}
	a := newMoveApp(t, dirs)
	if a.LibraryDir() != dirs.Library {
		t.Fatalf("library %s", a.LibraryDir())
	}
	if len(a.Warnings) != 1 || !strings.Contains(a.Warnings[0], "default folder "+dirs.Library) || !strings.Contains(a.Warnings[0], "library_dir in "+p+".bad") {
		t.Fatalf("warnings %q", a.Warnings)
	}
}
