package ui

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// The UI thread in tests.
//
// On the real driver one goroutine, the main loop, runs every widget change:
// the window's own code (taps, typing, screen switches) and, in between,
// the functions other goroutines hand it with fyne.Do. Fyne's test driver
// has no main loop: fyne.Do and fyne.DoAndWait run at once on the calling
// goroutine ("tests all run on a single thread"), so a job update, a cancel's
// answer or a loaded thumbnail changed widgets at the same moment as the
// test's own taps and reads. That is a race the real driver never lets
// happen (two status-label refreshes at once crashed
// TestJobsLiveProgressCancelAndRetry with "slice bounds out of range" in
// RichText.Refresh, and `go test -race` reported hundreds).
//
// So tests get a UI thread: one package-wide lock, uiMu. A test that builds
// a window (newTestApp, newTestWindow) holds it from then on, exactly as
// the main loop would be busy running the test's code, and lets go only
// while it waits (eventually, waitUI) — the moments the main loop would be
// idle and run queued fyne.Do calls. Every fyne.Do from another goroutine
// takes the lock (serialDriver), so it runs between the test's steps, never
// during one. The lock is package-wide, not per app, because goroutines of
// an earlier test (a debounced search, a thumbnail load) can still be
// running when the next test starts, and Fyne's caches (text sizes, fonts,
// themes) are shared by all apps.
var (
	uiMu    sync.Mutex
	uiOwner atomic.Int64 // the goroutine holding uiMu, 0: none
)

// holdUI makes the calling goroutine the UI thread; the lock is taken once
// per goroutine, so nested calls do nothing.
func holdUI() (took bool) {
	id := goroutineID()
	if uiOwner.Load() == id {
		return false
	}
	uiMu.Lock()
	uiOwner.Store(id)
	return true
}

// releaseUI lets queued fyne.Do calls run.
func releaseUI() {
	uiOwner.Store(0)
	uiMu.Unlock()
}

// holdsUI: the calling goroutine is the UI thread.
func holdsUI() bool { return uiOwner.Load() == goroutineID() }

// waitUI runs wait (a sleep, a blocking call on the core) with the UI
// thread free, so the app's fyne.Do calls can run meanwhile, and takes the
// thread back afterwards. Called without the thread, it just waits.
func waitUI(wait func()) {
	if !holdsUI() {
		wait()
		return
	}
	releaseUI()
	defer holdUI()
	wait()
}

// newTestApp starts a test app whose fyne.Do calls take turns with the test
// on the UI thread, and makes the test's goroutine that thread until the
// test ends. At the end the thread is released with a fresh (also
// serialised) app in place, so an earlier test's late goroutines never run
// fyne.Do outside the lock.
func newTestApp(t *testing.T) fyne.App {
	t.Helper()
	if holdUI() {
		t.Cleanup(func() {
			fyne.SetCurrentApp(serialised(test.NewApp()))
			releaseUI()
		})
	}
	// test.NewApp makes its app current; the serialised one replaces it
	// at once, with the lock held. Only a late goroutine's fyne.Do landing
	// in between those two statements would run outside the lock: Fyne
	// has no way to build a test app without making it current.
	a := test.NewApp()
	fyne.SetCurrentApp(serialised(a))
	return a
}

func serialised(a fyne.App) fyne.App {
	return &serialApp{App: a, drv: &serialDriver{Driver: a.Driver()}}
}

type serialApp struct {
	fyne.App
	drv *serialDriver
}

func (a *serialApp) Driver() fyne.Driver { return a.drv }

type serialDriver struct {
	fyne.Driver
}

// DoFromGoroutine runs fn on the UI thread: at once when the caller is that
// thread (the test itself, or fyne.Do within fyne.Do), otherwise when the
// thread is free.
func (d *serialDriver) DoFromGoroutine(fn func(), _ bool) {
	if holdUI() {
		defer releaseUI()
	}
	fn()
}

// goroutineID reads the running goroutine's number from its stack header
// ("goroutine 123 [running]:"), as Fyne itself does.
func goroutineID() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseInt(string(b), 10, 64)
	return id
}
