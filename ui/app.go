// Package ui is Meshdrop's desktop window (Fyne only): Generate, Jobs, Gallery,
// Keys and Settings, and the orbit preview widget over the software renderer.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/app"
)

// Run builds the main window on a and shows it until the user quits. files are
// paths passed on the command line ("Open with").
func Run(a fyne.App, core *app.App, files []string) {
	w := a.NewWindow("Meshdrop")
	w.SetContent(container.NewBorder(nil, nil, nil, nil, widget.NewLabel("Meshdrop")))
	w.Resize(fyne.NewSize(1100, 720))
	w.ShowAndRun()
}
