//go:build !wayland && (linux || freebsd || openbsd || netbsd)

package ui

/*
#cgo LDFLAGS: -lX11 -lXrandr
#include <stdlib.h>
#include <X11/Xlib.h>
#include <X11/Xatom.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xrandr.h>

// Xlib's default error handler exits the process. A window ID can go stale
// (the window closed) between Fyne handing it over and our request, so for
// the span of each of our calls a handler that only records the error is
// installed, and the previous one (GLFW's or the default) put back after.
static int mdXErrorCode;
static XErrorHandler mdPrevHandler;

static int mdRecordXError(Display *d, XErrorEvent *e) {
	(void)d;
	mdXErrorCode = e->error_code;
	return 0;
}

static Display *mdOpen(void) {
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) {
		return NULL;
	}
	mdXErrorCode = Success;
	mdPrevHandler = XSetErrorHandler(mdRecordXError);
	return d;
}

// mdClose waits for every request to be processed, restores the previous
// error handler and closes the connection; it returns the first X error.
static int mdClose(Display *d) {
	XSync(d, False);
	int code = mdXErrorCode;
	XSetErrorHandler(mdPrevHandler);
	XCloseDisplay(d);
	return code;
}

static int mdXError(void) { return mdXErrorCode; }

// mdFrameExtents reads the window manager's _NET_FRAME_EXTENTS (EWMH): the
// frame's left and top border around the client window. 0 when absent.
static int mdFrameExtents(Display *d, Window w, long *left, long *top) {
	Atom prop = XInternAtom(d, "_NET_FRAME_EXTENTS", True);
	if (prop == None) {
		return 0;
	}
	Atom type = None;
	int format = 0;
	unsigned long n = 0, after = 0;
	unsigned char *data = NULL;
	int ok = 0;
	if (XGetWindowProperty(d, w, prop, 0, 4, False, XA_CARDINAL, &type, &format, &n, &after, &data) == Success &&
	    type == XA_CARDINAL && format == 32 && n == 4 && data != NULL) {
		long *ext = (long *)data; // left, right, top, bottom
		*left = ext[0];
		*top = ext[2];
		ok = 1;
	}
	if (data != NULL) {
		XFree(data);
	}
	return ok;
}

// mdTopLevel is w's ancestor that is a child of the root window: the window
// manager's frame when it reparents, w itself when it does not.
static Window mdTopLevel(Display *d, Window w) {
	for (;;) {
		Window root = None, parent = None, *children = NULL;
		unsigned int n = 0;
		if (!XQueryTree(d, w, &root, &parent, &children, &n)) {
			return None;
		}
		if (children != NULL) {
			XFree(children);
		}
		if (parent == root || parent == None) {
			return w;
		}
		w = parent;
	}
}

// mdPlacement reads where w's client area is (cx, cy, root coordinates)
// and how far its frame reaches left of and above it (left, top; 0 without
// a window manager). 1 on success.
static int mdPlacement(Display *d, Window w, int *cx, int *cy, int *left, int *top) {
	XWindowAttributes a;
	if (!XGetWindowAttributes(d, w, &a)) {
		return 0;
	}
	Window child = None;
	if (!XTranslateCoordinates(d, w, a.root, 0, 0, cx, cy, &child)) {
		return 0;
	}
	long l = 0, t = 0;
	if (mdFrameExtents(d, w, &l, &t)) {
		*left = (int)l;
		*top = (int)t;
		return 1;
	}
	Window frame = mdTopLevel(d, w);
	if (frame == None) {
		return 0;
	}
	Window root = None;
	int fx = 0, fy = 0;
	unsigned int fw = 0, fh = 0, border = 0, depth = 0;
	if (!XGetGeometry(d, frame, &root, &fx, &fy, &fw, &fh, &border, &depth)) {
		return 0;
	}
	*left = *cx - fx;
	*top = *cy - fy;
	return 1;
}

// mdFramePosition: the top-left corner of w's frame relative to the root
// window. 1 on success.
static int mdFramePosition(Display *d, Window w, int *x, int *y) {
	int cx = 0, cy = 0, left = 0, top = 0;
	if (!mdPlacement(d, w, &cx, &cy, &left, &top)) {
		return 0;
	}
	*x = cx - left;
	*y = cy - top;
	return 1;
}

// mdMoveFrame asks for w's frame's top-left corner at x, y. Window managers
// read a move request by the window's gravity (ICCCM 4.1.2.3): for the
// default NorthWest it is the frame's corner, for Static (which GLFW sets on
// every window) the client area's, so there the frame's size is added.
// Other gravities are taken as NorthWest. 1 on success.
static int mdMoveFrame(Display *d, Window w, int x, int y) {
	XSizeHints hints;
	long supplied = 0;
	int gravity = NorthWestGravity;
	if (XGetWMNormalHints(d, w, &hints, &supplied) && (hints.flags & PWinGravity)) {
		gravity = hints.win_gravity;
	}
	if (gravity == StaticGravity) {
		int cx = 0, cy = 0, left = 0, top = 0;
		if (!mdPlacement(d, w, &cx, &cy, &left, &top)) {
			return 0;
		}
		x += left;
		y += top;
	}
	XMoveWindow(d, w, x, y);
	XFlush(d);
	return 1;
}

// mdScreens writes up to max monitors as x, y, width, height into out and
// returns how many: RandR 1.5 monitors when the server has them, else the
// whole root window as one screen.
static int mdScreens(Display *d, int *out, int max) {
	Window root = DefaultRootWindow(d);
	int n = 0, evBase = 0, errBase = 0, major = 0, minor = 0;
	if (XRRQueryExtension(d, &evBase, &errBase) && XRRQueryVersion(d, &major, &minor) &&
	    (major > 1 || (major == 1 && minor >= 5))) {
		int count = 0;
		XRRMonitorInfo *m = XRRGetMonitors(d, root, True, &count);
		if (m != NULL) {
			for (int i = 0; i < count && n < max; i++) {
				if (m[i].width <= 0 || m[i].height <= 0) {
					continue;
				}
				out[4 * n + 0] = m[i].x;
				out[4 * n + 1] = m[i].y;
				out[4 * n + 2] = m[i].width;
				out[4 * n + 3] = m[i].height;
				n++;
			}
			XRRFreeMonitors(m);
		}
	}
	if (n == 0 && max > 0) {
		int s = DefaultScreen(d);
		out[0] = 0;
		out[1] = 0;
		out[2] = DisplayWidth(d, s);
		out[3] = DisplayHeight(d, s);
		n = 1;
	}
	return n;
}
*/
import "C"

