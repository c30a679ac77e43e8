package library

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// A library folder that is a symbolic link (the data folder's "library"
// pointing at a bigger disk) moves the folder it points to, by rename and
// by copy: the copy must not come out empty and the link must not be the
// thing renamed.
func TestMoveLibraryBehindALink(t *testing.T) {
	for _, copy := range []bool{false, true} {
		name := "rename"
		if copy {
			name = "copy"
		}
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			real := filepath.Join(root, "big-disk", "meshdrop")
			jobs := movedLibrary(t, real, 2)
			before := tree(t, real)
			src := filepath.Join(root, "data", "library")
			if err := os.MkdirAll(filepath.Dir(src), 0o700); err != nil {
				t.Fatal(err)
			}
			// Relative, as ln -s ../big-disk/meshdrop makes it.
			if err := os.Symlink(filepath.Join("..", "big-disk", "meshdrop"), src); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(root, "other", "library")
			m, err := Move(src, dst, MoveOptions{ForceCopy: copy})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Finish(); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Lstat(dst); err != nil || !fi.IsDir() {
				t.Fatalf("the new place is not a folder: %v %v", fi.Mode(), err)
			}
			sameTree(t, "moved library", tree(t, dst), before)
			checkOpens(t, dst, jobs)
			for _, gone := range []string{real, src} {
				if _, err := os.Lstat(gone); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s is still there after the move: %v", gone, err)
				}
			}
		})
	}
}

// Undo of a move through a link leaves the library where the link points.
func TestMoveLibraryBehindALinkUndo(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "big-disk", "meshdrop")
	movedLibrary(t, real, 1)
	before := tree(t, real)
	src := filepath.Join(root, "library")
	if err := os.Symlink(real, src); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(root, "other")
	m, err := Move(src, dst, MoveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Undo(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(src); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link after undo: %v", err)
	}
	sameTree(t, "library after undo", tree(t, real), before)
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the new folder after undo: %v", err)
	}
}
