package ui

import (
	"fyne.io/fyne/v2"
)

// keysScreen manages the provider keys.
type keysScreen struct {
	mw   *mainWindow
	svc  *services
	view fyne.CanvasObject
}

func newKeysScreen(mw *mainWindow) *keysScreen {
	k := &keysScreen{mw: mw}
	k.view = emptyState("No keys yet", "Add the API key from your Meshy, Tripo, Rodin or GenX3D account. The Sandbox needs none.")
	return k
}

func (k *keysScreen) bind(svc *services) { k.svc = svc }
func (k *keysScreen) refresh()           {}
