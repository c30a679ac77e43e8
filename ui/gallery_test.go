package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"meshdrop/core/app"
	"meshdrop/core/library"
	"meshdrop/core/meshio"
)

func TestGalleryEmptyStateSaysHowToFillIt(t *testing.T) {
	svc := realServices(t)
	mw, w := newTestWindow(t, svc)
	mw.show(screenGallery)
	if mw.gallery.gridStack.Objects[0] != mw.gallery.empty {
		t.Fatal("empty library, but no empty state")
	}
	assertMaster(t, "gallery_empty.xml", w)
}

func TestGallerySearchFilterSelectThumbnailsAndDelete(t *testing.T) {
	svc := realServices(t)
	made := makeModels(t, svc, "a golden torus", "a red wooden crate", "a green cone")
	mw, _ := newTestWindow(t, svc)
	g := mw.gallery
	mw.show(screenGallery)
	if len(g.items) != 3 || g.countLbl.Text != "3 of 3" {
		t.Fatalf("items=%d count=%q", len(g.items), g.countLbl.Text)
	}
	// Newest first.
	if g.items[0].ID != made[2].ID {
		t.Fatalf("first item %s, want the newest %s", g.items[0].Prompt, made[2].Prompt)
	}
	// Typing searches (debounced).
	test.Type(g.search, "torus")
	eventually(t, 30*time.Second, "the search", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(g.items) })
		return n == 1
	})
	if g.items[0].ID != made[0].ID {
		t.Fatalf("search found %q", g.items[0].Prompt)
	}
	g.search.SetText("nothing-like-this")
	g.refresh()
	if g.gridStack.Objects[0] != g.noMatch {
		t.Fatal("no match, but no 'Nothing matches' state")
	}
	g.clearFilters()
	if len(g.items) != 3 {
		t.Fatalf("cleared filters: %d items", len(g.items))
	}
	// Sort by name.
	g.sortSel.SetSelected("Name")
	if g.items[0].Prompt != "a golden torus" || g.items[2].Prompt != "a red wooden crate" {
		t.Fatalf("by name: %q, %q, %q", g.items[0].Prompt, g.items[1].Prompt, g.items[2].Prompt)
	}
	// Thumbnails load in the background into the cells the grid shows.
	eventually(t, 30*time.Second, "thumbnails", func() bool {
		var n int
		fyne.DoAndWait(func() {
			for _, s := range g.items {
				if img, ok := g.thumbs.get(s.ID); ok && img != nil && img.Bounds().Dx() > 0 {
					n++
				}
			}
		})
		return n == 3
	})
	// Favourite through the detail pane; the favourites filter finds it.
	g.grid.Select(0)
	if g.selected != g.items[0].ID || !anyContains(labelsIn(g.detail), "a golden torus") {
		t.Fatalf("selected %q; detail %v", g.selected, labelsIn(g.detail))
	}
	sel := g.selected
	eventually(t, 30*time.Second, "the model's stats", func() bool {
		var st string
		fyne.DoAndWait(func() { st = g.stats.Text })
		return strings.Contains(st, "triangles") && !strings.HasPrefix(st, "0 triangles")
	})
	if err := svc.Library.SetFavourite(sel, true); err != nil {
		t.Fatal(err)
	}
	g.favCheck.SetChecked(true)
	if len(g.items) != 1 || g.items[0].ID != sel {
		t.Fatalf("favourites: %d items", len(g.items))
	}
	g.favCheck.SetChecked(false)
	// Delete removes the job and its folder.
	g.deleteJob(sel)
	eventually(t, 30*time.Second, "the delete", func() bool { return svc.Library.Len() == 2 })
	eventually(t, 30*time.Second, "the grid after delete", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(g.items) })
		return n == 2
	})
	if g.selected != "" {
		t.Fatalf("deleted job still selected")
	}
}

