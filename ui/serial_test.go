package ui

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
)

// Fyne's test driver runs fyne.Do and fyne.DoAndWait at once on the calling
// goroutine ("tests all run on a single thread"). The window's own
// goroutines (a job update, a cancel's answer, a loaded thumbnail) then
// change widgets at the same moment, which the real driver never lets
// happen: two status-label refreshes at once crashed
// TestJobsLiveProgressCancelAndRetry on a loaded machine ("slice bounds out
// of range" in RichText.Refresh). serializeUI makes those calls take turns,
// as on the real main loop, so a test sees the app's behaviour rather than a
// race the test driver adds.
func serializeUI(t *testing.T, a fyne.App) {
	t.Helper()
	fyne.SetCurrentApp(&serialApp{App: a, drv: &serialDriver{Driver: a.Driver()}})
}

type serialApp struct {
	fyne.App
	drv *serialDriver
}

func (a *serialApp) Driver() fyne.Driver { return a.drv }

type serialDriver struct {
	fyne.Driver
	mu    sync.Mutex
	owner atomic.Int64 // the goroutine whose call is running, 0: none
}

// DoFromGoroutine runs fn when no other goroutine's call is running; a call
// made inside one (fyne.Do within fyne.Do) runs at once.
func (d *serialDriver) DoFromGoroutine(fn func(), _ bool) {
	id := goroutineID()
	if d.owner.Load() == id {
		fn()
		return
	}
	d.mu.Lock()
	d.owner.Store(id)
	defer func() {
		d.owner.Store(0)
		d.mu.Unlock()
	}()
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
