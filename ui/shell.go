package ui

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/app"
)

// Screen names: preference values, MESHDROP_SCREEN values and tab order.
const (
	screenGenerate = "generate"
	screenJobs     = "jobs"
	screenGallery  = "gallery"
	screenKeys     = "keys"
	screenSettings = "settings"
)

var screenOrder = []string{screenGenerate, screenJobs, screenGallery, screenKeys, screenSettings}

// Preference keys (fyne Preferences, per app ID).
const (
	prefWidth      = "window.width"
	prefHeight     = "window.height"
	prefLastScreen = "window.screen"
	prefX          = "window.x" // top-left corner of the frame, desktop pixels
	prefY          = "window.y"
)

// noPosition stands for "no position saved" in the int preferences (any real
// position, even on a monitor left of or above the main one, is far from it).
const noPosition = math.MinInt32

// EnvScreen picks the first screen, overriding the remembered one; the
// screenshot script uses it to photograph each screen.
const EnvScreen = "MESHDROP_SCREEN"

// Default window size for a first run.
const defaultWidth, defaultHeight = 1100, 720

// mainWindow is the window's frame: navigation between the screens, the
// status line and the shortcuts. It remembers the window's size, last screen
// and position. Fyne 2.7 has no API for the position, so it goes through the
// native window (winpos_*.go: X11 and Windows; elsewhere the window manager
// places the window).
type mainWindow struct {
	app fyne.App
	win fyne.Window
	svc *services

	tabs     *container.AppTabs
	generate *generateScreen
	jobs     *jobsScreen
	gallery  *galleryScreen
	keys     *keysScreen
	settings *settingsScreen

	status    *widget.Label
	shortcuts map[string]func() // window shortcuts by ShortcutName
}

// newMainWindow builds every screen empty (services not open yet) on w.
func newMainWindow(a fyne.App, w fyne.Window, core *app.App) *mainWindow {
	mw := &mainWindow{app: a, win: w, status: widget.NewLabel("Opening the library…")}
	mw.status.Truncation = fyne.TextTruncateEllipsis
	mw.generate = newGenerateScreen(mw)
	mw.jobs = newJobsScreen(mw)
	mw.gallery = newGalleryScreen(mw)
	mw.keys = newKeysScreen(mw)
	mw.settings = newSettingsScreen(mw, core)

	mw.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Generate", theme.MediaPlayIcon(), mw.generate.view),
		container.NewTabItemWithIcon("Jobs", theme.ListIcon(), mw.jobs.view),
		container.NewTabItemWithIcon("Gallery", theme.GridIcon(), mw.gallery.view),
		container.NewTabItemWithIcon("Keys", theme.AccountIcon(), mw.keys.view),
		container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), mw.settings.view),
	)
	mw.tabs.SetTabLocation(container.TabLocationLeading)
	mw.tabs.OnSelected = mw.onScreenSelected

	statusBar := container.NewBorder(widget.NewSeparator(), nil, nil, nil, mw.status)
	w.SetContent(container.NewBorder(nil, statusBar, nil, nil, mw.tabs))
	w.SetOnDropped(mw.onDropped)
	mw.addShortcuts()

	p := a.Preferences()
	w.Resize(fyne.NewSize(
		float32(p.FloatWithFallback(prefWidth, defaultWidth)),
		float32(p.FloatWithFallback(prefHeight, defaultHeight))))
	first := p.StringWithFallback(prefLastScreen, screenGenerate)
	if env := strings.ToLower(strings.TrimSpace(os.Getenv(EnvScreen))); env != "" {
		first = env
	}
	mw.show(first)

	// Size and position are saved while the native window exists and the
	// main loop runs: when the window is closed (Fyne calls OnClosed before
	// destroying it) and whenever the app loses focus (Fyne also calls that
	// on Quit, e.g. SIGTERM, when the window had focus). Fyne writes the
	// preferences file once more when the loop stops; values set after
	// ShowAndRun returns (close) may miss that write, and the window is gone.
	w.SetOnClosed(mw.rememberPlacement)
	a.Lifecycle().SetOnExitedForeground(mw.rememberPlacement)
	// Restored once the main loop starts: Show (in ShowAndRun) creates and
	// maps the native window synchronously before the loop, so the window
	// exists by then, and it is moved before the first frames are drawn.
	a.Lifecycle().SetOnStarted(mw.restorePosition)
	return mw
}

