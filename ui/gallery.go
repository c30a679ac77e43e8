package ui

import (
	"container/list"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/glb"
	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/render"
)

// Gallery sizes and limits.
const (
	cellSize       = 168 // a grid cell's thumbnail edge in points
	thumbCacheLen  = 600 // decoded thumbnails kept in memory
	thumbWorkers   = 2   // thumbnails decoded (or rendered) at once
	searchDebounce = 150 * time.Millisecond
	// changeDelay gathers library changes (this window's job progress
	// writes, another process's import) into one query at most this often.
	changeDelay     = time.Second
	galleryAll      = "All"
	galleryAnyTime  = "Any time"
	galleryToday    = "Today"
	galleryWeek     = "Last 7 days"
	galleryMonth    = "Last 30 days"
	galleryYear     = "Last 12 months"
	sortNewestLabel = "Newest"
)

var (
	sortLabels  = map[string]library.Sort{sortNewestLabel: library.SortNewest, "Oldest": library.SortOldest, "Name": library.SortName, "Provider": library.SortProvider}
	stateLabels = map[string][]library.State{
		"Done":    {library.StateDone},
		"Failed":  {library.StateFailed, library.StateUnknown},
		"Running": {library.StateDraft, library.StateSubmitting, library.StateQueued, library.StateRunning, library.StateDownloading},
	}
)

// openScene loads a GLB for the preview (a variable so a build without a
// loader can say so).
var openScene func(path string) (*glb.Scene, error) = glb.Open

// galleryScreen is a virtualised grid of every model with search, filters,
// sort and a detail pane with the orbit preview.
type galleryScreen struct {
	mw   *mainWindow
	svc  *services
	view fyne.CanvasObject

	search    *shortcutEntry
	provSel   *widget.Select
	stateSel  *widget.Select
	dateSel   *widget.Select
	favCheck  *widget.Check
	sortSel   *widget.Select
	countLbl  *widget.Label
	grid      *widget.GridWrap
	gridStack *fyne.Container
	empty     fyne.CanvasObject
	noMatch   fyne.CanvasObject
	detail    *fyne.Container
	preview   *orbitView
	stats     *widget.Label // the previewed model's statistics

	items       []library.Summary
	selected    string
	unwatch     func()      // ends the library subscription
	changeTimer *time.Timer // a pending refresh after library changes (UI goroutine)
	compareWith string      // first model of a comparison, until the second is picked
	thumbs      *thumbCache
	spins       *spinCache
	debounce    *time.Timer
}

func newGalleryScreen(mw *mainWindow) *galleryScreen {
	g := &galleryScreen{mw: mw, thumbs: newThumbCache(thumbCacheLen), spins: &spinCache{max: 16}}
	g.search = newShortcutEntry(mw, false)
	g.search.SetPlaceHolder("Search prompts, names and tags (Ctrl+F)")
	g.search.OnChanged = func(string) { g.refreshSoon() }
	g.provSel = widget.NewSelect([]string{galleryAll}, func(string) { g.refresh() })
	g.provSel.Selected = galleryAll
	g.stateSel = widget.NewSelect([]string{galleryAll, "Done", "Failed", "Running"}, func(string) { g.refresh() })
	g.stateSel.Selected = galleryAll
	g.dateSel = widget.NewSelect([]string{galleryAnyTime, galleryToday, galleryWeek, galleryMonth, galleryYear}, func(string) { g.refresh() })
	g.dateSel.Selected = galleryAnyTime
	g.favCheck = widget.NewCheck("Favourites", func(bool) { g.refresh() })
	g.sortSel = widget.NewSelect([]string{sortNewestLabel, "Oldest", "Name", "Provider"}, func(string) { g.refresh() })
	g.sortSel.Selected = sortNewestLabel
	g.countLbl = widget.NewLabel("")

	g.grid = widget.NewGridWrap(g.length, g.createCell, g.updateCell)
	g.grid.OnSelected = g.onSelected
	goGenerate := widget.NewButtonWithIcon("Go to Generate", theme.MediaPlayIcon(), func() { mw.show(screenGenerate) })
	g.empty = emptyState("The gallery is empty",
		"Make a model on the Generate screen — the Sandbox needs no key — and it appears here when it is done.", goGenerate)
	g.noMatch = emptyState("Nothing matches", "Clear the search or the filters to see more models.",
		widget.NewButton("Clear filters", g.clearFilters))
	g.gridStack = container.NewStack(g.empty)

	g.preview = newOrbitView()
	g.stats = widget.NewLabel("")
	g.stats.Wrapping = fyne.TextWrapWord
	g.detail = container.NewVBox()

	filters := container.NewHBox(widget.NewLabel("Provider"), g.provSel, widget.NewLabel("State"), g.stateSel, g.dateSel)
	order := container.NewHBox(g.favCheck, widget.NewLabel("Sort"), g.sortSel, g.countLbl)
	top := container.NewVBox(g.search, filters, order)
	side := container.NewBorder(g.preview, nil, nil, nil, container.NewVScroll(g.detail))
	split := container.NewHSplit(container.NewBorder(top, nil, nil, nil, g.gridStack), side)
	split.Offset = 0.62
	g.view = split
	g.showDetail(nil)
	return g
}

