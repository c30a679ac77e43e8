package app

import (
	"path/filepath"
	"testing"
)

// Two Meshdrop processes on the same folders: B starts, A then moves the
// library, and B's first Library (and Runner) opens it at its new place
// with every model, not at the place B read at start (an empty default
// library re-created there, the moved one unseen until a restart).
func TestLibraryOpensWhereAnotherProcessMovedIt(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	a := newMoveApp(t, dirs)
	jobs := importModels(t, a, 2)
	b := newMoveApp(t, dirs) // started before the move
	dst := filepath.Join(root, "moved by A")
	if _, err := a.MoveLibrary(dst, nil); err != nil {
		t.Fatal(err)
	}
	if b.LibraryDir() != dirs.Library {
		t.Fatalf("B read %s at start", b.LibraryDir())
	}
	l, err := b.Library()
	if err != nil {
		t.Fatal(err)
	}
	if l.Dir() != dst || b.LibraryDir() != dst || b.Current().LibraryDir != dst {
		t.Fatalf("B opened %s (dir %s, settings %q), want %s", l.Dir(), b.LibraryDir(), b.Current().LibraryDir, dst)
	}
	checkLibrary(t, l, jobs)
	r, err := b.Runner()
	if err != nil || r.Store() != l {
		t.Fatalf("B's runner: %v", err)
	}
	a.Close()
	b.Close()

	// Back home: C started while the library was at dst opens the default
	// folder once another process has moved it back.
	c := newMoveApp(t, dirs)
	d := newMoveApp(t, dirs)
	if c.LibraryDir() != dst {
		t.Fatalf("C read %s at start", c.LibraryDir())
	}
	if _, err := d.MoveLibrary(dirs.Library, nil); err != nil {
		t.Fatal(err)
	}
	l, err = c.Library()
	if err != nil || l.Dir() != dirs.Library || c.Current().LibraryDir != "" {
		t.Fatalf("C opened %v (settings %q), %v; want %s", l, c.Current().LibraryDir, err, dirs.Library)
	}
	checkLibrary(t, l, jobs)
}
