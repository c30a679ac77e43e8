package ui

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/jobs"
	"meshdrop/core/library"
	"meshdrop/core/provider"
)

// recentJobs is how many jobs the Jobs screen lists (running ones always).
const recentJobs = 200

// uiRefreshEvery throttles redraws from background updates.
const uiRefreshEvery = 100 * time.Millisecond

// jobsScreen lists running and recent jobs with live progress, and acts on
// the selected one: cancel, retry, reconcile, open the result.
type jobsScreen struct {
	mw   *mainWindow
	svc  *services
	view fyne.CanvasObject

	list   *widget.List
	stack  *fyne.Container // the list or the empty state
	empty  fyne.CanvasObject
	detail *fyne.Container

	rows     []library.Job // newest first
	selected string
	notes    map[string]string // job ID → last note for people (a refused cancel)

	// Updates from the runner and the library arrive on other goroutines;
	// they are gathered here and applied on the UI goroutine at most every
	// uiRefreshEvery.
	pendMu    sync.Mutex
	pending   map[string]library.Job
	scheduled bool

	unsubscribe func()
	stopTick    chan struct{}
}

func newJobsScreen(mw *mainWindow) *jobsScreen {
	j := &jobsScreen{mw: mw, notes: map[string]string{}, pending: map[string]library.Job{}}
	j.list = widget.NewList(j.length, j.createRow, j.updateRow)
	j.list.OnSelected = j.onSelected
	j.list.OnUnselected = func(widget.ListItemID) { j.selected = ""; j.showDetail() }
	goGenerate := widget.NewButtonWithIcon("Go to Generate", theme.MediaPlayIcon(), func() { mw.show(screenGenerate) })
	j.empty = emptyState("No jobs yet", "Make a model on the Generate screen (Ctrl+1): its progress shows here, and the finished model goes to the Gallery.", goGenerate)
	j.stack = container.NewStack(j.empty)
	j.detail = container.NewVBox()
	split := container.NewHSplit(j.stack, container.NewVScroll(container.NewPadded(j.detail)))
	split.Offset = 0.55
	j.view = split
	j.showDetail()
	return j
}

// bind loads the recent jobs and follows the runner's and library's updates.
func (j *jobsScreen) bind(svc *services) {
	j.svc = svc
	if j.unsubscribe != nil { // a re-bind (the library moved): leave the old stores
		j.unsubscribe()
		j.unsubscribe = nil
	}
	j.reload()
	if svc.Runner != nil {
		j.unsubscribe = svc.Runner.Subscribe(j.offer)
	}
	if svc.Library != nil {
		lib := svc.Library
		cancel := lib.OnChange(func(id string) {
			// Another process (the CLI) changed a job: read it here,
			// off the UI goroutine.
			if jb, err := lib.Get(id); err == nil {
				j.offer(jb)
			}
		})
		prev := j.unsubscribe
		j.unsubscribe = func() {
			cancel()
			if prev != nil {
				prev()
			}
		}
	}
	j.startTicker()
}

// stop ends the subscriptions (window closing).
func (j *jobsScreen) stop() {
	if j.unsubscribe != nil {
		j.unsubscribe()
		j.unsubscribe = nil
	}
	if j.stopTick != nil {
		close(j.stopTick)
		j.stopTick = nil
	}
}

// startTicker redraws elapsed times once a second while jobs run.
func (j *jobsScreen) startTicker() {
	if j.stopTick != nil {
		return
	}
	j.stopTick = make(chan struct{})
	stop := j.stopTick
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fyne.Do(func() {
					if j.runningCount() > 0 {
						j.list.Refresh()
						j.showDetail()
					}
				})
			}
		}
	}()
}