func (g *galleryScreen) bind(svc *services) {
	g.svc = svc
	opts := []string{galleryAll}
	for _, p := range svc.providers() {
		opts = append(opts, p.DisplayName())
	}
	g.provSel.SetOptions(opts)
	g.stop() // a re-bind (the library moved) drops the old library's subscription
	if svc.Library != nil {
		g.unwatch = svc.Library.OnChange(func(string) { fyne.Do(g.libraryChanged) })
	}
	g.refresh()
}

// stop ends the library subscription (window closing, or a re-bind).
func (g *galleryScreen) stop() {
	if g.unwatch != nil {
		g.unwatch()
		g.unwatch = nil
	}
	if g.changeTimer != nil {
		g.changeTimer.Stop()
		g.changeTimer = nil
	}
}

// libraryChanged follows a change in the library, made by this window's
// jobs or by another Meshdrop process (the library's watcher hears those):
// the grid is queried again within changeDelay, once for a burst of
// changes, and only while the Gallery is on screen (selecting it refreshes
// it anyway). UI goroutine.
func (g *galleryScreen) libraryChanged() {
	if g.changeTimer != nil {
		return
	}
	g.changeTimer = time.AfterFunc(changeDelay, func() {
		fyne.Do(func() {
			g.changeTimer = nil
			if g.mw == nil || g.mw.tabs == nil || g.mw.current() == screenGallery {
				g.refresh()
			}
		})
	})
}

// refreshSoon runs refresh after typing pauses.
func (g *galleryScreen) refreshSoon() {
	if g.debounce != nil {
		g.debounce.Stop()
	}
	g.debounce = time.AfterFunc(searchDebounce, func() { fyne.Do(g.refresh) })
}

// query is the filters as a library query.
func (g *galleryScreen) query(now time.Time) library.Query {
	q := library.Query{Text: g.search.Text, Favourite: g.favCheck.Checked, Sort: sortLabels[g.sortSel.Selected]}
	if g.provSel.Selected != galleryAll && g.svc != nil {
		for _, p := range g.svc.providers() {
			if p.DisplayName() == g.provSel.Selected {
				q.Provider = p.ID()
			}
		}
	}
	q.States = stateLabels[g.stateSel.Selected]
	y, m, d := now.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	switch g.dateSel.Selected {
	case galleryToday:
		q.From = midnight
	case galleryWeek:
		q.From = midnight.AddDate(0, 0, -6)
	case galleryMonth:
		q.From = midnight.AddDate(0, 0, -29)
	case galleryYear:
		q.From = midnight.AddDate(-1, 0, 0)
	}
	return q
}

// refresh runs the query (from the library's memory index: no disk).
func (g *galleryScreen) refresh() {
	if g.svc == nil || g.svc.Library == nil {
		g.items = nil
	} else {
		g.items, _ = g.svc.Library.Query(g.query(now()))
	}
	total := 0
	if g.svc != nil && g.svc.Library != nil {
		total = g.svc.Library.Len()
	}
	switch {
	case total == 0:
		g.gridStack.Objects = []fyne.CanvasObject{g.empty}
	case len(g.items) == 0:
		g.gridStack.Objects = []fyne.CanvasObject{g.noMatch}
	default:
		g.gridStack.Objects = []fyne.CanvasObject{g.grid}
	}
	g.countLbl.SetText(fmt.Sprintf("%d of %d", len(g.items), total))
	g.gridStack.Refresh()
	g.grid.Refresh()
	if i := g.indexOf(g.selected); i >= 0 {
		g.showDetail(&g.items[i])
	} else if g.selected != "" {
		g.clearSelection()
	}
}

