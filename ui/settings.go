package ui

import (
	"fyne.io/fyne/v2"

	"meshdrop/core/app"
)

// settingsScreen edits the user's settings.
type settingsScreen struct {
	mw   *mainWindow
	svc  *services
	view fyne.CanvasObject
}

func newSettingsScreen(mw *mainWindow, core *app.App) *settingsScreen {
	s := &settingsScreen{mw: mw}
	s.view = emptyState("Settings", "Loading…")
	return s
}

func (s *settingsScreen) bind(svc *services) { s.svc = svc }