// reload reads the recent jobs from the library's memory index and each
// unfinished one's record (small: only running jobs).
func (j *jobsScreen) reload() {
	if j.svc == nil || j.svc.Library == nil {
		j.rows = nil
		j.refreshView()
		return
	}
	page, _ := j.svc.Library.Query(library.Query{Sort: library.SortNewest, Limit: recentJobs})
	rows := make([]library.Job, 0, len(page))
	for _, s := range page {
		rows = append(rows, jobFromSummary(s))
	}
	j.rows = rows
	j.refreshView()
}

// jobFromSummary is the part of a job record the list needs.
func jobFromSummary(s library.Summary) library.Job {
	jb := library.Job{
		ID: s.ID, Name: s.Name, Provider: s.Provider, KeyID: s.KeyID, KeyName: s.KeyName,
		Mode: s.Mode, Prompt: s.Prompt, State: s.State, Created: s.Created, Updated: s.Updated,
		Finished: s.Finished, Progress: s.Progress, Credits: s.Credits, Estimate: s.Estimate,
		Tags: s.Tags, Favourite: s.Favourite,
	}
	if s.Error != "" {
		jb.Error = &library.JobError{Message: s.Error}
	}
	if s.Model != "" {
		jb.Outputs = []library.File{{Kind: library.KindModel, Format: library.FormatGLB, File: s.Model}}
	}
	return jb
}

// offer queues an update from any goroutine.
func (j *jobsScreen) offer(jb library.Job) {
	j.pendMu.Lock()
	j.pending[jb.ID] = jb
	schedule := !j.scheduled
	j.scheduled = true
	j.pendMu.Unlock()
	if schedule {
		time.AfterFunc(uiRefreshEvery, func() { fyne.Do(j.applyPending) })
	}
}

// applyPending merges queued updates into the list (UI goroutine).
func (j *jobsScreen) applyPending() {
	j.pendMu.Lock()
	pend := j.pending
	j.pending = map[string]library.Job{}
	j.scheduled = false
	j.pendMu.Unlock()
	for _, jb := range pend {
		j.apply(jb)
	}
	j.refreshView()
}

// apply merges one job's latest record and notifies when it just ended.
func (j *jobsScreen) apply(jb library.Job) {
	i := slices.IndexFunc(j.rows, func(r library.Job) bool { return r.ID == jb.ID })
	if i < 0 {
		j.rows = append([]library.Job{jb}, j.rows...)
		return
	}
	was := j.rows[i].State
	j.rows[i] = jb
	if !was.Finished() && jb.State.Finished() {
		j.notifyEnded(jb)
		if j.mw.gallery != nil {
			j.mw.gallery.refresh()
		}
	}
}

func (j *jobsScreen) notifyEnded(jb library.Job) {
	switch jb.State {
	case library.StateDone:
		j.mw.notify("Model ready", jobTitle(jb)+" is in the Gallery.")
	case library.StateFailed, library.StateUnknown:
		j.mw.notify("Job failed", jobTitle(jb)+": "+jobErrorText(jb))
	}
}

func (j *jobsScreen) refreshView() {
	if len(j.rows) == 0 {
		j.stack.Objects = []fyne.CanvasObject{j.empty}
	} else {
		j.stack.Objects = []fyne.CanvasObject{j.list}
	}
	j.stack.Refresh()
	j.list.Refresh()
	j.syncSelection()
	j.showDetail()
	j.mw.refreshStatus()
}

// syncSelection keeps the list's highlighted row on the selected job when
// rows move (a new job goes on top). The list selects by index: a new job
// took the highlight while the detail still showed the old one, and a click
// on that row did nothing, the list holding it selected already.
func (j *jobsScreen) syncSelection() {
	if j.selected == "" {
		return
	}
	i := slices.IndexFunc(j.rows, func(r library.Job) bool { return r.ID == j.selected })
	if i < 0 { // gone (deleted in the Gallery or by another process)
		j.list.UnselectAll()
		j.selected = ""
		return
	}
	j.list.Select(i) // nothing happens when it is already the selected row
}

// runningCount is how many listed jobs are not finished.
func (j *jobsScreen) runningCount() int {
	n := 0
	for _, r := range j.rows {
		if !r.State.Finished() {
			n++
		}
	}
	return n
}

