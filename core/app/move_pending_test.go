package app

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"meshdrop/core/library"
	"meshdrop/core/settings"
)

// On one disk a move is a rename: the library leaves its recorded folder
// before the new place is recorded. A process that ends between the two
// must not leave the next start on an empty library: it finds the note
// MoveLibrary wrote first and records the new place.
func TestMoveRenamedButNotRecordedIsFinishedAtTheNextStart(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	a := newMoveApp(t, dirs)
	jobs := importModels(t, a, 2)
	a.Close()
	dst := filepath.Join(root, "new")
	// MoveLibrary's steps up to the rename, then the "crash".
	if err := writePendingMove(dirs.Data, dst); err != nil {
		t.Fatal(err)
	}
	m, err := library.Move(dirs.Library, dst, library.MoveOptions{})
	if err != nil || m.Copied {
		t.Fatalf("move: copied %v, %v", m != nil && m.Copied, err)
	}

	b := newMoveApp(t, dirs)
	if b.LibraryDir() != dst {
		t.Fatalf("the next start uses %s, want %s (warnings %q)", b.LibraryDir(), dst, b.Warnings)
	}
	if len(b.Warnings) != 1 || !strings.Contains(b.Warnings[0], dst) {
		t.Fatalf("warnings %q", b.Warnings)
	}
	if st, err := settings.Load(dirs.Config); err != nil || st.LibraryDir != dst {
		t.Fatalf("settings file: library_dir %q, %v", st.LibraryDir, err)
	}
	if _, err := os.Stat(filepath.Join(dirs.Data, pendingMoveFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the note is still there: %v", err)
	}
	l, err := b.Library()
	if err != nil {
		t.Fatal(err)
	}
	checkLibrary(t, l, jobs)
}

// MoveLibrary notes the target before anything moves and removes the note
// once the place is recorded; a copy cut short (its marker in the target)
// is not taken for the library.
func TestMoveLibraryPendingNote(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	a := newMoveApp(t, dirs)
	jobs := importModels(t, a, 1)
	dst := filepath.Join(root, "new")
	note := filepath.Join(dirs.Data, pendingMoveFile)
	seen := ""
	if _, err := a.MoveLibrary(dst, func(library.MoveProgress) error {
		if seen == "" {
			b, _ := os.ReadFile(note)
			seen = string(b)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(seen, pendingMoveTo+dst+"\n") {
		t.Fatalf("during the move the note said %q", seen)
	}
	if _, err := os.Stat(note); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the note is still there after the move: %v", err)
	}
	a.Close()

	// A copy to a third folder cut short: the note and the marked copy stay.
	third := filepath.Join(root, "third")
	if err := writePendingMove(dirs.Data, third); err != nil {
		t.Fatal(err)
	}
	if _, err := library.Move(dst, third, library.MoveOptions{ForceCopy: true}); err != nil {
		t.Fatal(err)
	}
	b := newMoveApp(t, dirs)
	if b.LibraryDir() != dst || len(b.Warnings) != 0 {
		t.Fatalf("after a copy cut short the library is in %s (want %s), warnings %q", b.LibraryDir(), dst, b.Warnings)
	}
	l, err := b.Library()
	if err != nil {
		t.Fatal(err)
	}
	checkLibrary(t, l, jobs)
}

// A note left by a move cut short before anything moved names an empty
// folder: the recorded library (on a disk not connected now) stays the
// library, and the start says it is missing.
func TestPendingMoveToAnEmptyFolderIsNotTaken(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	if err := dirs.Ensure(); err != nil {
		t.Fatal(err)
	}
	external := filepath.Join(root, "usb", "library")
	st := settings.Default()
	st.LibraryDir = external
	if err := settings.Save(dirs.Config, st); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(root, "new")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := writePendingMove(dirs.Data, empty); err != nil {
		t.Fatal(err)
	}
	a := newMoveApp(t, dirs)
	if a.LibraryDir() != external || len(a.Warnings) != 0 {
		t.Fatalf("library in %s (want %s), warnings %q", a.LibraryDir(), external, a.Warnings)
	}
	if _, err := a.Library(); err == nil || !strings.Contains(err.Error(), "is missing") {
		t.Fatalf("opening a library on a disk not connected: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dirs.Data, pendingMoveFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the note is still there: %v", err)
	}
}
