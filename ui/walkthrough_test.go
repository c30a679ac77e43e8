package ui

import (
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/provider/meshy"
	"meshdrop/core/provider/meshy/meshytest"
	"meshdrop/core/provider/sandbox"
)

// Tests for what a new user tripped on in the real window
// (scripts/screenshots.sh walks that path under Xvfb).

// A key added in Keys gets its budget row in Settings when Settings is
// shown next (the section said "Add a key in Keys" until a restart); what
// was typed for a key already drawn stays.
func TestSettingsBudgetsFollowKeysAddedInThisSession(t *testing.T) {
	svc := realServices(t)
	vault := withVault(t, svc)
	mw, w := newTestWindow(t, svc)
	mw.show(screenSettings)
	s := mw.settings
	if len(s.budgets) != 0 || !anyContains(labelsIn(w.Content()), "Add a key in Keys") {
		t.Fatalf("no keys: %d budget rows, labels %v", len(s.budgets), labelsIn(w.Content()))
	}
	mw.show(screenKeys)
	mw.keys.addKey(provider.Meshy, "Client A", keys.NewSecret("msy_SECRETsecretSECRET9f3a"), false)
	eventually(t, 30*time.Second, "the key listed", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(mw.keys.rows) })
		return n == 1
	})
	mw.show(screenSettings)
	if len(s.budgets) != 1 || s.budgets[0].keyID != vault.List()[0].ID {
		t.Fatalf("after adding a key: %d budget rows", len(s.budgets))
	}
	if anyContains(labelsIn(w.Content()), "Add a key in Keys") {
		t.Fatal("Settings still says to add a key")
	}
	s.budgets[0].perJob.SetText("25")
	if _, err := vault.Add(provider.Meshy, "Client B", keys.NewSecret("msy_OTHERotherOTHER1234"), keys.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	mw.show(screenKeys)
	mw.show(screenSettings)
	if len(s.budgets) != 2 {
		t.Fatalf("after a second key: %d budget rows", len(s.budgets))
	}
	_, budgets, err := s.collect()
	if err != nil {
		t.Fatal(err)
	}
	if b := budgets[vault.List()[0].ID]; b.PerJob != 25 {
		t.Fatalf("the typed cap was lost on redraw: %+v (%v)", b, budgets)
	}
}

// A model made from a dropped image alone is called after the image in Jobs
// ("From plant-pot.png", not the library's "input-1-plant-pot.png") and by
// what it came from and when in the Gallery (not by its job ID).
func TestImageOnlyModelsAreNamedForPeople(t *testing.T) {
	svc := realServices(t)
	mw, w := newTestWindow(t, svc)
	p := pngFile(t, t.TempDir(), "plant-pot.png")
	mw.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(p)})
	g := mw.generate
	eventually(t, 30*time.Second, "the dropped image", func() bool {
		var ok bool
		fyne.DoAndWait(func() { ok = len(g.images) == 1 && !g.generateBtn.Disabled() })
		return ok
	})
	test.Tap(g.generateBtn)
	var id string
	eventually(t, 30*time.Second, "the job done", func() bool {
		fyne.DoAndWait(func() {
			id = ""
			if rows := mw.jobs.rows; len(rows) == 1 && rows[0].State == library.StateDone {
				id = rows[0].ID
			}
		})
		return id != ""
	})
	jb, err := svc.Library.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(jb.Inputs) != 1 || jb.Inputs[0].File != "input-1-plant-pot.png" {
		t.Fatalf("inputs %+v", jb.Inputs)
	}
	if got := jobTitle(jb); got != "From plant-pot.png" {
		t.Fatalf("Jobs calls it %q", got)
	}
	mw.show(screenGallery)
	gal := mw.gallery
	eventually(t, 30*time.Second, "the model in the Gallery", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(gal.items) })
		return n == 1
	})
	want := "From an image, " + jb.Created.Local().Format("2 Jan 15:04")
	// After a restart the Jobs list is read from the index (no inputs).
	sum, ok := svc.Library.Summary(id)
	if !ok {
		t.Fatal("no summary for the job")
	}
	if got := jobTitle(jobFromSummary(sum)); got != want {
		t.Fatalf("Jobs calls it %q after a reload, want %q", got, want)
	}
	if got := cellTitle(gal.items[0]); got != want {
		t.Fatalf("the Gallery calls it %q, want %q", got, want)
	}
	fyne.DoAndWait(func() { gal.selectID(id) })
	labels := labelsIn(w.Content())
	if !anyContains(labels, want) || anyContains(labels, id) {
		t.Fatalf("detail pane labels %v", labels)
	}
	if got := inputName("input-12-a-b.png"); got != "a-b.png" {
		t.Fatalf("inputName = %q", got)
	}
	if got := inputName("input-1-"); got != "input-1-" {
		t.Fatalf("inputName of a bare prefix = %q", got)
	}
}

