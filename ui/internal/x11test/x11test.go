//go:build !wayland && (linux || freebsd || openbsd || netbsd)

// Package x11test makes plain Xlib windows for the tests of the window
// position code in ui (cgo cannot be used in _test.go files). Only tests
// import it, so the application does not carry it.
package x11test

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>
#include <X11/Xutil.h>

static Window mdCreateMapped(Display *d, int x, int y, int w, int h, int staticGravity) {
	int s = DefaultScreen(d);
	Window win = XCreateSimpleWindow(d, RootWindow(d, s), x, y, w, h, 0,
		BlackPixel(d, s), WhitePixel(d, s));
	if (staticGravity) {
		// As GLFW does for every window (x11_window.c, updateNormalHints).
		XSizeHints *hints = XAllocSizeHints();
		hints->flags = PWinGravity;
		hints->win_gravity = StaticGravity;
		XSetWMNormalHints(d, win, hints);
		XFree(hints);
	}
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

// Open creates a w×h window at x, y on $DISPLAY and waits until it is
// mapped. staticGravity gives it StaticGravity, as GLFW (so Fyne) does:
// window managers then read move requests as the client area's position, not
// the frame's (the default, NorthWest).
func Open(x, y, w, h int, staticGravity bool) (*Window, error) {
	d := C.XOpenDisplay(nil)
	if d == nil {
		return nil, errors.New("cannot open the X display " + `"` + os.Getenv("DISPLAY") + `"`)
	}
	static := C.int(0)
	if staticGravity {
		static = 1
	}
	id := C.mdCreateMapped(d, C.int(x), C.int(y), C.int(w), C.int(h), static)
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
