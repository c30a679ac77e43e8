package library

import (
	"context"
	"slices"
	"testing"
	"time"
)

// heardID waits until the subscriber hears of id; the deadline only bounds
// a failure (nothing here is timed).
func heardID(t *testing.T, heard <-chan string, id string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case got := <-heard:
			if got == id {
				return
			}
		case <-deadline:
			t.Fatalf("the subscriber never heard of job %s", id)
		}
	}
}

// A second Library on the same folder stands in for another process (the
// CLI while the window is open): its new job, its edit and its delete each
// reach the first library's subscribers through Watch, with nobody calling
// Refresh, and the first library's summaries follow.
func TestWatchHearsAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	window := openT(t, dir, Config{IndexDelay: time.Millisecond})
	cli := openT(t, dir, Config{IndexDelay: time.Millisecond})
	heard := make(chan string, 64)
	window.OnChange(func(id string) {
		select {
		case heard <- id:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { window.Watch(ctx, 5*time.Millisecond); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	j := testJob(7)
	if err := cli.Put(j); err != nil {
		t.Fatal(err)
	}
	heardID(t, heard, j.ID)
	if s, ok := window.Summary(j.ID); !ok || s.Prompt != j.Prompt {
		t.Fatalf("the window's summary after the other process's Put: %+v %v", s, ok)
	}

	if err := cli.SetTags(j.ID, []string{"from the cli"}); err != nil {
		t.Fatal(err)
	}
	heardID(t, heard, j.ID)
	if s, _ := window.Summary(j.ID); !slices.Equal(s.Tags, []string{"from the cli"}) {
		t.Fatalf("tags in the window after the other process's edit: %v", s.Tags)
	}

	if err := cli.Delete(j.ID); err != nil {
		t.Fatal(err)
	}
	heardID(t, heard, j.ID)
	if _, ok := window.Summary(j.ID); ok {
		t.Fatal("the window still lists a job the other process deleted")
	}
}

// An idle check is two stats: no Refresh while nothing changed; a change
// by another process (its index written) makes the next check refresh and
// report it; Watch ends when the library is closed.
func TestWatcherRefreshesOnlyOnChange(t *testing.T) {
	dir := t.TempDir()
	window := openT(t, dir, Config{IndexDelay: time.Hour})
	cli := openT(t, dir, Config{IndexDelay: time.Hour})
	w := window.NewWatcher()
	if _, err := w.Check(); err != nil || w.refreshes != 1 {
		t.Fatalf("first check: %d refreshes, %v; want 1 (changes since Open)", w.refreshes, err)
	}
	for range 5 {
		if n, err := w.Check(); n != 0 || err != nil {
			t.Fatal(n, err)
		}
	}
	if w.refreshes != 1 {
		t.Fatalf("%d refreshes with nothing changed, want 1", w.refreshes)
	}
	for i := range 3 {
		if err := cli.Put(testJob(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := cli.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Check(); n != 3 || err != nil || w.refreshes != 2 {
		t.Fatalf("after 3 jobs from another process: %d changed, %d refreshes, %v", n, w.refreshes, err)
	}
	if n, _ := w.Check(); n != 0 || w.refreshes != 2 {
		t.Fatalf("idle again: %d changed, %d refreshes", n, w.refreshes)
	}
	// An edit inside an existing job's folder shows once the index is written.
	if err := cli.SetRating(testJob(1).ID, 4); err != nil {
		t.Fatal(err)
	}
	if err := cli.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.Check(); n != 1 {
		t.Fatalf("after an edit by another process: %d changed, want 1", n)
	}
	if s, _ := window.Summary(testJob(1).ID); s.Rating != 4 {
		t.Fatalf("rating %d in the window, want 4", s.Rating)
	}

	done := make(chan struct{})
	go func() { window.Watch(context.Background(), time.Millisecond); close(done) }()
	window.Close()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Watch kept going after the library was closed")
	}
}

// BenchmarkWatchIdleCheck10k: one watcher check on a 10,000-job library
// where nothing changed (what the window pays every 2 s when idle). It
// fails if the check fell back to Refresh.
func BenchmarkWatchIdleCheck10k(b *testing.B) {
	l, err := Open(buildBenchLibrary(b, benchJobs), Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	w := l.NewWatcher()
	if _, err := w.Check(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if n, err := w.Check(); n != 0 || err != nil {
			b.Fatal(n, err)
		}
	}
	if w.refreshes != 1 {
		b.Fatalf("%d refreshes on an idle library, want only the first", w.refreshes)
	}
}
