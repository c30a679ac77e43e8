package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/provider/sandbox"
	"meshdrop/core/provider/tripo"
)

func TestGenerateFirstRunOffersSandbox(t *testing.T) {
	svc := realServices(t)
	mw, w := newTestWindow(t, svc)
	g := mw.generate
	if !g.firstRun.Visible() {
		t.Fatal("with no keys the first-run card is hidden")
	}
	if got := g.selectedProvider(); got == nil || got.ID() != provider.Sandbox {
		t.Fatalf("first run picked %v, want the Sandbox", got)
	}
	if !g.keySel.Disabled() || g.keySel.PlaceHolder != noKeyLabel {
		t.Fatalf("Sandbox key picker: disabled=%v placeholder=%q", g.keySel.Disabled(), g.keySel.PlaceHolder)
	}
	if g.generateBtn.Disabled() == false {
		t.Fatal("Generate enabled with an empty prompt")
	}
	if g.reason.Text != "Write a prompt or add an image." {
		t.Fatalf("reason = %q", g.reason.Text)
	}
	assertMaster(t, "generate_first_run.xml", w)
}

func TestGeneratePromptCounterAndLimit(t *testing.T) {
	svc := realServices(t)
	mw, _ := newTestWindow(t, svc)
	g := mw.generate
	test.Type(g.prompt, "a red crate")
	if g.counter.Text != "11 / 1000" {
		t.Fatalf("counter = %q", g.counter.Text)
	}
	if g.generateBtn.Disabled() {
		t.Fatalf("Generate disabled: %q", g.reason.Text)
	}
	g.prompt.SetText(strings.Repeat("x", 1001))
	if !g.generateBtn.Disabled() || !strings.Contains(g.reason.Text, "at most 1000") {
		t.Fatalf("over-long prompt: disabled=%v reason=%q", g.generateBtn.Disabled(), g.reason.Text)
	}
}

func TestGenerateOptionOutOfRangeSaysWhy(t *testing.T) {
	svc := realServices(t)
	mw, _ := newTestWindow(t, svc)
	g := mw.generate
	test.Type(g.prompt, "a cube")
	var set bool
	for _, f := range g.fields {
		if f.opt.Name == "seed" {
			f.set("-5")
			set = true
		}
	}
	if !set {
		t.Fatal("the Sandbox's seed option was not drawn")
	}
	if !g.generateBtn.Disabled() || !strings.Contains(g.reason.Text, "seed") {
		t.Fatalf("seed -5: disabled=%v reason=%q", g.generateBtn.Disabled(), g.reason.Text)
	}
}

// The whole path: type a prompt, Ctrl+Enter, the job runs on the real
// Sandbox and lands in the library and the Jobs screen, then the Gallery.
func TestGenerateCtrlEnterRunsASandboxJob(t *testing.T) {
	svc := realServices(t)
	mw, w := newTestWindow(t, svc)
	w.Canvas().Focus(mw.generate.prompt)
	test.Type(mw.generate.prompt, "a golden torus")
	// Typed while the prompt has focus: the entry hands it to the window.
	mw.generate.prompt.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierShortcutDefault})
	eventually(t, 30*time.Second, "the job in the library", func() bool { return svc.Library.Len() == 1 })
	eventually(t, 30*time.Second, "the Jobs screen", func() bool { return mw.current() == screenJobs })
	eventually(t, 30*time.Second, "the job done", func() bool {
		page, _ := svc.Library.Query(library.Query{States: []library.State{library.StateDone}})
		return len(page) == 1
	})
	page, _ := svc.Library.Query(library.Query{})
	if page[0].Prompt != "a golden torus" || page[0].Provider != provider.Sandbox {
		t.Fatalf("job = %+v", page[0])
	}
	eventually(t, 30*time.Second, "the Jobs row done", func() bool {
		var done bool
		fyne.DoAndWait(func() { done = len(mw.jobs.rows) == 1 && mw.jobs.rows[0].State == library.StateDone })
		return done
	})
}

func TestGenerateDropImageAnywhere(t *testing.T) {
	svc := realServices(t)
	mw, _ := newTestWindow(t, svc)
	mw.show(screenKeys)
	dir := t.TempDir()
	p := pngFile(t, dir, "chair.png")
	mw.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(p)})
	if mw.current() != screenGenerate {
		t.Fatalf("drop switched to %q, want generate", mw.current())
	}
	g := mw.generate
	eventually(t, 30*time.Second, "the dropped image", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(g.images) })
		return n == 1
	})
	if g.images[0].MIME != "image/png" || g.images[0].Thumb == nil {
		t.Fatalf("image = %s thumb=%v", g.images[0].MIME, g.images[0].Thumb != nil)
	}
	if g.mode() != provider.ModeImage || g.generateBtn.Disabled() {
		t.Fatalf("mode %s, disabled=%v reason=%q", g.mode(), g.generateBtn.Disabled(), g.reason.Text)
	}
	// A second image is one too many for the Sandbox.
	mw.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(pngFile(t, dir, "b.png"))})
	eventually(t, 30*time.Second, "the second image", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(g.images) })
		return n == 2
	})
	if !g.generateBtn.Disabled() || !strings.Contains(g.reason.Text, "at most 1 image") {
		t.Fatalf("two images: reason=%q", g.reason.Text)
	}
	g.removeImage(1)
	if len(g.images) != 1 || g.generateBtn.Disabled() {
		t.Fatalf("after remove: %d images, reason=%q", len(g.images), g.reason.Text)
	}
	// Not an image: refused with a reason.
	txt := dir + "/notes.txt"
	writeFile(t, txt, "hello")
	mw.onDropped(fyne.NewPos(1, 1), []fyne.URI{storage.NewFileURI(txt)})
	eventually(t, 30*time.Second, "the refusal", func() bool {
		var r string
		fyne.DoAndWait(func() { r = g.reason.Text })
		return strings.Contains(r, "notes.txt is not an image")
	})
	if len(g.images) != 1 {
		t.Fatalf("a text file was added: %d images", len(g.images))
	}
}

