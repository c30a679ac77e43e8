//go:build linux

package library

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestMoveAcrossFileSystemsCopies moves a library onto another real file
// system (/dev/shm, a tmpfs): the rename fails with EXDEV and Move copies.
func TestMoveAcrossFileSystemsCopies(t *testing.T) {
	src := filepath.Join(t.TempDir(), "library")
	jobs := movedLibrary(t, src, 3)
	shm, err := os.MkdirTemp("/dev/shm", "meshdrop-move-")
	if err != nil {
		t.Skipf("no /dev/shm to move onto: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	var a, b syscall.Stat_t
	if syscall.Stat(src, &a) != nil || syscall.Stat(shm, &b) != nil || a.Dev == b.Dev {
		t.Skip("/dev/shm is on the same file system as the temporary folder here")
	}
	before := tree(t, src)
	dst := filepath.Join(shm, "library")
	m, err := Move(src, dst, MoveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Copied {
		t.Fatal("a move across file systems did not copy")
	}
	sameTree(t, "old library before Finish", tree(t, src), before)
	if err := m.Finish(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("old folder after Finish: %v", err)
	}
	sameTree(t, "library on the other disk", tree(t, dst), before)
	checkOpens(t, dst, jobs)
}

// envMoveFull makes the test binary run the disk-full half of
// TestMoveOntoAFullDiskLeavesTheOldLibrary in a child process.
const envMoveFull = "MESHDROP_LIBRARY_MOVE_FULL"

// TestMoveOntoAFullDiskLeavesTheOldLibrary: the disk filling part-way
// through the copy (RLIMIT_FSIZE in a child: EFBIG, the failure path of
// ENOSPC) stops the move with a message saying so, the old library stays
// as it was and the partial copy goes.
func TestMoveOntoAFullDiskLeavesTheOldLibrary(t *testing.T) {
	const limit = 64 << 10
	if spec := os.Getenv(envMoveFull); spec != "" {
		src, dst, _ := strings.Cut(spec, "\n")
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			t.Skipf("cannot limit file size: %v", err)
		}
		_, err := Move(src, dst, MoveOptions{ForceCopy: true})
		if err == nil || !strings.Contains(err.Error(), "is the disk full?") || !strings.Contains(err.Error(), "untouched and still in use") {
			t.Fatalf("move onto a full disk: %v", err)
		}
		t.Log("MOVEFULL-CHECKED")
		return
	}
	root := t.TempDir()
	src, dst := filepath.Join(root, "library"), filepath.Join(root, "full-disk")
	jobs := movedLibrary(t, src, 2)
	// A file bigger than the limit: the copy fails part-way through it.
	l := openT(t, src, Config{})
	big := make([]byte, 3*limit)
	if _, err := l.SaveOutput(jobs[1].ID, "texture.bin", KindTexture, "bin", func(w io.Writer) (int64, error) {
		n, err := w.Write(big)
		return int64(n), err
	}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	before := tree(t, src)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestMoveOntoAFullDiskLeavesTheOldLibrary$", "-test.v")
	cmd.Env = append(os.Environ(), envMoveFull+"="+src+"\n"+dst)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "MOVEFULL-CHECKED") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	sameTree(t, "old library after a full disk", tree(t, src), before)
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the partial copy was left: %v", err)
	}
	checkOpens(t, src, jobs)
}
