//go:build !wayland && (linux || freebsd || openbsd || netbsd)

// Package x11test makes plain Xlib windows for the tests of the window
// position code in ui (cgo cannot be used in _test.go files). Only tests
// import it, so the application does not carry it.
package x11test

/*
#cgo LDFLAGS: -lX11 -lXrandr
#include <stdlib.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xrandr.h>

// mdSetMonitor makes a RandR 1.5 monitor named name, at x, y, w×h, out of
// the screen's first output, which replaces the output's own monitor (as
// `xrandr --setmonitor name w/mmxh/mm+x+y OUTPUT` does). 1 on success.
static int mdSetMonitor(Display *d, const char *name, int x, int y, int w, int h) {
	Window root = DefaultRootWindow(d);
	XRRScreenResources *res = XRRGetScreenResources(d, root);
	if (res == NULL) {
		return 0;
	}
	if (res->noutput < 1) {
		XRRFreeScreenResources(res);
		return 0;
	}
	XRRMonitorInfo *m = XRRAllocateMonitor(d, 1);
	m->name = XInternAtom(d, name, False);
	m->x = x;
	m->y = y;
	m->width = w;
	m->height = h;
	m->mwidth = w / 4; // millimetres: any plausible size
	m->mheight = h / 4;
	m->outputs[0] = res->outputs[0];
	XRRSetMonitor(d, root, m);
	XSync(d, False);
	XFree(m);
	XRRFreeScreenResources(res);
	return 1;
}

static void mdDeleteMonitor(Display *d, const char *name) {
	XRRDeleteMonitor(d, DefaultRootWindow(d), XInternAtom(d, name, False));
	XSync(d, False);
}

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
	"sync"
	"unsafe"
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

// SetMonitor replaces the X server's monitor with one named name covering
// only x, y, w×h of the screen, as if the rest were on a monitor that has
// been unplugged. The returned function puts the server back. It changes the
// whole server's monitors: use it on a private test server only. restore
// may be called more than once.
func SetMonitor(name string, x, y, w, h int) (restore func(), err error) {
	d := C.XOpenDisplay(nil)
	if d == nil {
		return nil, errors.New("cannot open the X display " + `"` + os.Getenv("DISPLAY") + `"`)
	}
	cname := C.CString(name)
	if C.mdSetMonitor(d, cname, C.int(x), C.int(y), C.int(w), C.int(h)) == 0 {
		C.free(unsafe.Pointer(cname))
		C.XCloseDisplay(d)
		return nil, errors.New("the X server has no RandR output to make a monitor of")
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			C.mdDeleteMonitor(d, cname)
			C.free(unsafe.Pointer(cname))
			C.XCloseDisplay(d)
		})
	}, nil
}