// Tripo has named views: dropped images fill front, left, back, right in
// turn, an empty view's card chooses for that view, and removing frees it.
func TestGenerateMultiViewSlots(t *testing.T) {
	tp, err := tripo.New(tripo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	svc := realServices(t)
	svc.Registry = provider.NewRegistry(sandbox.New(sandbox.Config{Pace: testPace}), tp)
	mw, _ := newTestWindow(t, svc)
	g := mw.generate
	g.selectProvider(provider.Tripo)
	if len(g.imagesBox.Objects) != 4 || findButton(g.imagesBox, "Choose front…") == nil {
		t.Fatalf("Tripo shows %d view cards", len(g.imagesBox.Objects))
	}
	dir := t.TempDir()
	mw.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(pngFile(t, dir, "a.png")), storage.NewFileURI(pngFile(t, dir, "b.png"))})
	eventually(t, 30*time.Second, "two views filled", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(g.images) })
		return n == 2
	})
	if g.images[0].Slot != "front" || g.images[1].Slot != "left" {
		t.Fatalf("slots %q %q", g.images[0].Slot, g.images[1].Slot)
	}
	if g.mode() != provider.ModeMultiImage {
		t.Fatalf("mode %s", g.mode())
	}
	if findButton(g.imagesBox, "Choose front…") != nil || findButton(g.imagesBox, "Choose back…") == nil {
		t.Fatal("view cards do not follow the filled views")
	}
	// A file chosen for "right" goes there, not to the next free view.
	g.pendingSlot = "right"
	g.addImage(chosenImage{Name: "r.png", MIME: "image/png", Data: []byte("x")})
	if g.images[2].Slot != "right" {
		t.Fatalf("chosen for right went to %q", g.images[2].Slot)
	}
	g.removeImage(0)
	if findButton(g.imagesBox, "Choose front…") == nil {
		t.Fatal("removing the front image did not free its view")
	}
}

func TestGenerateSavesDefaultOptions(t *testing.T) {
	svc := realServices(t)
	mw, _ := newTestWindow(t, svc)
	g := mw.generate
	for _, f := range g.fields {
		if f.opt.Name == "detail" {
			f.set("high")
		}
	}
	g.onSaveDefaults()
	eventually(t, 30*time.Second, "saved", func() bool {
		var r string
		fyne.DoAndWait(func() { r = g.reason.Text })
		return strings.Contains(r, "now the defaults")
	})
	if got := svc.Core.Settings.DefaultOptions[provider.Sandbox]["detail"]; got != "high" {
		t.Fatalf("saved default detail = %q", got)
	}
	// A new window starts with it.
	mw2, _ := newTestWindow(t, svc)
	for _, f := range mw2.generate.fields {
		if f.opt.Name == "detail" && f.read() != "high" {
			t.Fatalf("new window's detail = %q", f.read())
		}
	}
}

// An image dropped on the window and the Generate button tapped: the
// Sandbox makes the model from the image, which the job keeps as its input.
func TestGenerateTapWithDroppedImageRunsAnImageJob(t *testing.T) {
	svc := realServices(t)
	mw, _ := newTestWindow(t, svc)
	g := mw.generate
	mw.onDropped(fyne.NewPos(200, 200), []fyne.URI{storage.NewFileURI(pngFile(t, t.TempDir(), "chair.png"))})
	eventually(t, 30*time.Second, "the dropped image", func() bool { return len(g.images) == 1 })
	if g.generateBtn.Disabled() {
		t.Fatalf("Generate disabled: %q", g.reason.Text)
	}
	test.Tap(g.generateBtn)
	eventually(t, 30*time.Second, "the job done", func() bool {
		page, _ := svc.Library.Query(library.Query{States: []library.State{library.StateDone}})
		return len(page) == 1
	})
	page, _ := svc.Library.Query(library.Query{})
	j, err := svc.Library.Get(page[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Mode != string(provider.ModeImage) || len(j.Inputs) != 1 || j.Prompt != "" {
		t.Fatalf("job mode %q, %d inputs, prompt %q", j.Mode, len(j.Inputs), j.Prompt)
	}
	if _, ok := library.ModelFile(j); !ok {
		t.Fatal("no model")
	}
	eventually(t, 30*time.Second, "the image cleared and the Jobs screen shown", func() bool {
		return len(g.images) == 0 && mw.current() == screenJobs
	})
}
