package ui

import (
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
