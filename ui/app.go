// Package ui is Meshdrop's desktop window (Fyne only): Generate, Jobs, Gallery,
// Keys and Settings, and the orbit preview widget over the software renderer.
// Screens are built empty and filled when the core's stores have opened in
// the background, so the window never waits on the disk or the network.
package ui

import (
	"fyne.io/fyne/v2"

	"meshdrop/core/app"
)

// Run builds the main window on a and shows it until the user quits. files are
// paths passed on the command line ("Open with"): images go to Generate.
func Run(a fyne.App, core *app.App, files []string) {
	w := a.NewWindow("Meshdrop")
	mw := newMainWindow(a, w, core)
	mw.openInBackground(core, files)
	w.ShowAndRun()
	mw.close()
}
