package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// newTestWindow builds the main window on Fyne's test driver, bound to svc.
// The test goroutine is the UI thread from then on (see serial_test.go).
func newTestWindow(t *testing.T, svc *services) (*mainWindow, fyne.Window) {
	t.Helper()
	a := newTestApp(t) // the test is the UI thread from here on
	w := test.NewTempWindow(t, nil)
	mw := newMainWindow(a, w, nil)
	if svc != nil {
		mw.bind(svc)
	}
	w.Resize(fyne.NewSize(defaultWidth, defaultHeight))
	// Stop the screens' tickers and subscriptions, as closing the window does.
	t.Cleanup(mw.close)
	return mw, w
}

func TestShellShortcutsSwitchScreensAndRemember(t *testing.T) {
	mw, w := newTestWindow(t, nil)
	if got := mw.current(); got != screenGenerate {
		t.Fatalf("first screen = %q, want generate", got)
	}
	keyOf := []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5}
	for _, i := range []int{1, 2, 3, 0, 4} {
		want, key := screenOrder[i], keyOf[i]
		w.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault})
		if got := mw.current(); got != want {
			t.Fatalf("Ctrl+%d: screen = %q, want %q", i+1, got, want)
		}
		if got := mw.app.Preferences().String(prefLastScreen); got != want {
			t.Fatalf("remembered screen = %q, want %q", got, want)
		}
	}
	// A new window on the same preferences opens where the last one was.
	w2 := test.NewTempWindow(t, nil)
	mw2 := newMainWindow(mw.app, w2, nil)
	if got := mw2.current(); got != screenSettings {
		t.Fatalf("reopened on %q, want settings", got)
	}
}

func TestShellRemembersSize(t *testing.T) {
	mw, w := newTestWindow(t, nil)
	w.Resize(fyne.NewSize(900, 600))
	mw.close()
	if got := mw.app.Preferences().Float(prefWidth); got != 900 {
		t.Fatalf("remembered width = %v, want 900", got)
	}
}

func TestShellEnvScreen(t *testing.T) {
	t.Setenv(EnvScreen, "Gallery")
	mw, _ := newTestWindow(t, nil)
	if got := mw.current(); got != screenGallery {
		t.Fatalf("MESHDROP_SCREEN=Gallery opened %q", got)
	}
}

func TestShellCtrlFFocusesSearch(t *testing.T) {
	mw, w := newTestWindow(t, nil)
	w.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault})
	if mw.current() != screenGallery {
		t.Fatalf("Ctrl+F opened %q, want gallery", mw.current())
	}
	if w.Canvas().Focused() != mw.gallery.search {
		t.Fatalf("Ctrl+F did not focus the gallery search")
	}
	test.Type(mw.gallery.search, "crate")
	if mw.gallery.search.Text != "crate" {
		t.Fatalf("typed into search: %q", mw.gallery.search.Text)
	}
}

func TestShellStatusBeforeServicesOpen(t *testing.T) {
	mw, _ := newTestWindow(t, nil)
	if mw.status.Text == "" {
		t.Fatal("empty status line")
	}
	mw.bind(openServices(nil))
	if got := mw.status.Text; got == "" || got == "Opening the library…" {
		t.Fatalf("status after bind = %q", got)
	}
}
