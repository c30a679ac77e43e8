package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// The placement goes in with one change notification (so Fyne writes its
// file once, with every value), and none when nothing changed.
func TestSetPreferencesOneChange(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	changes := 0
	p.AddChangeListener(func() { changes++ })

	setPreferences(p, map[string]any{prefWidth: 900.0, prefHeight: 600.0, prefX: -40, prefY: 25})
	if changes != 1 {
		t.Errorf("%d change notifications for one placement, want 1", changes)
	}
	if w, h := p.Float(prefWidth), p.Float(prefHeight); w != 900 || h != 600 {
		t.Errorf("size %vx%v, want 900x600", w, h)
	}
	if x, y := p.IntWithFallback(prefX, noPosition), p.IntWithFallback(prefY, noPosition); x != -40 || y != 25 {
		t.Errorf("position %d,%d, want -40,25", x, y)
	}

	setPreferences(p, map[string]any{prefWidth: 900.0, prefHeight: 600.0, prefX: -40, prefY: 25})
	if changes != 1 {
		t.Errorf("the same placement again notified (%d changes): Fyne would rewrite its file on every focus change", changes)
	}
	setPreferences(p, map[string]any{prefX: -40, prefY: 26})
	if changes != 2 || p.Int(prefY) != 26 {
		t.Errorf("after moving 1 px: %d changes, y %d; want 2, 26", changes, p.Int(prefY))
	}
}

// On a window without a native handle (the test driver's; Wayland and macOS
// alike) the size is remembered, no position is invented, and restoring a
// saved one does nothing.
func TestPlacementWithoutNativeWindow(t *testing.T) {
	mw, w := newTestWindow(t, nil)
	w.Resize(fyne.NewSize(800, 500))
	mw.rememberPlacement()
	p := mw.app.Preferences()
	if got := p.Float(prefWidth); got != 800 {
		t.Errorf("remembered width %v, want 800", got)
	}
	if x := p.IntWithFallback(prefX, noPosition); x != noPosition {
		t.Errorf("a position (%d) was saved for a window that has none", x)
	}
	if _, _, err := windowPosition(w); err != errPositionUnsupported {
		t.Errorf("windowPosition(test window) = %v, want errPositionUnsupported", err)
	}
	p.SetInt(prefX, 100)
	p.SetInt(prefY, 100)
	mw.restorePosition() // must not fail or panic
}
