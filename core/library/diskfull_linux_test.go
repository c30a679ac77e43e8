//go:build linux

package library

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// envDiskFull makes the test binary run the disk-full half of
// TestDiskFullKeepsThePreviousRecord in a child process.
const envDiskFull = "MESHDROP_LIBRARY_DISKFULL_DIR"

// TestDiskFullKeepsThePreviousRecord: a write that runs out of space
// leaves the previous job record, the index and the folder as they were,
// and the error says so. Space runs out through RLIMIT_FSIZE in a child
// process (EFBIG, the same failure path as ENOSPC: the temp file's write
// fails before any rename), since a real full disk needs mount rights.
func TestDiskFullKeepsThePreviousRecord(t *testing.T) {
	if dir := os.Getenv(envDiskFull); dir != "" {
		diskFullChild(t, dir)
		return
	}
	dir := t.TempDir()
	l := openT(t, dir, Config{})
	j := testJob(0)
	if err := l.Put(j); err != nil {
		t.Fatal(err)
	}
	l.Close()
	before, _ := os.ReadFile(jobPath(l, j.ID))
	idxBefore, _ := os.ReadFile(filepath.Join(dir, IndexFile))
	lsBefore := ls(t, filepath.Join(dir, j.ID))

	cmd := exec.Command(os.Args[0], "-test.run", "^TestDiskFullKeepsThePreviousRecord$", "-test.v")
	cmd.Env = append(os.Environ(), envDiskFull+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "DISKFULL-CHECKED") {
		t.Fatalf("child did not run its checks:\n%s", out)
	}
	after, _ := os.ReadFile(jobPath(l, j.ID))
	if !bytes.Equal(before, after) {
		t.Fatal("the previous record changed")
	}
	if idx, _ := os.ReadFile(filepath.Join(dir, IndexFile)); !bytes.Equal(idx, idxBefore) {
		t.Fatal("the index changed")
	}
	if got := ls(t, filepath.Join(dir, j.ID)); strings.Join(got, ",") != strings.Join(lsBefore, ",") {
		t.Fatalf("files left behind: %v", got)
	}
	l2 := openT(t, dir, Config{})
	if g, err := l2.Get(j.ID); err != nil || g.Prompt != j.Prompt || len(l2.Problems()) != 0 {
		t.Fatalf("after the full disk: %+v %v %v", g, err, l2.Problems())
	}
}

func diskFullChild(t *testing.T, dir string) {
	l, err := Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	const limit = 64 << 10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		t.Skipf("cannot limit file size: %v", err)
	}
	j := testJob(0)
	j.Note = strings.Repeat("a long note ", limit/8)
	err = l.Put(j)
	if err == nil || !strings.Contains(err.Error(), "previous record is kept") {
		t.Fatalf("Put past the limit: %v", err)
	}
	if s, _ := l.Summary(j.ID); s.Note != "" {
		t.Fatal("the summary took the failed write")
	}
	big := make([]byte, 2*limit)
	_, err = l.SaveOutput(j.ID, "big.bin", KindOther, "bin", func(w io.Writer) (int64, error) {
		n, err := w.Write(big)
		return int64(n), err
	})
	if err == nil {
		t.Fatal("SaveOutput past the limit succeeded")
	}
	t.Log("DISKFULL-CHECKED")
}