func (j *jobsScreen) length() int { return len(j.rows) }

func (j *jobsScreen) createRow() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	sub := widget.NewLabel("")
	sub.Truncation = fyne.TextTruncateEllipsis
	bar := widget.NewProgressBar()
	// The bar sits at the right so finished jobs' rows have no gap.
	barBox := container.NewCenter(container.New(layout.NewGridWrapLayout(fyne.NewSize(160, 32)), bar))
	return container.NewBorder(nil, nil, nil, barBox, container.NewVBox(title, sub))
}

func (j *jobsScreen) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(j.rows) {
		return
	}
	jb := j.rows[id]
	row := o.(*fyne.Container)
	text := row.Objects[0].(*fyne.Container)
	text.Objects[0].(*widget.Label).SetText(jobTitle(jb))
	text.Objects[1].(*widget.Label).SetText(jobLine(jb, now()))
	bar := row.Objects[1].(*fyne.Container).Objects[0].(*fyne.Container).Objects[0].(*widget.ProgressBar)
	if jb.State.Finished() {
		bar.Hide()
	} else {
		bar.Show()
		bar.SetValue(jb.Progress / 100)
	}
}

func (j *jobsScreen) onSelected(id widget.ListItemID) {
	if id < 0 || id >= len(j.rows) {
		return
	}
	j.selected = j.rows[id].ID
	j.showDetail()
	// The list holds summaries; read the whole record off the UI goroutine.
	if lib := j.svc.Library; lib != nil {
		sel := j.selected
		go func() {
			if jb, err := lib.Get(sel); err == nil {
				j.offer(jb)
			}
		}()
	}
}

// showDetail draws the selected job: what, where it stands, its error in
// plain words, and what can be done.
func (j *jobsScreen) showDetail() {
	j.detail.RemoveAll()
	i := slices.IndexFunc(j.rows, func(r library.Job) bool { return r.ID == j.selected })
	if i < 0 {
		if len(j.rows) > 0 {
			j.detail.Add(widget.NewLabel("Select a job to see its details."))
		}
		j.detail.Refresh()
		return
	}
	jb := j.rows[i]
	title := widget.NewLabelWithStyle(jobTitle(jb), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	j.detail.Add(title)
	j.detail.Add(widget.NewLabel(jobLine(jb, now())))
	if jb.Prompt != "" {
		p := widget.NewLabel("Prompt: " + jb.Prompt)
		p.Wrapping = fyne.TextWrapWord
		j.detail.Add(p)
	}
	if jb.KeyName != "" {
		// The list's rows come from summaries, which have no fingerprint:
		// it shows once the whole record is read.
		key := "Key: " + jb.KeyName
		if jb.KeyFP != "" {
			key += " (" + jb.KeyFP + ")"
		}
		j.detail.Add(widget.NewLabel(key))
	}
	if len(jb.Stages) > 0 {
		j.detail.Add(widget.NewLabel("Stage: " + jb.Stages[len(jb.Stages)-1].Name))
	}
	if jb.QueuePosition > 0 {
		j.detail.Add(widget.NewLabel(fmt.Sprintf("Place in the provider's queue: %d", jb.QueuePosition)))
	}
	if jb.Credits > 0 {
		j.detail.Add(widget.NewLabel(fmt.Sprintf("Credits: %v", jb.Credits)))
	}
	if msg := jobErrorText(jb); msg != "" {
		e := widget.NewLabel(msg)
		e.Wrapping = fyne.TextWrapWord
		e.Importance = widget.DangerImportance
		j.detail.Add(e)
	}
	if note := j.notes[jb.ID]; note != "" {
		n := widget.NewLabel(note)
		n.Wrapping = fyne.TextWrapWord
		n.Importance = widget.WarningImportance
		j.detail.Add(n)
	}
	j.detail.Add(j.actions(jb))
	j.detail.Refresh()
}

// actions are the buttons that make sense for the job's state.
func (j *jobsScreen) actions(jb library.Job) fyne.CanvasObject {
	box := container.NewHBox()
	if !jb.State.Finished() {
		box.Add(widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { j.onCancel(jb.ID) }))
	}
	if jb.State == library.StateFailed || jb.State == library.StateCancelled || jb.State == library.StateDone {
		box.Add(widget.NewButtonWithIcon("Retry as a new job", theme.ViewRefreshIcon(), func() { j.onRetry(jb.ID) }))
	}
	if jb.State == library.StateUnknown {
		box.Add(widget.NewButtonWithIcon("Reconcile", theme.SearchIcon(), func() { j.onReconcile(jb.ID) }))
	}
	if _, ok := library.ModelFile(jb); ok && jb.State == library.StateDone {
		box.Add(widget.NewButtonWithIcon("Open model", theme.FileIcon(), func() { j.onOpen(jb) }))
		box.Add(widget.NewButtonWithIcon("Show in Gallery", theme.GridIcon(), func() {
			j.mw.show(screenGallery)
			j.mw.gallery.selectID(jb.ID)
		}))
	}
	return box
}

