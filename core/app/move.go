package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"meshdrop/core/fsutil"
	"meshdrop/core/jobs"
	"meshdrop/core/library"
	"meshdrop/core/paths"
	"meshdrop/core/settings"
)

// libraryLockFile in Dirs.Data is held shared by every process with the
// library open and exclusively by a process moving it, so a move never
// pulls the library from under the window or a running command.
const libraryLockFile = "library.lock"

// defaultLibraryName is the library's folder in Dirs.Data (paths.Resolve).
const defaultLibraryName = "library"

// ErrJobsRunning is returned by MoveLibrary while jobs are being driven.
var ErrJobsRunning = errors.New("jobs are running")

// ErrLibraryInUse is returned by MoveLibrary while another Meshdrop process
// has the library open.
var ErrLibraryInUse = errors.New("the library is open in another Meshdrop")

// moveMu makes moves in one process take turns.
var moveMu sync.Mutex

// libraryLocks holds each open library's shared lock until it is closed.
var libraryLocks sync.Map // *library.Library → *fsutil.Lock

// libraryDir is where the library is for these settings: settings'
// LibraryDir when it is set (an absolute path), else the default folder.
func libraryDir(d paths.Dirs, st settings.Settings) string {
	if st.LibraryDir != "" && filepath.IsAbs(st.LibraryDir) {
		return filepath.Clean(st.LibraryDir)
	}
	return d.Library
}

// LibraryDir is the library's folder now (MoveLibrary changes it).
func (a *App) LibraryDir() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Dirs.Library
}

// shareLibrary takes the shared library lock for a library about to open
// and returns its folder: read again from the settings file under the
// lock, since another Meshdrop process may have moved the library since
// this one started (no move runs while the lock is held). A library moved
// elsewhere must still be there: a missing folder (a disk not connected)
// is an error, not a new empty library.
func (a *App) shareLibrary() (string, *fsutil.Lock, error) {
	lk, busy, err := fsutil.TryLock(filepath.Join(a.Dirs.Data, libraryLockFile), false)
	if err != nil {
		// A lock file we cannot make must not stop the library opening.
		a.Log.Warn("library lock", "err", err)
		lk = nil
	} else if busy {
		return "", nil, errors.New("another Meshdrop is moving the library right now; try again when the move has finished")
	}
	dir := a.rereadLibraryDir()
	if st := a.Current(); st.LibraryDir != "" {
		if !filepath.IsAbs(st.LibraryDir) {
			a.Log.Warn("library", "problem", "library_dir in settings is not a full path; the default folder is used", "library_dir", st.LibraryDir)
		} else if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			lk.Unlock()
			return "", nil, fmt.Errorf("the library folder %s is missing: if it is on a disk that is not connected, connect it and start Meshdrop again; to start an empty library there, create the folder", dir)
		}
	}
	// With no move running, a marker in the recorded folder is a move's
	// last step cut short: the copy there was complete and checked.
	if old, found, err := library.FinishInterruptedMove(dir); found {
		a.Log.Warn("library move: the last step of an earlier move was cut short; the library in its new folder is complete, and the old folder can be deleted by hand", "library", dir, "old_folder", old, "err", err)
	}
	return dir, lk, nil
}

// rereadLibraryDir takes library_dir from the settings file as it is now
// into the settings in force and Dirs.Library, and returns the library's
// folder. A file that cannot be read cleanly leaves them as they are (the
// next start reports it). It runs under the shared library lock, without
// settingsMu: SaveSettings holds that while it waits for a runner being
// made, which waits for this library; SaveSettings never changes
// library_dir, and recordLibraryDir runs under the exclusive lock.
func (a *App) rereadLibraryDir() string {
	v, err := settings.RecordedLibraryDir(a.Dirs.Config)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.Log.Warn("library: could not read library_dir again; the place read at start is used", "err", err, "library", a.Dirs.Library)
		return a.Dirs.Library
	}
	dir := a.defaultLibrary
	if v != "" && filepath.IsAbs(v) {
		dir = filepath.Clean(v)
	}
	if dir != a.Dirs.Library {
		a.Log.Info("library: moved by another Meshdrop since this one started", "from", a.Dirs.Library, "to", dir)
	}
	a.Settings.LibraryDir = v
	a.Dirs.Library = dir
	return dir
}

