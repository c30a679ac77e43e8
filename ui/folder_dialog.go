package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	fdialog "fyne.io/fyne/v2/dialog"
	sqdialog "github.com/sqweek/dialog"
)

// chooseFolder asks for a folder with the native dialog (sqweek/dialog, as
// Generate does for images) off the UI goroutine, falling back to Fyne's
// own when there is no native one. chosen runs on the UI goroutine with the
// folder's path; nothing runs when the dialog is cancelled.
func chooseFolder(win fyne.Window, title, startDir string, chosen func(path string)) {
	go func() {
		b := sqdialog.Directory().Title(title)
		if startDir != "" {
			b = b.SetStartDir(startDir)
		}
		path, err := b.Browse()
		if errors.Is(err, sqdialog.ErrCancelled) {
			return
		}
		if err == nil {
			fyne.Do(func() { chosen(path) })
			return
		}
		fyne.Do(func() { chooseFolderWithFyne(win, chosen) })
	}()
}

func chooseFolderWithFyne(win fyne.Window, chosen func(path string)) {
	d := fdialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err != nil || dir == nil {
			return
		}
		chosen(dir.Path())
	}, win)
	d.Show()
}
