package library

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every writer refuses after Close with ErrClosed and leaves the folder as
// it was: a handle kept across a library move would otherwise write into
// the old folder, which the move deletes (or, for a copy, which is then
// already copied), and the write would be lost.
func TestClosedLibraryRefusesWrites(t *testing.T) {
	th := &pngThumbnailer{}
	dir := filepath.Join(t.TempDir(), "library")
	l, err := Open(dir, Config{Thumbnail: th.render, ThumbnailSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	j := testJob(1)
	j.Outputs = nil
	if err := l.Put(j); err != nil {
		t.Fatal(err)
	}
	writeGLBOutput(t, l, j.ID, testGLB(t))
	glb := filepath.Join(t.TempDir(), "import.glb")
	if err := os.WriteFile(glb, testGLB(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)

	other := testJob(2)
	writes := map[string]error{
		"Put":     l.Put(other),
		"Put old": l.Put(j),
		"Update": func() error {
			_, err := l.Update(j.ID, func(j *Job) error { j.Note = "x"; return nil })
			return err
		}(),
		"SetTags":  l.SetTags(j.ID, []string{"a"}),
		"SetNote":  l.SetNote(j.ID, "note"),
		"Delete":   l.Delete(j.ID),
		"AddInput": func() error { _, err := l.AddInput(j.ID, "a.png", "", "image/png", []byte("png")); return err }(),
		"SaveOutput": func() error {
			_, err := l.SaveOutput(j.ID, "model2.glb", KindModel, FormatGLB, func(w io.Writer) (int64, error) {
				n, err := w.Write(testGLB(t))
				return int64(n), err
			})
			return err
		}(),
		"Thumbnail": func() error { _, err := l.Thumbnail(j.ID); return err }(),
		"SetBudget": l.SetBudget("key1", Budget{PerDay: 10}),
		"Import":    l.Import([]string{glb})[0].Err,
		"Flush":     l.Flush(),
		"Refresh":   func() error { _, err := l.Refresh(); return err }(),
	}
	for name, err := range writes {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		} else if !strings.Contains(err.Error(), "try again") {
			t.Errorf("%s: the message does not say what to do: %v", name, err)
		}
	}
	sameTree(t, "library after writes to a closed handle", tree(t, dir), before)
	if th.calls.Load() != 0 {
		t.Fatalf("the thumbnailer ran %d times after Close", th.calls.Load())
	}
	// Reading still works: the records are where they were.
	if got, err := l.Get(j.ID); err != nil || got.ID != j.ID {
		t.Fatalf("Get after Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}

// Close waits for a write already under way: the output being saved when
// Close is called is in the folder when Close returns, so a move that
// copies the folder right after has it, and nothing is written later.
func TestCloseWaitsForAWriteUnderWay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "library")
	l, err := Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	j := testJob(3)
	j.Outputs = nil
	if err := l.Put(j); err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	saved := make(chan error, 1)
	go func() {
		_, err := l.SaveOutput(j.ID, "model.glb", KindModel, FormatGLB, func(w io.Writer) (int64, error) {
			close(started)
			<-release
			n, err := w.Write(testGLB(t))
			return int64(n), err
		})
		saved <- err
	}()
	<-started
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a write was under way", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	// The write finished before Close returned: its file is in place.
	if _, err := os.Stat(filepath.Join(dir, j.ID, "model.glb")); err != nil {
		t.Fatalf("Close returned before the write under way ended: %v", err)
	}
	if err := <-saved; err != nil {
		t.Fatal(err)
	}
}
