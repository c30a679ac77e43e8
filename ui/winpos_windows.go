//go:build windows

package ui

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// Window position on Windows, through user32.dll (no cgo, no new module).
// GetWindowRect and SetWindowPos both work on the outer rectangle (title
// bar and borders, including Windows 10's invisible resize borders), so a
// position read and set again lands in the same place. Both use the
// process's DPI awareness (GLFW's), so they agree with each other.

var (
	user32               = syscall.NewLazyDLL("user32.dll")
	procGetWindowRect    = user32.NewProc("GetWindowRect")
	procSetWindowPos     = user32.NewProc("SetWindowPos")
	procMonitorFromPoint = user32.NewProc("MonitorFromPoint")
	procIsIconic         = user32.NewProc("IsIconic")
)

// Win32 constants (WinUser.h).
const (
	swpNoSize            = 0x0001
	swpNoZOrder          = 0x0004
	swpNoActivate        = 0x0010
	monitorDefaultToNull = 0x0000
)

// winRect is the Win32 RECT.
type winRect struct {
	Left, Top, Right, Bottom int32
}

// hwndOf is w's native window handle (UI goroutine).
func hwndOf(w fyne.Window) (uintptr, error) {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return 0, errPositionUnsupported
	}
	var hwnd uintptr
	supported := false
	nw.RunNative(func(ctx any) {
		if c, ok := ctx.(driver.WindowsWindowContext); ok {
			supported, hwnd = true, c.HWND
		}
	})
	if !supported {
		return 0, errPositionUnsupported
	}
	if hwnd == 0 {
		return 0, errWindowNotReady
	}
	return hwnd, nil
}

// windowPosition returns the top-left corner of w's outer rectangle (UI
// goroutine). A minimised window reports -32000,-32000, which is no place
// to come back to: that is an error, so the last saved position is kept.
func windowPosition(w fyne.Window) (x, y int, err error) {
	hwnd, err := hwndOf(w)
	if err != nil {
		return 0, 0, err
	}
	if iconic, _, _ := procIsIconic.Call(hwnd); iconic != 0 {
		return 0, 0, errors.New("the window is minimised")
	}
	var r winRect
	if ok, _, callErr := procGetWindowRect.Call(hwnd, uintptr(unsafe.Pointer(&r))); ok == 0 {
		return 0, 0, fmt.Errorf("GetWindowRect: %w", callErr)
	}
	return int(r.Left), int(r.Top), nil
}

// monitorAt reports whether a monitor shows the point x, y.
func monitorAt(x, y int) bool {
	// MonitorFromPoint takes a POINT (two int32) by value: one 64-bit
	// register on amd64 and arm64 (x in the low half), two 32-bit argument
	// slots on 386 and arm.
	var hmon uintptr
	if unsafe.Sizeof(uintptr(0)) == 8 {
		pt := uint64(uint32(int32(x))) | uint64(uint32(int32(y)))<<32
		hmon, _, _ = procMonitorFromPoint.Call(uintptr(pt), monitorDefaultToNull)
	} else {
		hmon, _, _ = procMonitorFromPoint.Call(uintptr(uint32(int32(x))), uintptr(uint32(int32(y))), monitorDefaultToNull)
	}
	return hmon != 0
}

// moveWindow puts the top-left corner of w's outer rectangle at x, y unless
// its grab spot is on no monitor now (UI goroutine).
func moveWindow(w fyne.Window, x, y int) error {
	hwnd, err := hwndOf(w)
	if err != nil {
		return err
	}
	if !monitorAt(x+grabSpotX, y+grabSpotY) {
		return fmt.Errorf("%w: %d,%d", errOffScreen, x, y)
	}
	if ok, _, callErr := procSetWindowPos.Call(hwnd, 0, uintptr(int32(x)), uintptr(int32(y)), 0, 0,
		swpNoSize|swpNoZOrder|swpNoActivate); ok == 0 {
		return fmt.Errorf("SetWindowPos: %w", callErr)
	}
	return nil
}