// A dropped image's card is scrolled into view: with the welcome card shown
// (no keys yet) it used to land below the fold of a default-sized window.
func TestDroppedImageIsScrolledIntoView(t *testing.T) {
	svc := realServices(t)
	mw, w := newTestWindow(t, svc)
	w.Resize(fyne.NewSize(1100, 720))
	g := mw.generate
	if !g.firstRun.Visible() {
		t.Fatal("no welcome card without keys")
	}
	layoutAll(w.Content())
	if g.leftScroll.Offset.Y != 0 {
		t.Fatalf("scrolled before the drop: %v", g.leftScroll.Offset)
	}
	mw.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(pngFile(t, t.TempDir(), "plant-pot.png"))})
	eventually(t, 30*time.Second, "the dropped image", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(g.images) })
		return n == 1
	})
	var cardBottom, visibleBottom float32
	fyne.DoAndWait(func() {
		layoutAll(w.Content())
		card := g.imagesBox.Objects[0]
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(card)
		top := fyne.CurrentApp().Driver().AbsolutePositionForObject(g.leftScroll)
		cardBottom = pos.Y + card.Size().Height
		visibleBottom = top.Y + g.leftScroll.Size().Height
	})
	if cardBottom > visibleBottom+1 {
		t.Fatalf("the image card ends at %v, below the visible form (%v); scroll offset %v", cardBottom, visibleBottom, g.leftScroll.Offset)
	}
}

// A new job on top of the list leaves the highlight on the selected job,
// and a click on the new job's row shows it (the list kept the highlight on
// row 0, now the new job, with the old job's detail, and ignored the click).
func TestJobsSelectionFollowsItsJobWhenANewJobArrives(t *testing.T) {
	svc := realServices(t)
	old := makeModels(t, svc, "a red wooden crate")[0]
	mw, _ := newTestWindow(t, svc)
	mw.show(screenJobs)
	j := mw.jobs
	fyne.DoAndWait(j.reload)
	fyne.DoAndWait(func() { j.list.Select(0) })
	if j.selected != old.ID {
		t.Fatalf("selected %q, want %q", j.selected, old.ID)
	}
	var newer library.Job
	// The runner's listeners hand their updates to the UI thread: free it.
	waitUI(func() { newer = makeModels(t, svc, "a golden torus")[0] })
	eventually(t, 30*time.Second, "the new job on top", func() bool {
		var ok bool
		fyne.DoAndWait(func() { ok = len(j.rows) == 2 && j.rows[0].ID == newer.ID })
		return ok
	})
	if j.selected != old.ID || !anyContains(labelsIn(j.detail), "a red wooden crate") {
		t.Fatalf("the detail left the selected job: selected %q, detail %v", j.selected, labelsIn(j.detail))
	}
	// A click on the new job's row (row 0) selects it.
	fyne.DoAndWait(func() { j.list.Select(0) })
	if j.selected != newer.ID || !anyContains(labelsIn(j.detail), "a golden torus") {
		t.Fatalf("clicking the new job: selected %q, detail %v", j.selected, labelsIn(j.detail))
	}
}