func (g *galleryScreen) clearFilters() {
	g.search.SetText("")
	g.provSel.SetSelected(galleryAll)
	g.stateSel.SetSelected(galleryAll)
	g.dateSel.SetSelected(galleryAnyTime)
	g.favCheck.SetChecked(false)
	g.refresh()
}

func (g *galleryScreen) indexOf(id string) int {
	if id == "" {
		return -1
	}
	return slices.IndexFunc(g.items, func(s library.Summary) bool { return s.ID == id })
}

// selectID selects a job's model (from Jobs' "Show in Gallery").
func (g *galleryScreen) selectID(id string) {
	g.refresh()
	if i := g.indexOf(id); i >= 0 {
		g.grid.Select(i)
		g.grid.ScrollTo(i)
	}
}

func (g *galleryScreen) clearSelection() {
	g.selected = ""
	g.grid.UnselectAll()
	g.showDetail(nil)
}

func (g *galleryScreen) length() int { return len(g.items) }

// galleryCell is one grid cell: thumbnail and title. Hovering a model
// plays a short turntable in place of the thumbnail.
type galleryCell struct {
	widget.BaseWidget
	img   *canvas.Image
	title *widget.Label
	id    string
	g     *galleryScreen

	still    image.Image   // the thumbnail shown when not hovered
	stillRes fyne.Resource // or the placeholder icon
	spin     chan struct{} // closed to stop the turntable
	hovering bool
}

var _ desktop.Hoverable = (*galleryCell)(nil)

// Turntable size and pace.
const (
	turntableFrames = 24
	turntableSize   = 160
	turntableEvery  = 70 * time.Millisecond
)

// MouseIn starts the turntable of a finished model.
func (c *galleryCell) MouseIn(*desktop.MouseEvent) {
	c.hovering = true
	if c.g == nil || c.g.svc == nil || c.g.svc.Library == nil || openScene == nil {
		return
	}
	i := c.g.indexOf(c.id)
	if i < 0 || c.g.items[i].Model == "" {
		return
	}
	s := c.g.items[i]
	c.stopSpin()
	c.still, c.stillRes = c.img.Image, c.img.Resource
	stop := make(chan struct{})
	c.spin = stop
	frames, ok := c.g.spins.get(s.ID)
	path := filepath.Join(c.g.svc.Library.JobDir(s.ID), filepath.FromSlash(s.Model))
	id := s.ID
	go func() {
		if !ok {
			sc, err := openScene(path)
			if err != nil {
				return
			}
			var imgs []image.Image
			for _, f := range render.Turntable(sc, turntableSize, turntableFrames) {
				imgs = append(imgs, f)
			}
			frames = imgs
			fyne.Do(func() { c.g.spins.put(id, frames) })
		}
		t := time.NewTicker(turntableEvery)
		defer t.Stop()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-t.C:
				f := frames[n%len(frames)]
				fyne.Do(func() {
					if c.id == id && c.spin == stop {
						c.img.Resource, c.img.Image = nil, f
						c.img.Refresh()
					}
				})
			}
		}
	}()
}

func (c *galleryCell) MouseMoved(*desktop.MouseEvent) {}

// MouseOut stops the turntable and puts the thumbnail back.
func (c *galleryCell) MouseOut() {
	c.hovering = false
	c.stopSpin()
}

func (c *galleryCell) stopSpin() {
	if c.spin == nil {
		return
	}
	close(c.spin)
	c.spin = nil
	c.img.Resource, c.img.Image = c.stillRes, c.still
	c.img.Refresh()
	c.still, c.stillRes = nil, nil
}

func newGalleryCell() *galleryCell {
	c := &galleryCell{img: canvas.NewImageFromResource(theme.FileImageIcon()), title: widget.NewLabel("")}
	c.img.FillMode = canvas.ImageFillContain
	c.img.SetMinSize(fyne.NewSize(cellSize, cellSize))
	c.title.Truncation = fyne.TextTruncateEllipsis
	c.title.Alignment = fyne.TextAlignCenter
	c.ExtendBaseWidget(c)
	return c
}

func (c *galleryCell) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, c.title, nil, nil, c.img))
}

func (g *galleryScreen) createCell() fyne.CanvasObject {
	c := newGalleryCell()
	c.g = g
	return c
}