func TestGalleryMakeAgainFillsGenerate(t *testing.T) {
	svc := realServices(t)
	made := makeModels(t, svc, "a purple pyramid")
	mw, _ := newTestWindow(t, svc)
	mw.gallery.makeAgain(made[0].ID)
	eventually(t, 30*time.Second, "Generate prefilled", func() bool {
		var p string
		fyne.DoAndWait(func() { p = mw.generate.prompt.Text })
		return p == "a purple pyramid"
	})
	if mw.current() != screenGenerate || mw.generate.generateBtn.Disabled() {
		t.Fatalf("screen %q, reason %q", mw.current(), mw.generate.reason.Text)
	}
}

func TestThumbCacheDropsLeastRecentlyUsed(t *testing.T) {
	c := newThumbCache(2)
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	c.put("a", img)
	c.put("b", img)
	c.get("a") // a is now newer than b
	c.put("c", img)
	if _, ok := c.get("b"); ok {
		t.Fatal("b should have been dropped")
	}
	if _, ok := c.get("a"); !ok {
		t.Fatal("a was used recently and should be kept")
	}
	if c.len() != 2 {
		t.Fatalf("len = %d", c.len())
	}
}

// benchGallery opens a gallery over a library of n models. The job files
// are written straight to disk (the library's own format, read by its folder
// scan) because Put's fsyncs would make the setup take minutes.
func benchGallery(b *testing.B, n int) (*mainWindow, fyne.Window) {
	b.Helper()
	dir := b.TempDir()
	writeJobs(b, dir, n)
	lib, err := library.Open(dir, library.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { lib.Close() })
	a := test.NewApp()
	b.Cleanup(a.Quit)
	w := a.NewWindow("bench")
	mw := newMainWindow(a, w, nil)
	mw.bind(&services{Library: lib})
	mw.show(screenGallery)
	w.Resize(fyne.NewSize(defaultWidth, defaultHeight))
	if len(mw.gallery.items) != n {
		b.Fatalf("items = %d, want %d", len(mw.gallery.items), n)
	}
	return mw, w
}

// writeJobs writes n failed Sandbox job records straight into dir.
func writeJobs(b *testing.B, dir string, n int) {
	b.Helper()
	now := time.Now().UTC()
	for i := 0; i < n; i++ {
		j := library.Job{Schema: library.SchemaVersion, ID: fmt.Sprintf("20261123-000000-%012x", i), Provider: "sandbox", Mode: "text",
			Prompt: fmt.Sprintf("model number %d", i), State: library.StateFailed, Created: now.Add(time.Duration(i) * time.Second), Updated: now}
		data, err := json.Marshal(j)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, j.ID), 0o700); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, j.ID, library.JobFile), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenWindow300 is opening the library of 300 models, building the
// window and drawing its first frame on the Gallery (the issue asks for
// under 3 seconds).
func BenchmarkOpenWindow300(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		writeJobs(b, dir, 300)
		b.StartTimer()
		lib, err := library.Open(dir, library.Config{})
		if err != nil {
			b.Fatal(err)
		}
		a := test.NewApp()
		w := a.NewWindow("bench")
		mw := newMainWindow(a, w, nil)
		mw.bind(&services{Library: lib})
		mw.show(screenGallery)
		w.Resize(fyne.NewSize(defaultWidth, defaultHeight))
		w.Canvas().Capture()
		b.StopTimer()
		lib.Close()
		a.Quit()
		b.StartTimer()
	}
}

// BenchmarkGalleryScroll5000 is the UI goroutine's work per scroll step
// through 5,000 models: the grid lays out and binds the visible cells.
func BenchmarkGalleryScroll5000(b *testing.B) {
	mw, _ := benchGallery(b, 5000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mw.gallery.grid.ScrollToOffset(float32(i%400) * 60)
	}
}

// BenchmarkGalleryFrame5000 adds painting the whole window with Fyne's
// software test painter (a worst case: the real window paints with OpenGL).
func BenchmarkGalleryFrame5000(b *testing.B) {
	mw, w := benchGallery(b, 5000)
	c := w.Canvas()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mw.gallery.grid.ScrollToOffset(float32(i%400) * 60)
		c.Capture()
	}
}

