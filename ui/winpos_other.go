//go:build !windows && !(!wayland && (linux || freebsd || openbsd || netbsd))

package ui

import "fyne.io/fyne/v2"

// Window position is not remembered here:
//   - Wayland forbids clients to read or choose their windows' position (the
//     compositor alone places windows), so there is nothing to save.
//   - macOS would need Objective-C against the NSWindow from
//     driver.MacWindowContext (frame and setFrameOrigin:, with screens from
//     NSScreen); that was not done.
//   - Other drivers (mobile, web) have no movable windows.
//
// The window opens where the window manager puts it; its size and last
// screen are still remembered (shell.go).

func windowPosition(fyne.Window) (x, y int, err error) {
	return 0, 0, errPositionUnsupported
}

func moveWindow(fyne.Window, int, int) error {
	return errPositionUnsupported
}