// updateCell shows a cached thumbnail or a placeholder and asks for the
// thumbnail to be loaded in the background.
func (g *galleryScreen) updateCell(i widget.GridWrapItemID, o fyne.CanvasObject) {
	if i < 0 || i >= len(g.items) {
		return
	}
	s := g.items[i]
	c := o.(*galleryCell)
	if c.id != s.ID {
		c.stopSpin() // the cell was reused for another model
	}
	c.id = s.ID
	c.title.SetText(cellTitle(s))
	if img, ok := g.thumbs.get(s.ID); ok && img != nil {
		c.img.Resource, c.img.Image = nil, img
	} else {
		c.img.Image, c.img.Resource = nil, stateIcon(s.State)
		if !ok && g.svc != nil && g.svc.Library != nil && s.State == library.StateDone {
			g.loadThumb(s, c)
		}
	}
	c.img.Refresh()
}

func cellTitle(s library.Summary) string {
	t := modelTitle(s)
	if s.Favourite {
		t = "★ " + t
	}
	return t
}

// modelTitle is what the Gallery calls a model: its name or prompt, else
// what it was made from and when. A model made from a dropped image alone
// has neither, and the job ID ("20261123-133407-45…") meant nothing to the
// person who dropped it.
func modelTitle(s library.Summary) string {
	if s.Name != "" || s.Prompt != "" {
		return s.Title()
	}
	when := s.Created.Local().Format("2 Jan 15:04")
	switch provider.Mode(s.Mode) {
	case provider.ModeImage:
		return "From an image, " + when
	case provider.ModeMultiImage:
		return "From images, " + when
	}
	return providerName(s.Provider) + " model, " + when
}

func stateIcon(s library.State) fyne.Resource {
	switch s {
	case library.StateFailed, library.StateUnknown:
		return theme.ErrorIcon()
	case library.StateCancelled:
		return theme.CancelIcon()
	case library.StateDone:
		return theme.FileImageIcon()
	}
	return theme.HistoryIcon()
}

// loadThumb decodes (rendering first if needed) a thumbnail in a worker and
// puts it into the cell if the cell still shows that job.
func (g *galleryScreen) loadThumb(s library.Summary, c *galleryCell) {
	if !g.thumbs.start(s.ID) {
		return
	}
	lib := g.svc.Library
	go func() {
		g.thumbs.sem <- struct{}{}
		img := readThumb(lib, s)
		<-g.thumbs.sem
		fyne.Do(func() {
			g.thumbs.put(s.ID, img)
			if c.id == s.ID && img != nil {
				c.img.Resource, c.img.Image = nil, img
				c.img.Refresh()
			}
		})
	}()
}

// readThumb reads a job's thumbnail PNG, rendering it when missing.
func readThumb(lib *library.Library, s library.Summary) image.Image {
	var path string
	if s.Thumbnail != "" {
		path = filepath.Join(lib.JobDir(s.ID), filepath.FromSlash(s.Thumbnail))
	}
	if path == "" || !fileExists(path) {
		f, err := lib.Thumbnail(s.ID)
		if err != nil {
			return nil
		}
		path = filepath.Join(lib.JobDir(s.ID), filepath.FromSlash(f.File))
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer fh.Close()
	img, _, err := image.Decode(fh)
	if err != nil {
		return nil
	}
	return img
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func (g *galleryScreen) onSelected(i widget.GridWrapItemID) {
	if i < 0 || i >= len(g.items) {
		return
	}
	s := g.items[i]
	if g.selected == s.ID {
		return
	}
	g.selected = s.ID
	if g.compareWith != "" && g.compareWith != s.ID {
		first := g.compareWith
		g.compareWith = ""
		g.showCompare(first, s.ID)
	}
	g.showDetail(&s)
	g.loadPreview(s)
}

// blenderCommand is Blender's executable name on PATH.
const blenderCommand = "blender"

// openInBlender starts Blender importing the model (a GLB import script
// given on the command line; Blender stays open).
func (g *galleryScreen) openInBlender(blender, path string) {
	script := fmt.Sprintf("import bpy; bpy.ops.wm.read_factory_settings(use_empty=True); bpy.ops.import_scene.gltf(filepath=%q)", path)
	cmd := exec.Command(blender, "--python-expr", script)
	if err := cmd.Start(); err != nil {
		dialog.ShowError(fmt.Errorf("could not start Blender: %w", err), g.mw.win)
		return
	}
	go cmd.Wait() // reap it when Blender closes
}

// onExport asks for a folder and exports the job there with provenance.
func (g *galleryScreen) onExport(id string) {
	lib := g.svc.Library
	d := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err != nil || dir == nil {
			return
		}
		dest := dir.Path()
		go func() {
			out, err := lib.Export(id, dest, false)
			fyne.Do(func() {
				if err != nil {
					dialog.ShowError(fmt.Errorf("export failed: %w", err), g.mw.win)
					return
				}
				dialog.ShowInformation("Exported", "The model, its inputs and provenance.json are in "+out, g.mw.win)
			})
		}()
	}, g.mw.win)
	d.Show()
}