// rememberPlacement saves the window's size and where its frame is (UI
// goroutine). Where the position cannot be read (not supported here, window
// gone, no X server) the last saved one is kept.
func (mw *mainWindow) rememberPlacement() {
	values := mw.sizeValues()
	if x, y, err := windowPosition(mw.win); err == nil {
		values[prefX], values[prefY] = x, y
	}
	setPreferences(mw.app.Preferences(), values)
}

// rememberSize saves the canvas size (not before it has one).
func (mw *mainWindow) rememberSize() {
	setPreferences(mw.app.Preferences(), mw.sizeValues())
}

// sizeValues is the canvas size as preference values (none before it has
// a size).
func (mw *mainWindow) sizeValues() map[string]any {
	values := map[string]any{}
	if size := mw.win.Canvas().Size(); size.Width > 0 && size.Height > 0 {
		values[prefWidth], values[prefHeight] = float64(size.Width), float64(size.Height)
	}
	return values
}

// setPreferences sets int and float64 preferences together. Fyne writes its
// preferences file on the first change and defers changes made in the next
// 100 ms; at exit, its file watcher can reload the first write over the
// deferred values (seen here: x saved, y lost, in 3 closes out of 18). So
// the values go in with one change notification, so one write, through the
// WriteValues that Fyne's preferences have (the app's and the test
// driver's), and only when one differs; one Set per value otherwise.
func setPreferences(p fyne.Preferences, values map[string]any) {
	changed := false
	for k, v := range values {
		switch v := v.(type) {
		case int:
			changed = changed || p.IntWithFallback(k, noPosition) != v
		case float64:
			changed = changed || p.FloatWithFallback(k, math.NaN()) != v
		}
	}
	if !changed {
		return
	}
	if batch, ok := p.(interface{ WriteValues(func(map[string]any)) }); ok {
		batch.WriteValues(func(stored map[string]any) { maps.Copy(stored, values) })
		return
	}
	for k, v := range values {
		switch v := v.(type) {
		case int:
			p.SetInt(k, v)
		case float64:
			p.SetFloat(k, v)
		}
	}
}

// restorePosition moves the window back to its saved position (UI
// goroutine), unless that position is on no screen now (a monitor was
// unplugged): then the window manager's placement stands.
func (mw *mainWindow) restorePosition() {
	p := mw.app.Preferences()
	x, y := p.IntWithFallback(prefX, noPosition), p.IntWithFallback(prefY, noPosition)
	if x == noPosition || y == noPosition {
		return
	}
	err := moveWindow(mw.win, x, y)
	if err != nil && !errors.Is(err, errPositionUnsupported) && !errors.Is(err, errOffScreen) {
		fyne.LogError("Could not put the window back where it was", err)
	}
}

// openInBackground opens the core's stores off the UI goroutine and binds the
// screens to them when ready; files from "Open with" then go to Generate.
func (mw *mainWindow) openInBackground(core *app.App, files []string) {
	go func() {
		svc := openServices(core)
		fyne.Do(func() {
			mw.bind(svc)
			if len(files) > 0 {
				mw.openPaths(files)
			}
		})
	}()
}

// bind hands the opened stores to every screen (UI goroutine).
func (mw *mainWindow) bind(svc *services) {
	mw.svc = svc
	mw.generate.bind(svc)
	mw.jobs.bind(svc)
	mw.gallery.bind(svc)
	mw.keys.bind(svc)
	mw.settings.bind(svc)
	mw.refreshStatus()
	if mw.current() == screenGenerate {
		mw.win.Canvas().Focus(mw.generate.prompt)
	}
}

// close remembers the window's size once more and stops the screens'
// subscriptions (after ShowAndRun; see rememberPlacement for why the
// placement is saved before).
func (mw *mainWindow) close() {
	mw.rememberSize()
	mw.jobs.stop()
	mw.gallery.stop()
}

// show selects a screen by name (unknown names are ignored).
func (mw *mainWindow) show(name string) {
	for i, n := range screenOrder {
		if n == name {
			mw.tabs.SelectIndex(i)
			return
		}
	}
}

// current is the selected screen's name.
func (mw *mainWindow) current() string {
	i := mw.tabs.SelectedIndex()
	if i < 0 || i >= len(screenOrder) {
		return ""
	}
	return screenOrder[i]
}