// The status line says why a key's credits are unknown: a rejected key
// (Meshy on a loopback server answering 401) is told apart from no network.
func TestStatusLineSaysWhyCreditsAreUnknown(t *testing.T) {
	const good = "msy_GOODgoodGOODgood1111"
	srv := meshytest.New(t, good)
	m, err := meshy.New(meshy.Config{BaseURL: srv.BaseURL()})
	if err != nil {
		t.Fatal(err)
	}
	svc := realServices(t)
	svc.Registry = provider.NewRegistry(sandbox.New(sandbox.Config{Pace: testPace}), m)
	vault := withVault(t, svc)
	if _, err := vault.Add(provider.Meshy, "Old key", keys.NewSecret("msy_REVOKEDrevoked2222"), keys.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	mw, _ := newTestWindow(t, svc)
	mw.generate.selectProvider(provider.Meshy)
	eventually(t, 30*time.Second, "the reason in the status line", func() bool {
		var s string
		fyne.DoAndWait(func() { s = mw.status.Text })
		return strings.Contains(s, "Key 'Old key' (msy_…2222): key rejected: replace it in Keys")
	})
	if got := creditsProblem("Meshy", &provider.Error{Kind: provider.ErrUnavailable, Provider: provider.Meshy, Message: "no route"}); !strings.Contains(got, "Meshy cannot be reached") {
		t.Fatalf("unreachable: %q", got)
	}
}

// The Gallery's Open hands the model's file to the system opener, and says
// so in the window when no opener could be started (it was only logged).
func TestGalleryOpenHandsTheModelToTheOpenerOrSaysWhy(t *testing.T) {
	svc := realServices(t)
	made := makeModels(t, svc, "a golden torus")[0]
	mw, w := newTestWindow(t, svc)
	var opened []string
	var fail error
	prev := openURL
	openURL = func(_ fyne.App, u *url.URL) error { opened = append(opened, u.String()); return fail }
	t.Cleanup(func() { openURL = prev })
	mw.show(screenGallery)
	g := mw.gallery
	eventually(t, 30*time.Second, "the model in the Gallery", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(g.items) })
		return n == 1
	})
	fyne.DoAndWait(func() { g.selectID(made.ID) })
	open := findButton(g.detail, "Open")
	if open == nil {
		t.Fatal("no Open button")
	}
	test.Tap(open)
	want := "file://" + filepath.ToSlash(filepath.Join(svc.Library.JobDir(made.ID), "model.glb"))
	if len(opened) != 1 || opened[0] != want {
		t.Fatalf("opened %v, want %s", opened, want)
	}
	if w.Canvas().Overlays().Top() != nil {
		t.Fatal("a dialog after a successful open")
	}
	fail = errors.New(`exec: "xdg-open": executable file not found in $PATH`)
	test.Tap(open)
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no message when the opener could not start")
	}
	if labels := labelsIn(top); !anyContains(labels, "Could not open model.glb") || !anyContains(labels, "xdg-open") {
		t.Fatalf("dialog says %v", labels)
	}
}

// A key added in Keys is the highlighted row, and a click on the key that
// was highlighted before selects it again (the highlight stayed on the old
// row beside the new key's detail, and that click did nothing).
func TestKeysHighlightFollowsTheAddedKey(t *testing.T) {
	svc := realServices(t)
	vault := withVault(t, svc)
	first, err := vault.Add(provider.Meshy, "Client A", keys.NewSecret("msy_FIRSTfirstFIRST1111"), keys.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mw, _ := newTestWindow(t, svc)
	mw.show(screenKeys)
	k := mw.keys
	fyne.DoAndWait(func() { k.list.Select(0) })
	if k.selected != first.ID {
		t.Fatalf("selected %q", k.selected)
	}
	k.addKey(provider.Meshy, "Zed", keys.NewSecret("msy_SECONDsecondSEC2222"), false)
	eventually(t, 30*time.Second, "the new key listed", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(k.rows) })
		return n == 2
	})
	i := slices.IndexFunc(k.rows, func(x keys.Key) bool { return x.ID == first.ID })
	if k.selected == first.ID || i < 0 {
		t.Fatalf("the added key is not selected (%q), or the first is gone (%d)", k.selected, i)
	}
	fyne.DoAndWait(func() { k.list.Select(i) })
	if k.selected != first.ID {
		t.Fatalf("a click on the first key left %q selected", k.selected)
	}
}