import (
	"fmt"
	"image"
	"os"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// Window position on X11 (Linux and the BSDs without the wayland tag).
//
// Each call opens its own short-lived connection to the X server (window IDs
// are server-global, so GLFW's window is reachable from it) and closes it
// before returning; nothing is kept open. Without DISPLAY, or with a server
// that cannot be reached, the calls return an error and the window manager
// places the window as usual.
//
// Reading: the client window's origin is translated to root coordinates
// (XTranslateCoordinates), then moved up and left by the frame the window
// manager drew around it. The frame comes from _NET_FRAME_EXTENTS (EWMH, set
// by GNOME, KDE, Xfce, Openbox and most others); for a window manager without
// it, the frame is the window's top-level ancestor (the child of the root
// window a reparenting manager puts it in), whose position is read instead.
// Without a window manager the window is its own top level.
//
// Setting: XMoveWindow on the client window. Under a window manager this is a
// configure request, read by the window's gravity (ICCCM): with the default
// NorthWest the frame's top-left corner goes to the requested spot; with
// Static, which GLFW sets on its windows, the client area's does, so the
// frame's left and top size are added (without that the window crept up
// by its title bar at every start under Openbox). Without a window manager
// the window itself moves there.
//
// Screens: RandR 1.5 monitors (each plugged-in monitor's rectangle); on a
// server without RandR 1.5 the root window (all monitors' bounding box, so a
// gap between two monitors of different sizes counts as on-screen there).
// Only the default X screen is considered (one X screen per display is the
// norm since RandR; "Zaphod" multi-screen setups are not handled).

// maxScreens bounds the monitors read from the server.
const maxScreens = 16

// x11Mu serialises the calls: the error handler and its recorded error are
// process-wide C state.
var x11Mu sync.Mutex

// withX11 runs fn on a new connection to the X server, then closes it. An X
// protocol error during fn (a window that no longer exists) is returned.
func withX11(fn func(d *C.Display) error) error {
	x11Mu.Lock()
	defer x11Mu.Unlock()
	d := C.mdOpen()
	if d == nil {
		return fmt.Errorf("cannot open the X display %q", os.Getenv("DISPLAY"))
	}
	err := fn(d)
	if code := C.mdClose(d); code != C.Success && err == nil {
		err = fmt.Errorf("the X server reported error %d", int(code))
	}
	return err
}

// x11FramePosition returns the top-left corner of window win's frame in root
// window coordinates.
func x11FramePosition(win uintptr) (x, y int, err error) {
	err = withX11(func(d *C.Display) error {
		var cx, cy C.int
		if C.mdFramePosition(d, C.Window(win), &cx, &cy) == 0 {
			return fmt.Errorf("cannot read the position of X window %#x (X error %d)", win, int(C.mdXError()))
		}
		x, y = int(cx), int(cy)
		return nil
	})
	return x, y, err
}

// x11Screens returns the monitors' rectangles in root window coordinates.
func x11Screens() ([]image.Rectangle, error) {
	var screens []image.Rectangle
	err := withX11(func(d *C.Display) error {
		screens = readScreens(d)
		return nil
	})
	return screens, err
}

func readScreens(d *C.Display) []image.Rectangle {
	var buf [4 * maxScreens]C.int
	n := int(C.mdScreens(d, &buf[0], maxScreens))
	screens := make([]image.Rectangle, 0, n)
	for i := range n {
		x, y, w, h := int(buf[4*i]), int(buf[4*i+1]), int(buf[4*i+2]), int(buf[4*i+3])
		screens = append(screens, image.Rect(x, y, x+w, y+h))
	}
	return screens
}

// onSomeScreen reports whether the grab spot of a frame whose corner is at
// x, y lies on one of screens.
func onSomeScreen(screens []image.Rectangle, x, y int) bool {
	spot := image.Pt(x+grabSpotX, y+grabSpotY)
	for _, s := range screens {
		if spot.In(s) {
			return true
		}
	}
	return false
}

// x11MoveFrame puts the top-left corner of window win's frame at x, y, or
// returns errOffScreen (and leaves the window alone) when that spot is on no
// monitor now.
func x11MoveFrame(win uintptr, x, y int) error {
	return withX11(func(d *C.Display) error {
		if !onSomeScreen(readScreens(d), x, y) {
			return fmt.Errorf("%w: %d,%d", errOffScreen, x, y)
		}
		if C.mdMoveFrame(d, C.Window(win), C.int(x), C.int(y)) == 0 {
			return fmt.Errorf("cannot move X window %#x (X error %d)", win, int(C.mdXError()))
		}
		return nil
	})
}

// x11Handle is w's X window ID (UI goroutine).
func x11Handle(w fyne.Window) (uintptr, error) {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return 0, errPositionUnsupported
	}
	var handle uintptr
	supported := false
	nw.RunNative(func(ctx any) {
		if c, ok := ctx.(driver.X11WindowContext); ok {
			supported, handle = true, c.WindowHandle
		}
	})
	if !supported {
		return 0, errPositionUnsupported
	}
	if handle == 0 {
		return 0, errWindowNotReady
	}
	return handle, nil
}

// windowPosition returns the top-left corner of w's frame (UI goroutine).
func windowPosition(w fyne.Window) (x, y int, err error) {
	win, err := x11Handle(w)
	if err != nil {
		return 0, 0, err
	}
	return x11FramePosition(win)
}

// moveWindow puts the top-left corner of w's frame at x, y unless that is
// off every monitor now (UI goroutine).
func moveWindow(w fyne.Window, x, y int) error {
	win, err := x11Handle(w)
	if err != nil {
		return err
	}
	return x11MoveFrame(win, x, y)
}