// startCompare remembers the first model; the next one selected opens the
// side-by-side view.
func (g *galleryScreen) startCompare(id string) {
	g.compareWith = id
	g.countLbl.SetText("Now select the model to compare with")
}

// showCompare opens two previews whose orbits move together.
func (g *galleryScreen) showCompare(a, b string) {
	lib := g.svc.Library
	left, right := newOrbitView(), newOrbitView()
	left.linked, right.linked = []*orbitView{right}, []*orbitView{left}
	titles := [2]*widget.Label{widget.NewLabel(""), widget.NewLabel("")}
	content := container.NewGridWithColumns(2,
		container.NewBorder(titles[0], nil, nil, nil, left),
		container.NewBorder(titles[1], nil, nil, nil, right))
	d := dialog.NewCustom("Compare", "Close", content, g.mw.win)
	d.Resize(fyne.NewSize(900, 560))
	d.Show()
	for i, id := range []string{a, b} {
		view, title := []*orbitView{left, right}[i], titles[i]
		sum, ok := lib.Summary(id)
		if !ok || sum.Model == "" || openScene == nil {
			continue
		}
		title.SetText(modelTitle(sum))
		path := filepath.Join(lib.JobDir(id), filepath.FromSlash(sum.Model))
		go func() {
			sc, err := openScene(path)
			fyne.Do(func() {
				if err == nil {
					view.SetScene(sc)
				}
			})
		}()
	}
}

// loadPreview opens the model in the background and shows it in the preview.
func (g *galleryScreen) loadPreview(s library.Summary) {
	g.preview.SetScene(nil)
	g.stats.SetText("")
	if s.Model == "" || openScene == nil || g.svc.Library == nil {
		return
	}
	path := filepath.Join(g.svc.Library.JobDir(s.ID), filepath.FromSlash(s.Model))
	id := s.ID
	go func() {
		sc, err := openScene(path)
		fyne.Do(func() {
			if g.selected != id {
				return
			}
			if err != nil {
				fyne.LogError("preview "+path, err)
				g.stats.SetText("The model could not be read: " + err.Error())
				return
			}
			g.preview.SetScene(sc)
			g.stats.SetText(sceneStats(sc))
		})
	}()
}

