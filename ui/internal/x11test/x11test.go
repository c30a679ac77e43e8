//go:build !wayland && (linux || freebsd || openbsd || netbsd)

// Package x11test makes plain Xlib windows for the tests of the window
// position code in ui (cgo cannot be used in _test.go files). Only tests
// import it, so the application does not carry it.
package x11test

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>

static Window mdCreateMapped(Display *d, int x, int y, int w, int h) {
	int s = DefaultScreen(d);
	Window win = XCreateSimpleWindow(d, RootWindow(d, s), x, y, w, h, 0,
		BlackPixel(d, s), WhitePixel(d, s));
	XSelectInput(d, win, StructureNotifyMask);
	XMapWindow(d, win);
	// Wait until the server has mapped it.
	for (;;) {
		XEvent e;
		XNextEvent(d, &e);
		if (e.type == MapNotify && e.xmap.window == win) {
			break;
		}
	}
	return win;
}
*/
import "C"

import (
	"errors"
	"os"
)

// Window is a mapped top-level window on its own display connection.
type Window struct {
	d  *C.Display
	ID uintptr // the X window ID, as driver.X11WindowContext gives it
}

// Open creates a w×h window at x, y on $DISPLAY and waits until it is mapped.
func Open(x, y, w, h int) (*Window, error) {
	d := C.XOpenDisplay(nil)
	if d == nil {
		return nil, errors.New("cannot open the X display " + `"` + os.Getenv("DISPLAY") + `"`)
	}
	id := C.mdCreateMapped(d, C.int(x), C.int(y), C.int(w), C.int(h))
	return &Window{d: d, ID: uintptr(id)}, nil
}

// Close destroys the window and closes its connection.
func (w *Window) Close() {
	if w.d == nil {
		return
	}
	C.XDestroyWindow(w.d, C.Window(w.ID))
	C.XCloseDisplay(w.d)
	w.d = nil
}
