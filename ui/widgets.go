package ui

import (
	"fmt"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// newFormLayout is the two-column label/field layout every form uses.
func newFormLayout() fyne.Layout { return layout.NewFormLayout() }

// emptyState is a centred title and hint telling people how to fill a screen.
func emptyState(title, hint string, actions ...fyne.CanvasObject) fyne.CanvasObject {
	t := widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	h := widget.NewLabel(hint)
	h.Alignment = fyne.TextAlignCenter
	h.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(t, h)
	if len(actions) > 0 {
		box.Add(container.NewCenter(container.NewHBox(actions...)))
	}
	return container.NewCenter(container.New(layout.NewGridWrapLayout(fyne.NewSize(520, 160)), box))
}

// shortcutEntry is a text box that hands the window's shortcuts (Ctrl+Enter,
// Ctrl+F, Ctrl+1…5) on to the window: a focused Fyne entry otherwise takes
// every shortcut typed while it has focus. Esc leaves the box.
type shortcutEntry struct {
	widget.Entry
	mw *mainWindow
}

func newShortcutEntry(mw *mainWindow, multiLine bool) *shortcutEntry {
	e := &shortcutEntry{mw: mw}
	e.MultiLine = multiLine
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut runs window shortcuts, and the entry's own otherwise.
func (e *shortcutEntry) TypedShortcut(sc fyne.Shortcut) {
	if e.mw != nil && e.mw.runShortcut(sc) {
		return
	}
	e.Entry.TypedShortcut(sc)
}

// TypedKey lets Esc take the focus away (then Esc reaches the window).
func (e *shortcutEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && e.mw != nil {
		e.mw.win.Canvas().Unfocus()
		e.mw.onTypedKey(ev)
		return
	}
	e.Entry.TypedKey(ev)
}

// plural is "1 job" or "3 jobs".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// fixedNow, when set, is the time the screens show (elapsed times, ETAs,
// "this month", date filters): tests fix it so rendering masters do not
// change from run to run. Atomic because the screens read it from the UI
// goroutine while a test may set it.
var fixedNow atomic.Pointer[time.Time]

// now is the screens' clock: the wall clock unless a test fixed it.
func now() time.Time {
	if t := fixedNow.Load(); t != nil {
		return *t
	}
	return time.Now()
}