// releaseLibrary drops an open library's shared lock (once).
func releaseLibrary(l *library.Library) {
	if v, ok := libraryLocks.LoadAndDelete(l); ok {
		v.(*fsutil.Lock).Unlock()
	}
}

// MoveResult is what a finished MoveLibrary did.
type MoveResult struct {
	From, To string
	Copied   bool // copied to another disk (else renamed)
	Files    int
	Bytes    int64
	// Warnings did not stop the move: a model already different from its
	// record, an old folder that could not be removed (with its path).
	Warnings []string
}

// MoveLibrary moves the library to dst (a new or empty folder) and records
// the new place in the settings, so the next Library and Runner open there.
// It refuses while jobs are running here or in another Meshdrop process,
// and while another process has the library open. This App's library and
// runner are closed first (screens must drop what they hold and ask again).
// On any error the library stays where it was and in use. progress may be
// nil; its error stops the move.
func (a *App) MoveLibrary(dst string, progress func(library.MoveProgress) error) (MoveResult, error) {
	moveMu.Lock()
	defer moveMu.Unlock()
	abs, err := filepath.Abs(dst)
	if err != nil || strings.TrimSpace(dst) == "" {
		return MoveResult{}, fmt.Errorf("cannot move the library to %q: give a folder", dst)
	}
	dst = filepath.Clean(abs)
	src := a.LibraryDir()
	res := MoveResult{From: src, To: dst}

	// Nobody may open the library or the runner while it moves: callers
	// asking wait, then open at the new place.
	release := a.hold(runnerName, libraryName)
	defer release()

	a.mu.Lock()
	r, _ := a.cache[runnerName].(*jobs.Runner)
	l, _ := a.cache[libraryName].(*library.Library)
	a.mu.Unlock()
	if err := library.CheckMoveTarget(src, dst); err != nil {
		return res, err
	}
	if n := a.runningJobs(r); n > 0 {
		return res, fmt.Errorf("%s; wait for them or cancel them, then move the library: %w", plural(n, "1 job is running", "%d jobs are running"), ErrJobsRunning)
	}
	a.mu.Lock()
	delete(a.cache, runnerName)
	delete(a.cache, libraryName)
	a.mu.Unlock()
	// The registered close functions run again at Close: both are no-ops then.
	if r != nil {
		r.Close()
	}
	if l != nil {
		if err := l.Close(); err != nil {
			a.Log.Warn("library", "close", err)
		}
		releaseLibrary(l)
	}
	lk, busy, err := fsutil.TryLock(filepath.Join(a.Dirs.Data, libraryLockFile), true)
	if err != nil {
		a.Log.Warn("library lock", "err", err)
	}
	if busy {
		return res, fmt.Errorf("the library is open in another Meshdrop window or command; close it, then move the library: %w", ErrLibraryInUse)
	}
	defer lk.Unlock()

	a.Log.Info("library move", "from", src, "to", dst)
	// Until the new place is recorded, a note in Dirs.Data says where the
	// library is going (move_pending.go): a rename empties src at once.
	if err := writePendingMove(a.Dirs.Data, dst); err != nil {
		return res, err
	}
	m, err := library.Move(src, dst, library.MoveOptions{Progress: progress})
	if err != nil {
		clearPendingMove(a.Dirs.Data)
		a.Log.Warn("library move", "err", err)
		return res, err
	}
	if err := a.recordLibraryDir(dst); err != nil {
		if uerr := m.Undo(); uerr != nil {
			return res, a.undoFailed(m, src, dst, err, uerr)
		}
		clearPendingMove(a.Dirs.Data)
		return res, fmt.Errorf("the library was not moved: %w (it stays in %s)", err, src)
	}
	clearPendingMove(a.Dirs.Data)
	res.Copied, res.Files, res.Bytes, res.Warnings = m.Copied, m.Files, m.Bytes, m.Warnings
	if err := m.Finish(); err != nil {
		res.Warnings = append(res.Warnings, err.Error())
	}
	a.Log.Info("library moved", "to", dst, "copied", m.Copied, "files", m.Files, "bytes", m.Bytes)
	return res, nil
}