// showDetail draws the selected model's facts and actions.
func (g *galleryScreen) showDetail(s *library.Summary) {
	g.detail.RemoveAll()
	if s == nil {
		g.preview.SetScene(nil)
		g.preview.Hide()
		g.detail.Add(widget.NewLabel("Select a model to preview it: drag to turn, right-drag or Shift-drag to pan, wheel to zoom, double-click to fit."))
		g.detail.Objects[0].(*widget.Label).Wrapping = fyne.TextWrapWord
		g.detail.Refresh()
		return
	}
	g.preview.Show()
	title := widget.NewLabelWithStyle(modelTitle(*s), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	g.detail.Add(title)
	if g.preview.scene == nil || g.selected != s.ID {
		g.stats.SetText("")
	}
	g.detail.Add(g.stats)
	if s.Model == "" {
		g.detail.Add(widget.NewLabel("No model: " + stateWords(s.State)))
	} else if openScene == nil {
		g.detail.Add(widget.NewLabel("The interactive preview needs the GLB loader, which is not in this build yet."))
	}
	facts := container.New(newFormLayout())
	add := func(k, v string) {
		if v == "" {
			return
		}
		val := widget.NewLabel(v)
		val.Wrapping = fyne.TextWrapWord
		facts.Add(widget.NewLabel(k))
		facts.Add(val)
	}
	add("Provider", providerName(s.Provider))
	if s.KeyName != "" {
		add("Key", s.KeyName)
	}
	add("Prompt", s.Prompt)
	add("State", stateWords(s.State))
	add("Created", s.Created.Local().Format("Mon 2 Jan 2006 15:04"))
	if s.Credits > 0 {
		add("Credits", strconv.FormatFloat(s.Credits, 'f', -1, 64))
	}
	add("Tags", strings.Join(s.Tags, ", "))
	add("Error", s.Error)
	g.detail.Add(facts)

	id := s.ID
	fav := widget.NewCheck("Favourite", func(on bool) { g.edit(id, func(l *library.Library) error { return l.SetFavourite(id, on) }) })
	fav.Checked = s.Favourite
	rating := widget.NewSelect([]string{"No rating", "★", "★★", "★★★", "★★★★", "★★★★★"}, nil)
	rating.SetSelectedIndex(s.Rating)
	rating.OnChanged = func(string) {
		r := rating.SelectedIndex()
		g.edit(id, func(l *library.Library) error { return l.SetRating(id, r) })
	}
	tags := widget.NewEntry()
	tags.SetPlaceHolder("tags, comma separated")
	tags.SetText(strings.Join(s.Tags, ", "))
	tags.OnSubmitted = func(text string) {
		g.edit(id, func(l *library.Library) error { return l.SetTags(id, strings.Split(text, ",")) })
	}
	g.detail.Add(container.NewHBox(fav, rating))
	g.detail.Add(tags)

	actions := container.NewGridWithColumns(2)
	if s.Model != "" && g.svc != nil && g.svc.Library != nil {
		path := filepath.Join(g.svc.Library.JobDir(s.ID), filepath.FromSlash(s.Model))
		actions.Add(widget.NewButtonWithIcon("Open", theme.FileIcon(), func() { openPath(g.mw, path) }))
		actions.Add(widget.NewButtonWithIcon("Show folder", theme.FolderOpenIcon(), func() { openPath(g.mw, filepath.Dir(path)) }))
		actions.Add(widget.NewButtonWithIcon("Copy path", theme.ContentCopyIcon(), func() { g.mw.app.Clipboard().SetContent(path) }))
	}
	if s.Model != "" && g.svc != nil && g.svc.Library != nil {
		path := filepath.Join(g.svc.Library.JobDir(s.ID), filepath.FromSlash(s.Model))
		if blender, err := exec.LookPath(blenderCommand); err == nil {
			actions.Add(widget.NewButtonWithIcon("Open in Blender", theme.ViewFullScreenIcon(), func() { g.openInBlender(blender, path) }))
		}
		actions.Add(widget.NewButtonWithIcon("Export…", theme.DownloadIcon(), func() { g.onExport(id) }))
		actions.Add(widget.NewButtonWithIcon("Compare…", theme.ViewRestoreIcon(), func() { g.startCompare(id) }))
	}
	actions.Add(widget.NewButtonWithIcon("Make again", theme.MediaReplayIcon(), func() { g.makeAgain(id) }))
	del := widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), g.onDelete)
	del.Importance = widget.DangerImportance
	actions.Add(del)
	g.detail.Add(actions)
	g.detail.Refresh()
}

// edit applies a user edit in the background and refreshes.
func (g *galleryScreen) edit(id string, fn func(l *library.Library) error) {
	if g.svc == nil || g.svc.Library == nil {
		return
	}
	lib := g.svc.Library
	go func() {
		err := fn(lib)
		fyne.Do(func() {
			if err != nil {
				dialog.ShowError(fmt.Errorf("could not save the change: %w", err), g.mw.win)
			}
			g.refresh()
		})
	}()
}

// onDelete asks, then deletes the selected job and its files.
func (g *galleryScreen) onDelete() {
	i := g.indexOf(g.selected)
	if i < 0 || g.svc == nil || g.svc.Library == nil {
		return
	}
	s := g.items[i]
	dialog.ShowConfirm("Delete this model?",
		fmt.Sprintf("“%s” and its files will be deleted from the library. This cannot be undone.", modelTitle(s)),
		func(ok bool) {
			if ok {
				g.deleteJob(s.ID)
			}
		}, g.mw.win)
}

