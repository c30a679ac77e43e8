package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// galleryScreen is the grid of every model in the library.
type galleryScreen struct {
	mw     *mainWindow
	svc    *services
	view   fyne.CanvasObject
	search *widget.Entry
}

func newGalleryScreen(mw *mainWindow) *galleryScreen {
	g := &galleryScreen{mw: mw}
	g.search = widget.NewEntry()
	g.search.SetPlaceHolder("Search prompts and tags")
	g.view = container.NewBorder(g.search, nil, nil, nil,
		emptyState("The gallery is empty", "Models you make on the Generate screen appear here."))
	return g
}

func (g *galleryScreen) bind(svc *services) { g.svc = svc }
func (g *galleryScreen) refresh()           {}
func (g *galleryScreen) stop()              {}
func (g *galleryScreen) clearSelection()    {}
func (g *galleryScreen) onDelete()          {}