// undoFailed is the error for a move whose new place could not be
// recorded (recErr) and could not be undone either (undoErr): it says in
// plain words where the library is now and what may be deleted, then the
// causes.
func (a *App) undoFailed(m *library.Moved, src, dst string, recErr, undoErr error) error {
	if m.Copied {
		// The library never left src and src is still the recorded place:
		// the note would only point the next start at a half-removed copy
		// (which keeps its copy marker, so it would not be taken anyway).
		clearPendingMove(a.Dirs.Data)
		return fmt.Errorf("the library was not moved: it is still in use in %s. The unfinished copy in %s could not be removed; you can delete that folder. (The new place could not be recorded: %v. Removing the copy failed: %v)", src, dst, recErr, undoErr)
	}
	// A rename: the library is in dst and could not be renamed back. The
	// note stays, so the next start finds it there and records that place.
	return fmt.Errorf("the library is now in %s, but that place could not be recorded and the folder could not be moved back to %s; start Meshdrop again and it will use the library in %s (or move that folder back to %s by hand). (The new place could not be recorded: %v. Moving it back failed: %v)", dst, src, dst, src, recErr, undoErr)
}

// recordLibraryDir saves dst as the library's place in the settings file
// and in force here. It is SaveSettings for one field, written under the
// same lock from the settings in force then (so a save at the same time is
// not undone), without SaveSettings' wait for a runner being made: the move
// holds the runner, and nothing else changes that the open stores use.
func (a *App) recordLibraryDir(dst string) error {
	settingsMu.Lock()
	defer settingsMu.Unlock()
	st := a.Current()
	st.LibraryDir = dst
	if dst == filepath.Join(a.Dirs.Data, defaultLibraryName) {
		st.LibraryDir = "" // back home: nothing to remember
	}
	if err := settings.Save(a.Dirs.Config, st); err != nil {
		return fmt.Errorf("could not save settings in %s: %w", a.Dirs.Config, err)
	}
	a.mu.Lock()
	a.Settings = st
	a.Dirs.Library = dst
	a.mu.Unlock()
	return nil
}

// runningJobs counts the jobs being driven: by this process's runner and,
// through their lock files, by any other Meshdrop process.
func (a *App) runningJobs(r *jobs.Runner) int {
	ids := map[string]bool{}
	if r != nil {
		for _, id := range r.Active() {
			ids[id] = true
		}
	}
	dir := filepath.Join(a.Dirs.Data, LockDirName)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".lock")
		if !ok || e.IsDir() || ids[id] {
			continue
		}
		lk, busy, err := fsutil.TryLock(filepath.Join(dir, e.Name()), true)
		if err != nil {
			continue
		}
		if busy {
			ids[id] = true
			continue
		}
		lk.Unlock()
	}
	return len(ids)
}

// hold marks names as being made, so getters asking for them wait until
// the returned func is called and then make them afresh. Name a store
// before the stores its maker opens (the runner before the library): a
// runner being made waits for the library, so holding the library first
// and then waiting for that runner would wait forever.
func (a *App) hold(names ...string) (release func()) {
	done := make(chan struct{})
	a.mu.Lock()
	for _, name := range names {
		a.waitWhileMade(name, nil)
		if a.making == nil {
			a.making = map[string]chan struct{}{}
		}
		if a.held == nil {
			a.held = map[string]bool{}
		}
		a.making[name] = done
		a.held[name] = true
	}
	a.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			for _, name := range names {
				delete(a.making, name)
				delete(a.held, name)
			}
			a.mu.Unlock()
			close(done)
		})
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}