func (g *galleryScreen) deleteJob(id string) {
	lib := g.svc.Library
	go func() {
		err := lib.Delete(id)
		fyne.Do(func() {
			if err != nil {
				dialog.ShowError(fmt.Errorf("could not delete: %w", err), g.mw.win)
				return
			}
			g.thumbs.put(id, nil)
			g.clearSelection()
			g.refresh()
		})
	}()
}

// makeAgain fills Generate with the job's provider, prompt and options.
func (g *galleryScreen) makeAgain(id string) {
	if g.svc == nil || g.svc.Library == nil {
		return
	}
	lib := g.svc.Library
	go func() {
		j, err := lib.Get(id)
		var images []chosenImage
		for _, in := range j.Inputs {
			if data, err := lib.ReadInput(id, in); err == nil {
				if ci, err := imageFromBytes(filepath.Base(in.File), data); err == nil {
					ci.Slot = in.Slot
					images = append(images, ci)
				}
			}
		}
		fyne.Do(func() {
			if err != nil {
				dialog.ShowError(err, g.mw.win)
				return
			}
			g.mw.show(screenGenerate)
			g.mw.generate.prefill(j, images)
		})
	}()
}

// thumbCache keeps decoded thumbnails, least recently used dropped first
// (UI goroutine, except sem).
type thumbCache struct {
	max     int
	order   *list.List // of string IDs, front = newest
	entries map[string]*list.Element
	images  map[string]image.Image
	loading map[string]bool
	sem     chan struct{}
	mu      sync.Mutex
}

func newThumbCache(max int) *thumbCache {
	return &thumbCache{max: max, order: list.New(), entries: map[string]*list.Element{},
		images: map[string]image.Image{}, loading: map[string]bool{}, sem: make(chan struct{}, thumbWorkers)}
}

// get returns the cached image; ok=false when never loaded.
func (c *thumbCache) get(id string) (image.Image, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return c.images[id], true
}

// start marks a load as begun; false when one is already running.
func (c *thumbCache) start(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loading[id] {
		return false
	}
	c.loading[id] = true
	return true
}

func (c *thumbCache) put(id string, img image.Image) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.loading, id)
	if e, ok := c.entries[id]; ok {
		c.order.MoveToFront(e)
	} else {
		c.entries[id] = c.order.PushFront(id)
	}
	c.images[id] = img
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.entries, old.Value.(string))
		delete(c.images, old.Value.(string))
	}
}

func (c *thumbCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// spinCache keeps the turntables of the last few hovered models (UI goroutine).
type spinCache struct {
	max    int
	order  []string
	frames map[string][]image.Image
}

func (c *spinCache) get(id string) ([]image.Image, bool) {
	f, ok := c.frames[id]
	return f, ok
}

func (c *spinCache) put(id string, frames []image.Image) {
	if c.frames == nil {
		c.frames = map[string][]image.Image{}
	}
	if _, ok := c.frames[id]; !ok {
		c.order = append(c.order, id)
	}
	c.frames[id] = frames
	for len(c.order) > c.max {
		delete(c.frames, c.order[0])
		c.order = c.order[1:]
	}
}

// importModels brings GLB files (or folders of them) into the library in the
// background and shows the first one.
func (g *galleryScreen) importModels(paths []string) {
	if g.svc == nil || g.svc.Library == nil {
		g.countLbl.SetText("The library is not open, so nothing was imported.")
		return
	}
	lib := g.svc.Library
	g.countLbl.SetText("Importing…")
	go func() {
		res := lib.Import(paths)
		fyne.Do(func() {
			var problems []string
			first := ""
			for _, r := range res {
				switch {
				case r.Err != nil:
					problems = append(problems, filepath.Base(r.Path)+": "+r.Err.Error())
				case first == "":
					first = r.Job.ID
				}
			}
			g.refresh()
			if first != "" {
				g.selectID(first)
			}
			if len(problems) > 0 {
				dialog.ShowError(fmt.Errorf("some files were not imported:\n%s", strings.Join(problems, "\n")), g.mw.win)
			}
		})
	}()
}

// sceneStats is a model's statistics in one line, with its notes.
func sceneStats(sc *glb.Scene) string {
	st := sc.Stats
	s := plural(st.Triangles, "triangle", "triangles") + " · " + plural(st.Vertices, "vertex", "vertices") + " · " + plural(st.Textures, "texture", "textures")
	if st.FileBytes > 0 {
		s += " · " + formatBytes(st.FileBytes)
	}
	for _, n := range sc.Notes {
		s += "\n" + n
	}
	return s
}
