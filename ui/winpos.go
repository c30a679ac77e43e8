package ui

import "errors"

// Window position: Fyne 2.7 can neither read nor set where a window is, so
// the window's native handle (driver.NativeWindow) is used on the platforms
// that allow it: X11 (winpos_x11.go) and Windows (winpos_windows.go). Every
// platform file provides, for the UI goroutine:
//
//	windowPosition(w fyne.Window) (x, y int, err error)
//	moveWindow(w fyne.Window, x, y int) error
//
// Positions are the top-left corner of the window's frame (title bar and
// borders included) in desktop pixels, so that reading one and setting it
// again puts the window back where it was rather than a title bar lower.

// The spot that must be on a screen for a saved position to be restored: a
// little right of and below the frame's corner, inside the title bar where
// the user grabs the window. A corner just off the edge (a window pushed
// slightly past the left of the screen) is fine; a position on a monitor
// that is no longer plugged in is not.
const grabSpotX, grabSpotY = 32, 16

var (
	// errWindowNotReady: the native window does not exist (yet, or any
	// more); try again once it is shown.
	errWindowNotReady = errors.New("the window has not been created yet")
	// errOffScreen: the position's grab spot is on no screen now.
	errOffScreen = errors.New("that position is on no screen now")
	// errPositionUnsupported: this platform or driver cannot place windows.
	errPositionUnsupported = errors.New("window positions are not supported here")
)