// BenchmarkGalleryRefresh5000 is a search keystroke over 5,000 models.
func BenchmarkGalleryRefresh5000(b *testing.B) {
	mw, _ := benchGallery(b, 5000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mw.gallery.search.Text = fmt.Sprintf("number %d", i%50)
		mw.gallery.refresh()
	}
}

func TestGalleryCompareOpensTwoLinkedPreviews(t *testing.T) {
	svc := realServices(t)
	makeModels(t, svc, "a cube", "a sphere")
	mw, w := newTestWindow(t, svc)
	mw.show(screenGallery)
	g := mw.gallery
	g.grid.Select(0)
	test.Tap(findButton(g.detail, "Compare…"))
	if w.Canvas().Overlays().Top() != nil {
		t.Fatal("compare opened before the second model was picked")
	}
	g.grid.Select(1)
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("picking the second model did not open the comparison")
	}
	if g.compareWith != "" {
		t.Fatal("compare state not cleared")
	}
}

func TestGalleryDeleteKeyAsksFirst(t *testing.T) {
	svc := realServices(t)
	makeModels(t, svc, "a cone")
	mw, w := newTestWindow(t, svc)
	mw.show(screenGallery)
	mw.gallery.grid.Select(0)
	mw.onTypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("Delete did not ask for confirmation")
	}
	if svc.Library.Len() != 1 {
		t.Fatal("Delete removed the model without asking")
	}
}

func TestGalleryHoverPlaysATurntable(t *testing.T) {
	svc := realServices(t)
	makeModels(t, svc, "a red cube")
	mw, w := newTestWindow(t, svc)
	mw.show(screenGallery)
	g := mw.gallery
	var cell *galleryCell
	eventually(t, 30*time.Second, "the thumbnail in a cell", func() bool {
		fyne.DoAndWait(func() {
			cell = nil
			// The loaded thumbnail itself: Fyne can fill Image from the
			// placeholder icon's resource before the thumbnail arrives.
			thumb, ok := g.thumbs.get(g.items[0].ID)
			findCells(w.Content(), func(c *galleryCell) {
				if ok && thumb != nil && c.id == g.items[0].ID && c.img.Image == thumb {
					cell = c
				}
			})
		})
		return cell != nil
	})
	thumb := cell.img.Image
	cell.MouseIn(&desktop.MouseEvent{})
	eventually(t, 30*time.Second, "a turntable frame", func() bool {
		var changed bool
		fyne.DoAndWait(func() { changed = cell.img.Image != thumb && cell.img.Image != nil })
		return changed
	})
	var frames []image.Image
	fyne.DoAndWait(func() { frames, _ = g.spins.get(cell.id) })
	if len(frames) != turntableFrames {
		t.Fatalf("turntable has %d frames", len(frames))
	}
	fyne.DoAndWait(cell.MouseOut)
	waitUI(func() { time.Sleep(2 * turntableEvery) }) // a late frame would land now
	if cell.img.Image != thumb {
		t.Fatal("leaving the cell did not put the thumbnail back")
	}
}

// findCells calls fn for every gallery cell the canvas shows.
func findCells(o fyne.CanvasObject, fn func(*galleryCell)) {
	switch v := o.(type) {
	case *galleryCell:
		fn(v)
	case *fyne.Container:
		for _, c := range v.Objects {
			findCells(c, fn)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			findCells(c, fn)
		}
	}
}

