package library

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Watching for other processes. Another Meshdrop process (a CLI "generate"
// or "import" while the window is open) writes job folders and, within
// Config.IndexDelay of any change (and on Close), the index file, renamed
// into place. Both show in the library folder itself: a new or deleted job
// folder and every index write change the folder's modification time, and
// an index write replaces index.json (a new inode, size and time). So two
// stats tell whether anything may have changed; only then does the watcher
// pay for Refresh (a stat per job), which finds what changed and tells
// OnChange subscribers.
//
// Limits: a change shows once the other process writes its index (at most
// IndexDelay later, 2 s by default); a process killed before that write
// shows with the next change anyone makes (Refresh compares every job).
// This process's own index writes also change the stamps, so while it
// writes (jobs running here) the watcher refreshes about once per index
// write and finds nothing new: the cost of one Refresh (see
// BenchmarkRefresh10k), never a notification.

// Watcher checks a library for changes made by other processes. Check is
// not safe for concurrent use; Watch runs one in a loop.
type Watcher struct {
	l          *Library
	dir, index fs.FileInfo // last seen; nil: missing (or never looked)
	seen       bool        // a first look was taken
	refreshes  int         // Refresh calls made (tests)
}

// NewWatcher makes a watcher whose first Check refreshes (changes made
// between Open and now are picked up); later ones refresh only when the
// library folder or its index changed.
func (l *Library) NewWatcher() *Watcher { return &Watcher{l: l} }

// Check looks once: two stats, and a Refresh when they differ from the last
// look. It returns how many jobs changed (OnChange heard of each).
func (w *Watcher) Check() (int, error) {
	dir, _ := os.Stat(w.l.dir)
	index, _ := os.Stat(filepath.Join(w.l.dir, IndexFile))
	if w.seen && sameFile(dir, w.dir) && sameFile(index, w.index) {
		return 0, nil
	}
	// Stamps first, then the refresh: a change made during the refresh
	// shows as a new stamp at the next look.
	w.dir, w.index, w.seen = dir, index, true
	w.refreshes++
	return w.l.Refresh()
}

// sameFile reports whether two looks saw the same version of a file or
// folder: the same file (inode), size and modification time.
func sameFile(a, b fs.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// Watch checks the library every interval until ctx ends or the library is
// closed, so OnChange subscribers (the gallery, the jobs list) hear of
// changes made by other processes without anyone pressing refresh. A
// failed look (the folder unreadable for a moment) is tried again at the
// next tick. It blocks: run it on its own goroutine.
func (l *Library) Watch(ctx context.Context, every time.Duration) {
	w := l.NewWatcher()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if l.isClosed() {
			return
		}
		_, _ = w.Check()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (l *Library) isClosed() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.closed
}
