package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// jobsScreen lists running and recent jobs with live progress.
type jobsScreen struct {
	mw   *mainWindow
	svc  *services
	view fyne.CanvasObject
	body *fyne.Container
}

func newJobsScreen(mw *mainWindow) *jobsScreen {
	j := &jobsScreen{mw: mw}
	j.body = container.NewStack(emptyState("No jobs yet", "Make a model on the Generate screen; its progress shows here."))
	j.view = j.body
	return j
}

func (j *jobsScreen) bind(svc *services) { j.svc = svc }
func (j *jobsScreen) reload()            {}
func (j *jobsScreen) stop()              {}
func (j *jobsScreen) runningCount() int  { return 0 }