// A GLB dropped on the window is imported and shown in the Gallery.
func TestDropGLBImportsIntoGallery(t *testing.T) {
	svc := realServices(t)
	j := makeModels(t, svc, "a torus")[0]
	sum, _ := svc.Library.Summary(j.ID)
	glbPath := filepath.Join(t.TempDir(), "ring.glb")
	data, err := os.ReadFile(filepath.Join(svc.Library.JobDir(j.ID), filepath.FromSlash(sum.Model)))
	if err != nil {
		t.Fatal(err)
	}
	// Another library, so the model is new there.
	other := realServices(t)
	if err := os.WriteFile(glbPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	mw, _ := newTestWindow(t, other)
	mw.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(glbPath)})
	if mw.current() != screenGallery {
		t.Fatalf("a dropped GLB opened %q", mw.current())
	}
	// Listed and selected: a library refresh can list the model before the
	// import's own answer selects it.
	eventually(t, 30*time.Second, "the import listed and selected", func() bool {
		var ok bool
		fyne.DoAndWait(func() { ok = len(mw.gallery.items) == 1 && mw.gallery.selected == mw.gallery.items[0].ID })
		return ok
	})
	if mw.gallery.items[0].Provider != "local" || mw.gallery.selected != mw.gallery.items[0].ID {
		t.Fatalf("imported %+v, selected %q", mw.gallery.items[0], mw.gallery.selected)
	}
}

// Dragging on the Gallery's preview in the window turns the model.
func TestGalleryPreviewTurnsWhenDraggedInTheWindow(t *testing.T) {
	svc := realServices(t)
	makeModels(t, svc, "a red cube")
	mw, w := newTestWindow(t, svc)
	mw.show(screenGallery)
	g := mw.gallery
	g.grid.Select(0)
	v := g.preview
	eventually(t, 30*time.Second, "the model loaded", func() bool { return v.scene != nil })
	layoutAll(w.Content()) // as the real driver does before painting
	w.Canvas().Capture()   // painting asks the preview for its first frame
	f0 := frameOf(t, v, nil)
	yaw0 := v.yaw
	centre := fyne.CurrentApp().Driver().AbsolutePositionForObject(v).Add(fyne.NewPos(v.Size().Width/2, v.Size().Height/2))
	test.Drag(w.Canvas(), centre, 80, 0)
	if v.yaw == yaw0 {
		t.Fatal("dragging on the preview did not turn it")
	}
	if f1 := frameOf(t, v, f0); samePixels(f0, f1) {
		t.Fatal("the turned model looks the same")
	}
}

// A model imported by another Meshdrop process (a second core on the same
// folders, as "meshdrop import" is) appears in the Gallery on screen with
// nobody pressing refresh: the library's watcher hears it and the grid
// follows.
func TestGalleryShowsModelsAddedByAnotherProcess(t *testing.T) {
	svc, dirs := coreServices(t, 1)
	mw, _ := newTestWindow(t, svc)
	g := mw.gallery
	mw.show(screenGallery)
	if g.countLbl.Text != "1 of 1" {
		t.Fatalf("count %q, want 1 of 1", g.countLbl.Text)
	}

	other, err := app.NewAt(context.Background(), dirs, false)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := other.Library()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "crate.glb")
	glb, err := meshio.EncodeGLB(&meshio.Model{Name: "crate", Parts: []meshio.Part{{Name: "crate",
		Mesh: &meshio.Mesh{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}}, Indices: []uint32{0, 1, 2}}}}})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, string(glb))
	res := lib.Import([]string{src})
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("import in the other process: %+v", res)
	}
	other.Close() // the command exits: its index is written
	id := res[0].Job.ID

	eventually(t, time.Minute, "the other process's model in the grid", func() bool {
		var found bool
		fyne.DoAndWait(func() { found = g.indexOf(id) >= 0 && g.countLbl.Text == "2 of 2" })
		return found
	})

	// On another screen the grid is not queried for each change; showing
	// the Gallery again lists what changed meanwhile.
	mw.show(screenJobs)
	if err := svc.Library.Delete(id); err != nil {
		t.Fatal(err)
	}
	waitUI(func() { time.Sleep(2 * changeDelay) })
	if g.countLbl.Text != "2 of 2" {
		t.Fatalf("the hidden Gallery was queried again (%q)", g.countLbl.Text)
	}
	mw.show(screenGallery)
	if g.countLbl.Text != "1 of 1" || g.indexOf(id) >= 0 {
		t.Fatalf("after showing the Gallery: %q, deleted model listed: %v", g.countLbl.Text, g.indexOf(id) >= 0)
	}
}