func (mw *mainWindow) onScreenSelected(*container.TabItem) {
	name := mw.current()
	mw.app.Preferences().SetString(prefLastScreen, name)
	switch name {
	case screenGallery:
		mw.gallery.refresh()
	case screenKeys:
		mw.keys.refresh()
	case screenGenerate:
		mw.generate.refreshKeys()
	case screenSettings:
		mw.settings.drawBudgets()
	}
}

// onDropped takes files dropped anywhere on the window: GLB models (and
// folders) are imported into the Gallery, images go to Generate.
func (mw *mainWindow) onDropped(_ fyne.Position, uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	mw.openPaths(paths)
}

// openPaths routes dropped or "Open with" files by kind.
func (mw *mainWindow) openPaths(paths []string) {
	var models, images []string
	for _, p := range paths {
		if isModelPath(p) {
			models = append(models, p)
		} else {
			images = append(images, p)
		}
	}
	if len(models) > 0 {
		mw.show(screenGallery)
		mw.gallery.importModels(models)
	}
	if len(images) > 0 {
		mw.show(screenGenerate)
		mw.generate.addPaths(images)
	}
}

// isModelPath: a .glb file or a folder (searched for .glb files).
func isModelPath(p string) bool {
	if strings.EqualFold(filepath.Ext(p), ".glb") {
		return true
	}
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// addShortcuts: Ctrl+Enter generate, Ctrl+F search, Ctrl+1…5 screens, Esc
// and Delete (Gallery). They are kept by name too, so text boxes (which
// take every shortcut while focused) can hand them on: see shortcutEntry.
func (mw *mainWindow) addShortcuts() {
	mw.shortcuts = map[string]func(){}
	c := mw.win.Canvas()
	mod := fyne.KeyModifierShortcutDefault
	add := func(k fyne.KeyName, fn func()) {
		sc := &desktop.CustomShortcut{KeyName: k, Modifier: mod}
		mw.shortcuts[sc.ShortcutName()] = fn
		c.AddShortcut(sc, func(fyne.Shortcut) { fn() })
	}
	add(fyne.KeyReturn, mw.shortcutGenerate)
	add(fyne.KeyEnter, mw.shortcutGenerate)
	add(fyne.KeyF, mw.shortcutSearch)
	for i, k := range []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5} {
		name := screenOrder[i]
		add(k, func() { mw.show(name) })
	}
	c.SetOnTypedKey(mw.onTypedKey)
}

// runShortcut runs a window shortcut by its name; false when it is not one.
func (mw *mainWindow) runShortcut(sc fyne.Shortcut) bool {
	fn, ok := mw.shortcuts[sc.ShortcutName()]
	if ok {
		fn()
	}
	return ok
}

func (mw *mainWindow) shortcutGenerate() {
	mw.show(screenGenerate)
	mw.generate.onGenerate()
}

func (mw *mainWindow) shortcutSearch() {
	mw.show(screenGallery)
	mw.win.Canvas().Focus(mw.gallery.search)
}

// onTypedKey handles keys typed outside a focused widget.
func (mw *mainWindow) onTypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		mw.win.Canvas().Unfocus()
		if mw.current() == screenGallery {
			mw.gallery.clearSelection()
		}
	case fyne.KeyDelete:
		if mw.current() == screenGallery {
			mw.gallery.onDelete()
		}
	}
}

// refreshStatus redraws the status line: running jobs and the selected key's
// credits.
func (mw *mainWindow) refreshStatus() {
	parts := []string{}
	n := mw.jobs.runningCount()
	switch n {
	case 0:
		parts = append(parts, "No jobs running")
	case 1:
		parts = append(parts, "1 job running")
	default:
		parts = append(parts, fmt.Sprintf("%d jobs running", n))
	}
	parts = append(parts, mw.generate.creditsText())
	if mw.svc != nil && mw.svc.LibErr != nil {
		parts = append(parts, "Library: "+mw.svc.LibErr.Error())
	}
	mw.status.SetText(strings.Join(parts, "  ·  "))
}

// notify shows a desktop notification when the settings allow it.
func (mw *mainWindow) notify(title, body string) {
	if mw.svc != nil && mw.svc.Core != nil && !mw.svc.Core.Current().NotificationsOn() {
		return
	}
	mw.app.SendNotification(fyne.NewNotification(title, body))
}