func (j *jobsScreen) onCancel(id string) {
	if j.svc.Runner == nil {
		return
	}
	r, ctx := j.svc.Runner, j.svc.Ctx
	go func() {
		res, err := r.Cancel(ctx, id)
		fyne.Do(func() {
			switch {
			case errors.Is(err, jobs.ErrNotCancel):
				j.notes[id] = "The job had already finished."
			case err != nil:
				j.notes[id] = "Could not cancel: " + err.Error()
			case !res.Cancelled && res.Note != "":
				j.notes[id] = res.Note
			default:
				j.notes[id] = ""
				j.apply(res.Job)
			}
			j.refreshView()
		})
	}()
}

func (j *jobsScreen) onRetry(id string) {
	if j.svc.Runner == nil {
		return
	}
	r, ctx := j.svc.Runner, j.svc.Ctx
	go func() {
		nj, err := r.Retry(ctx, id)
		fyne.Do(func() {
			if err != nil {
				j.notes[id] = "Could not retry: " + err.Error()
			} else {
				j.apply(nj)
				j.selected = nj.ID
			}
			j.refreshView()
		})
	}()
}

func (j *jobsScreen) onReconcile(id string) {
	if j.svc.Runner == nil {
		return
	}
	r, ctx := j.svc.Runner, j.svc.Ctx
	j.notes[id] = "Looking for the task at the provider…"
	j.showDetail()
	go func() {
		found, err := r.Reconcile(ctx, id)
		fyne.Do(func() {
			switch {
			case errors.Is(err, jobs.ErrNoReconcile):
				j.notes[id] = "This provider cannot list its tasks, so Meshdrop cannot tell whether it was charged. Check the provider's website."
			case err != nil:
				j.notes[id] = "Could not reconcile: " + err.Error()
			case found:
				j.notes[id] = "Found the task: Meshdrop follows it again."
			default:
				j.notes[id] = "The provider has no such task: the request was not accepted and nothing was charged."
			}
			j.refreshView()
		})
	}()
}

// onOpen opens the model with the system's default app.
func (j *jobsScreen) onOpen(jb library.Job) {
	if j.svc.Library == nil {
		return
	}
	m, _ := library.ModelFile(jb)
	openPath(j.mw, filepath.Join(j.svc.Library.JobDir(jb.ID), filepath.FromSlash(m.File)))
}

// openURL hands a URL to the system's opener (Fyne's OpenURL: xdg-open,
// open, start); tests replace it.
var openURL = func(a fyne.App, u *url.URL) error { return a.OpenURL(u) }

