//go:build linux

package app

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"meshdrop/core/library"
	"meshdrop/core/paths"
)

// immutable sets or clears the immutable attribute on p (chattr; root on a
// file system that keeps it, such as ext4): nothing in an immutable folder
// can be created or removed, even by root, which is how these tests make
// real writes fail.
func immutable(t *testing.T, p string, on bool) error {
	t.Helper()
	flag := "-i"
	if on {
		flag = "+i"
	}
	out, err := exec.Command("chattr", flag, p).CombinedOutput()
	if err != nil {
		return errors.New(strings.TrimSpace(string(out)) + ": " + err.Error())
	}
	return nil
}

// TestMoveCopyNotRecordedNorUndoneSaysWhereTheLibraryIs: a copy onto
// another disk whose new place cannot be recorded (the settings folder
// refuses writes) and whose copy cannot be removed either (a folder in it
// refuses removal) tells people in plain words that the library is still
// in use in the old folder and that the unfinished copy can be deleted,
// the causes after that; the library then opens where it was.
func TestMoveCopyNotRecordedNorUndoneSaysWhereTheLibraryIs(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "meshdrop-app-move-")
	if err != nil {
		t.Skipf("no /dev/shm to keep the library on: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	ext := t.TempDir()
	var a1, b1 syscall.Stat_t
	if syscall.Stat(shm, &a1) != nil || syscall.Stat(ext, &b1) != nil || a1.Dev == b1.Dev {
		t.Skip("/dev/shm is on the same file system as the temporary folder here: no copy")
	}
	dirs := paths.Dirs{Config: filepath.Join(ext, "c"), Data: filepath.Join(shm, "d"), Library: filepath.Join(shm, "d", "library"), Logs: filepath.Join(shm, "l")}
	a := newMoveApp(t, dirs)
	jobs := importModels(t, a, 2)
	if err := immutable(t, dirs.Config, true); err != nil {
		t.Skipf("cannot make the settings folder refuse writes here: %v", err)
	}
	var stuck []string
	t.Cleanup(func() {
		for _, p := range append(stuck, dirs.Config) {
			immutable(t, p, false)
		}
	})
	dst := filepath.Join(ext, "new library")
	_, err = a.MoveLibrary(dst, func(p library.MoveProgress) error {
		if p.Phase != library.MoveVerifying || len(stuck) > 0 {
			return nil
		}
		// The copy is complete: make one of its folders refuse removal.
		d := filepath.Join(dst, jobs[0].ID)
		if err := immutable(t, d, true); err != nil {
			return err
		}
		stuck = append(stuck, d)
		return nil
	})
	if len(stuck) == 0 {
		t.Fatalf("the move did not copy and verify: %v", err)
	}
	if err == nil {
		t.Fatal("the move succeeded with the settings folder refusing writes")
	}
	msg := err.Error()
	plain, causes, _ := strings.Cut(msg, "(")
	for _, want := range []string{"still in use in " + dirs.Library, "unfinished copy in " + dst, "can delete"} {
		if !strings.Contains(plain, want) {
			t.Errorf("the message does not say %q before the causes: %s", want, msg)
		}
	}
	if !strings.Contains(causes, "could not be recorded") || !strings.Contains(causes, "operation not permitted") {
		t.Errorf("the causes are not after the plain words: %s", msg)
	}
	if a.LibraryDir() != dirs.Library {
		t.Fatalf("library folder after the failed move: %s", a.LibraryDir())
	}
	if _, err := os.Stat(filepath.Join(dirs.Data, pendingMoveFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the move note stays although the library never left %s: %v", dirs.Library, err)
	}
	l, err := a.Library()
	if err != nil || l.Dir() != dirs.Library {
		t.Fatalf("library after the failed move: %v", err)
	}
	checkLibrary(t, l, jobs)
}
