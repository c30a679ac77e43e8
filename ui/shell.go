package ui

import (
	"fmt"
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
)

// EnvScreen picks the first screen, overriding the remembered one; the
// screenshot script uses it to photograph each screen.
const EnvScreen = "MESHDROP_SCREEN"

// Default window size for a first run.
const defaultWidth, defaultHeight = 1100, 720

// mainWindow is the window's frame: navigation between the screens, the
// status line and the shortcuts. Window position is not remembered: Fyne
// 2.7 has no API to read or set it (the window manager places the window).
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
	return mw
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

// close remembers the window's size and stops the screens' subscriptions.
func (mw *mainWindow) close() {
	size := mw.win.Canvas().Size()
	if size.Width > 0 && size.Height > 0 {
		mw.app.Preferences().SetFloat(prefWidth, float64(size.Width))
		mw.app.Preferences().SetFloat(prefHeight, float64(size.Height))
	}
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
	if mw.svc != nil && mw.svc.Core != nil && !mw.svc.Core.Settings.NotificationsOn() {
		return
	}
	mw.app.SendNotification(fyne.NewNotification(title, body))
}