// openPath asks the desktop to open a local file or folder. When no opener
// could be started the window says so: it was only logged, and Open seemed
// to do nothing.
func openPath(mw *mainWindow, path string) {
	u := &url.URL{Scheme: "file", Path: path}
	if err := openURL(mw.app, u); err != nil {
		fyne.LogError("open "+path, err)
		dialog.ShowInformation("Could not open "+filepath.Base(path),
			"No app could be started to open it ("+err.Error()+"). Copy its path and open it from the app you use.", mw.win)
	}
}

// jobTitle is what to call a job: its name, prompt or ID.
func jobTitle(jb library.Job) string {
	switch {
	case jb.Name != "":
		return jb.Name
	case jb.Prompt != "":
		return jb.Prompt
	case len(jb.Inputs) > 0:
		return "From " + inputName(jb.Inputs[0].File)
	}
	// Rows read from the library's index have no inputs: called as the
	// Gallery calls them ("From an image, 23 Nov 13:34"), not by job ID.
	return modelTitle(library.Summarize(jb))
}

// storedInput is how the library names a kept input: "input-N-" and the
// dropped file's name (core/library/files.go).
var storedInput = regexp.MustCompile(`^input-[0-9]+-`)

// inputName is the name the person gave the input file ("plant-pot.png",
// not "input-1-plant-pot.png").
func inputName(file string) string {
	if name := storedInput.ReplaceAllString(file, ""); name != "" {
		return name
	}
	return file
}

// jobLine is the job's one-line state: provider, state, progress, elapsed and
// an ETA from the progress so far.
func jobLine(jb library.Job, now time.Time) string {
	name := providerName(jb.Provider)
	end := now
	if !jb.Finished.IsZero() {
		end = jb.Finished
	}
	elapsed := end.Sub(jb.Created).Round(time.Second)
	if elapsed < 0 {
		elapsed = 0
	}
	s := fmt.Sprintf("%s · %s", name, stateWords(jb.State))
	if !jb.State.Finished() {
		if jb.Progress > 0 {
			s += fmt.Sprintf(" %.0f%%", jb.Progress)
		}
		if jb.QueuePosition > 0 {
			// The providers' count of tasks ahead at the provider (Meshy's
			// preceding_tasks; the Sandbox's simulated queue), other
			// people's included: "#2 in queue" beside a lone job in this
			// list read as a bug.
			s += " · " + plural(jb.QueuePosition, "job", "jobs") + " ahead at " + name
		}
		s += " · " + formatDuration(elapsed)
		if jb.Progress >= 5 && jb.Progress < 100 {
			left := time.Duration(float64(elapsed) * (100 - jb.Progress) / jb.Progress)
			s += " · about " + formatDuration(left.Round(time.Second)) + " left"
		}
	} else {
		s += " · took " + formatDuration(elapsed) + " · " + jb.Created.Local().Format("2 Jan 15:04")
	}
	return s
}

func stateWords(s library.State) string {
	switch s {
	case library.StateDraft:
		return "waiting to send"
	case library.StateSubmitting:
		return "sending"
	case library.StateQueued:
		return "queued"
	case library.StateRunning:
		return "generating"
	case library.StateDownloading:
		return "downloading"
	case library.StateDone:
		return "done"
	case library.StateFailed:
		return "failed"
	case library.StateCancelled:
		return "cancelled"
	case library.StateUnknown:
		return "sent, answer lost"
	}
	return string(s)
}

// jobErrorText is the stored error in plain words (the providers' errors
// already say what happened and what to do).
func jobErrorText(jb library.Job) string {
	if jb.Error == nil {
		return ""
	}
	return jb.Error.Message
}

func providerName(id string) string {
	switch id {
	case provider.Sandbox:
		return "Sandbox"
	case provider.Meshy:
		return "Meshy"
	case provider.Tripo:
		return "Tripo"
	case provider.Rodin:
		return "Rodin"
	case provider.GenX3D:
		return "genX3D" // as the provider spells itself (its DisplayName, the docs)
	case "local":
		return "Imported"
	}
	return id
}

func formatDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	if d < time.Hour {
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
}
