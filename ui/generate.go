package ui

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decode dropped JPEGs for their thumbnails
	_ "image/png"  // and PNGs
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	fdialog "fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	sqdialog "github.com/sqweek/dialog"
	_ "golang.org/x/image/webp" // and WebPs

	"meshdrop/core/jobs"
	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
)

// Image types Meshdrop takes when a provider does not list its own.
var defaultImageTypes = []string{"image/png", "image/jpeg", "image/webp"}

// defaultMaxImageBytes is the size cap when a provider states none.
const defaultMaxImageBytes = 20 << 20

// noKeyLabel is the key picker's text for providers that need none.
const noKeyLabel = "No key needed"

// chosenImage is one input image waiting to be sent.
type chosenImage struct {
	Name  string
	Slot  string
	MIME  string
	Data  []byte
	Thumb image.Image
}

// optionField is one drawn option: read gives the value ("" = not set).
type optionField struct {
	opt  provider.Option
	read func() string
	set  func(string)
}

// generateScreen makes a job from a prompt and/or images with a provider's
// options.
type generateScreen struct {
	mw   *mainWindow
	svc  *services
	view fyne.CanvasObject

	firstRun    *fyne.Container
	providerSel *widget.Select
	keySel      *widget.Select
	prompt      *shortcutEntry
	counter     *widget.Label
	imagesBox   *fyne.Container
	imagesHint  *widget.Label
	optionsForm *fyne.Container
	leftScroll  *container.Scroll // provider, prompt and images
	estimate    *widget.Label
	generateBtn *widget.Button
	reason      *widget.Label

	providerIDs []string // parallel to providerSel.Options
	keyIDs      []string // parallel to keySel.Options
	images      []chosenImage
	fields      []optionField
	credits     map[string]string // key ID → text, filled by Balance in the background
	pendingSlot string            // the view the file picker is choosing for
	busy        bool
}

func newGenerateScreen(mw *mainWindow) *generateScreen {
	g := &generateScreen{mw: mw, credits: map[string]string{}}
	g.providerSel = widget.NewSelect(nil, g.onProviderChanged)
	g.providerSel.PlaceHolder = "Loading providers…"
	g.keySel = widget.NewSelect(nil, g.onKeyChanged)
	g.keySel.PlaceHolder = "Pick a key"
	g.prompt = newShortcutEntry(mw, true)
	g.prompt.SetPlaceHolder("Describe the model, e.g. “a red wooden crate with metal corners”")
	g.prompt.Wrapping = fyne.TextWrapWord
	g.prompt.SetMinRowsVisible(4)
	g.prompt.OnChanged = func(string) { g.onPromptChanged() }
	g.counter = widget.NewLabel("0")
	g.counter.Alignment = fyne.TextAlignTrailing
	g.imagesBox = container.NewGridWrap(fyne.NewSize(150, 170))
	g.imagesHint = widget.NewLabel("Drop images anywhere on the window, or choose files.")
	g.imagesHint.Wrapping = fyne.TextWrapWord
	chooseBtn := widget.NewButtonWithIcon("Choose an image…", theme.FolderOpenIcon(), g.onChooseFiles)
	pasteBtn := widget.NewButtonWithIcon("Paste", theme.ContentPasteIcon(), g.onPaste)
	g.optionsForm = container.NewVBox()
	g.estimate = widget.NewLabel("")
	g.generateBtn = widget.NewButtonWithIcon("Generate", theme.MediaPlayIcon(), g.onGenerate)
	g.generateBtn.Importance = widget.HighImportance
	g.reason = widget.NewLabel("")
	g.reason.Wrapping = fyne.TextWrapWord
	g.reason.Importance = widget.WarningImportance
	g.firstRun = container.NewVBox()
	g.firstRun.Hide()

	pickers := container.New(newFormLayout(),
		widget.NewLabel("Provider"), g.providerSel,
		widget.NewLabel("Key"), g.keySel)
	left := container.NewVBox(
		g.firstRun,
		pickers,
		widget.NewLabelWithStyle("Prompt", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		g.prompt, g.counter,
		widget.NewLabelWithStyle("Images", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		g.imagesHint,
		container.NewHBox(chooseBtn, pasteBtn),
		g.imagesBox,
	)
	saveDefaults := widget.NewButtonWithIcon("Make these my defaults", theme.DocumentSaveIcon(), g.onSaveDefaults)
	saveDefaults.Importance = widget.LowImportance
	right := container.NewVBox(
		widget.NewLabelWithStyle("Options", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		g.optionsForm,
		container.NewHBox(saveDefaults),
	)
	bottom := container.NewVBox(widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, container.NewHBox(g.estimate, g.generateBtn), g.reason))
	g.leftScroll = container.NewVScroll(container.NewPadded(left))
	split := container.NewHSplit(g.leftScroll, container.NewVScroll(container.NewPadded(right)))
	split.Offset = 0.6
	g.view = container.NewBorder(nil, container.NewPadded(bottom), nil, nil, split)
	g.updateState()
	return g
}

// bind fills the pickers from the registry and vault.
func (g *generateScreen) bind(svc *services) {
	g.svc = svc
	g.providerIDs = nil
	var names []string
	for _, p := range svc.providers() {
		g.providerIDs = append(g.providerIDs, p.ID())
		names = append(names, p.DisplayName())
	}
	g.providerSel.SetOptions(names)
	if len(names) == 0 {
		g.providerSel.PlaceHolder = "No providers"
		if svc.RegErr != nil {
			g.providerSel.PlaceHolder = "Providers: " + svc.RegErr.Error()
		}
		g.providerSel.Refresh()
	}
	def := provider.Sandbox
	if svc.Core != nil && svc.Core.Current().DefaultProvider != "" {
		def = svc.Core.Current().DefaultProvider
	}
	// With no keys at all, start on the Sandbox whatever the default says.
	if len(svc.allKeys()) == 0 {
		def = provider.Sandbox
	}
	g.selectProvider(def)
	if g.providerSel.SelectedIndex() < 0 && len(names) > 0 {
		g.providerSel.SetSelectedIndex(0)
	}
	g.refreshFirstRun()
	g.updateState()
}

// selectProvider picks a provider by ID (ignored when unknown).
func (g *generateScreen) selectProvider(id string) {
	if i := slices.Index(g.providerIDs, id); i >= 0 {
		g.providerSel.SetSelectedIndex(i)
	}
}

// selectedProvider is the picked provider, nil when none.
func (g *generateScreen) selectedProvider() provider.Provider {
	i := g.providerSel.SelectedIndex()
	if i < 0 || i >= len(g.providerIDs) {
		return nil
	}
	return g.svc.provider(g.providerIDs[i])
}

// selectedKey is the picked key, ok=false when none.
func (g *generateScreen) selectedKey() (keys.Key, bool) {
	i := g.keySel.SelectedIndex()
	if i < 0 || i >= len(g.keyIDs) || g.svc == nil || g.svc.Vault == nil {
		return keys.Key{}, false
	}
	return g.svc.Vault.Get(g.keyIDs[i])
}

// refreshFirstRun shows the first-run card when there are no keys at all.
func (g *generateScreen) refreshFirstRun() {
	g.firstRun.RemoveAll()
	if g.svc == nil || len(g.svc.allKeys()) > 0 {
		g.firstRun.Hide()
		return
	}
	msg := widget.NewLabel("No keys yet. Try the Sandbox: it makes simple models on this computer, free and offline. " +
		"To use Meshy, Tripo, Rodin or genX3D, add your API key in Keys.")
	msg.Wrapping = fyne.TextWrapWord
	useSandbox := widget.NewButton("Use the Sandbox", func() { g.selectProvider(provider.Sandbox) })
	addKey := widget.NewButtonWithIcon("Add a key", theme.ContentAddIcon(), func() { g.mw.show(screenKeys) })
	g.firstRun.Add(widget.NewCard("Welcome to Meshdrop", "", container.NewVBox(msg, container.NewHBox(useSandbox, addKey))))
	g.firstRun.Show()
}

func (g *generateScreen) onProviderChanged(string) {
	p := g.selectedProvider()
	g.refreshKeys()
	g.buildOptions()
	if p != nil {
		// Images that the new provider cannot take stay listed; the
		// Generate button says what is wrong with them.
		g.imagesHint.SetText(imagesHint(p.Capabilities()))
	}
	g.onPromptChanged()
	g.renderImages()
}

// refreshKeys fills the key picker with the selected provider's keys only.
func (g *generateScreen) refreshKeys() {
	p := g.selectedProvider()
	prev := ""
	if k, ok := g.selectedKey(); ok {
		prev = k.ID
	}
	g.keyIDs = nil
	var names []string
	if p != nil && p.Capabilities().NeedsKey {
		for _, k := range g.svc.keysFor(p.ID()) {
			g.keyIDs = append(g.keyIDs, k.ID)
			names = append(names, fmt.Sprintf("%s (%s)", k.Name, k.Fingerprint))
		}
	}
	g.keySel.SetOptions(names)
	switch {
	case p != nil && !p.Capabilities().NeedsKey:
		g.keySel.ClearSelected()
		g.keySel.PlaceHolder = noKeyLabel
		g.keySel.Disable()
	case len(names) == 0:
		g.keySel.ClearSelected()
		g.keySel.PlaceHolder = "No keys for this provider: add one in Keys"
		g.keySel.Disable()
	default:
		g.keySel.PlaceHolder = "Pick a key"
		g.keySel.Enable()
		if i := slices.Index(g.keyIDs, prev); i >= 0 {
			g.keySel.SetSelectedIndex(i)
		} else {
			g.keySel.SetSelectedIndex(0)
		}
	}
	g.keySel.Refresh()
	g.refreshFirstRun()
	g.updateState()
}

func (g *generateScreen) onKeyChanged(string) {
	g.fetchCredits()
	g.updateState()
	g.mw.refreshStatus()
}

// fetchCredits asks the provider for the selected key's balance in the
// background; the status line shows it when it arrives.
func (g *generateScreen) fetchCredits() {
	p := g.selectedProvider()
	k, ok := g.selectedKey()
	if p == nil || !ok || !p.Capabilities().CanBalance || g.svc.Vault == nil {
		return
	}
	if _, known := g.credits[k.ID]; known {
		return
	}
	g.credits[k.ID] = "checking credits…"
	vault, ctx := g.svc.Vault, g.svc.Ctx
	go func() {
		text := ""
		secret, err := vault.Secret(k.ID)
		if err == nil {
			var b provider.Balance
			b, err = p.Balance(ctx, provider.Credential{KeyID: k.ID, Name: k.Name, Secret: secret})
			text = formatBalance(b)
		}
		if err != nil {
			text = creditsProblem(p.DisplayName(), err)
		}
		fyne.Do(func() {
			g.credits[k.ID] = text
			g.mw.refreshStatus()
		})
	}()
}

// creditsText is the status line's part about the selected key.
func (g *generateScreen) creditsText() string {
	p := g.selectedProvider()
	if p == nil {
		return "No provider selected"
	}
	if !p.Capabilities().NeedsKey {
		return p.DisplayName() + ": no key needed"
	}
	k, ok := g.selectedKey()
	if !ok {
		return p.DisplayName() + ": no key selected"
	}
	c := g.credits[k.ID]
	if c == "" {
		c = "credits not checked"
	}
	return fmt.Sprintf("Key '%s' (%s): %s", k.Name, k.Fingerprint, c)
}

// creditsProblem is the status line's short word on why a key's credits
// are unknown. "credits unknown" alone left a new user to guess between a
// wrong key and no network; the whole message is in Keys' Test.
func creditsProblem(providerName string, err error) string {
	switch provider.KindOf(err) {
	case provider.ErrUnauthorized, provider.ErrForbidden:
		return "key rejected: replace it in Keys"
	case provider.ErrNoCredits:
		return "out of credits"
	case provider.ErrRateLimited:
		return "credits unknown: " + providerName + " is rate-limiting, try later"
	case provider.ErrUnavailable:
		return "credits unknown: " + providerName + " cannot be reached (offline?)"
	}
	return "credits unknown: Test the key in Keys for why"
}

func formatBalance(b provider.Balance) string {
	unit := b.Unit
	if unit == "" {
		unit = "credits"
	}
	return strconv.FormatFloat(b.Credits, 'f', -1, 64) + " " + unit
}

func (g *generateScreen) onPromptChanged() {
	n := len([]rune(g.prompt.Text))
	if p := g.selectedProvider(); p != nil && p.Capabilities().PromptMaxLen > 0 {
		g.counter.SetText(fmt.Sprintf("%d / %d", n, p.Capabilities().PromptMaxLen))
	} else {
		g.counter.SetText(strconv.Itoa(n))
	}
	g.updateState()
}

// imagesHint says what the provider takes.
func imagesHint(c provider.Capabilities) string {
	if !slices.Contains(c.Modes, provider.ModeImage) && !slices.Contains(c.Modes, provider.ModeMultiImage) {
		return "This provider works from a prompt only."
	}
	n := maxImages(c)
	s := "Drop an image anywhere on the window, choose a file or paste a path."
	if n > 1 {
		s = fmt.Sprintf("Drop up to %d images anywhere on the window, choose files or paste paths.", n)
	}
	if len(c.ImageSlots) > 0 {
		s += " Views: " + strings.Join(c.ImageSlots, ", ") + " (in that order)."
	}
	return s
}

func maxImages(c provider.Capabilities) int {
	n := c.MaxImages
	if len(c.ImageSlots) > n {
		n = len(c.ImageSlots)
	}
	if n == 0 && slices.Contains(c.Modes, provider.ModeImage) {
		n = 1
	}
	return n
}

// addPaths reads image files in the background and adds them (drop, picker,
// paste, "Open with").
func (g *generateScreen) addPaths(paths []string) {
	go func() {
		var got []chosenImage
		var problems []string
		for _, p := range paths {
			img, err := readImage(p)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			got = append(got, img)
		}
		fyne.Do(func() {
			for _, img := range got {
				g.addImage(img)
			}
			if len(problems) > 0 {
				g.reason.SetText(strings.Join(problems, "\n"))
			}
		})
	}()
}

// readImage loads one image file and makes its thumbnail.
func readImage(path string) (chosenImage, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return chosenImage{}, fmt.Errorf("cannot read %s: %w", filepath.Base(path), err)
	}
	if fi.IsDir() {
		return chosenImage{}, fmt.Errorf("%s is a folder, not an image", filepath.Base(path))
	}
	if fi.Size() > 200<<20 {
		return chosenImage{}, fmt.Errorf("%s is %s: too big for any provider", filepath.Base(path), formatBytes(fi.Size()))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return chosenImage{}, fmt.Errorf("cannot read %s: %w", filepath.Base(path), err)
	}
	return imageFromBytes(filepath.Base(path), data)
}

// imageFromBytes sniffs the type and decodes a thumbnail.
func imageFromBytes(name string, data []byte) (chosenImage, error) {
	mime := http.DetectContentType(data)
	if mime == "application/octet-stream" || mime == "text/plain; charset=utf-8" {
		if strings.EqualFold(filepath.Ext(name), ".webp") {
			mime = "image/webp"
		}
	}
	if !strings.HasPrefix(mime, "image/") {
		return chosenImage{}, fmt.Errorf("%s is not an image (it looks like %s); use PNG, JPEG or WebP", name, mime)
	}
	ci := chosenImage{Name: name, MIME: mime, Data: data}
	if img, _, err := image.Decode(bytes.NewReader(data)); err == nil {
		ci.Thumb = img
	}
	return ci, nil
}

// addImage adds an image into the next free view slot (UI goroutine).
func (g *generateScreen) addImage(img chosenImage) {
	if img.Slot == "" && g.pendingSlot != "" && !g.slotUsed(g.pendingSlot) {
		img.Slot = g.pendingSlot
	}
	g.pendingSlot = ""
	if p := g.selectedProvider(); p != nil {
		slots := p.Capabilities().ImageSlots
		if img.Slot == "" && len(slots) > 0 {
			for _, s := range slots {
				if !g.slotUsed(s) {
					img.Slot = s
					break
				}
			}
		}
	}
	g.images = append(g.images, img)
	g.renderImages()
	g.updateState()
	g.revealImages()
}

// revealImages scrolls the form down to the image cards (they are last).
// Under the welcome card, in a window of the default size, a dropped
// image's card landed below the fold: the drop seemed to do nothing.
func (g *generateScreen) revealImages() {
	g.leftScroll.Refresh() // lays the grown form out before measuring it
	g.leftScroll.ScrollToBottom()
}

func (g *generateScreen) slotUsed(slot string) bool {
	return slices.ContainsFunc(g.images, func(c chosenImage) bool { return c.Slot == slot })
}

func (g *generateScreen) removeImage(i int) {
	if i < 0 || i >= len(g.images) {
		return
	}
	g.images = slices.Delete(g.images, i, i+1)
	g.renderImages()
	g.updateState()
}

// renderImages draws the chosen images' thumbnails, each with remove. A
// provider with named views (front, left, back, right) gets one card per
// view; an empty view's card chooses a file for that view.
func (g *generateScreen) renderImages() {
	g.imagesBox.RemoveAll()
	var slots []string
	if p := g.selectedProvider(); p != nil {
		slots = p.Capabilities().ImageSlots
	}
	for _, slot := range slots {
		if i := slices.IndexFunc(g.images, func(c chosenImage) bool { return c.Slot == slot }); i >= 0 {
			g.imagesBox.Add(g.imageCard(i))
			continue
		}
		slot := slot
		pick := widget.NewButtonWithIcon("Choose "+slot+"…", theme.FolderOpenIcon(), func() { g.chooseFor(slot) })
		g.imagesBox.Add(container.NewBorder(nil, widget.NewLabelWithStyle(slot, fyne.TextAlignCenter, fyne.TextStyle{Italic: true}), nil, nil,
			container.NewCenter(pick)))
	}
	for i, img := range g.images {
		if len(slots) > 0 && slices.Contains(slots, img.Slot) {
			continue // drawn in its view's card
		}
		g.imagesBox.Add(g.imageCard(i))
	}
	g.imagesBox.Refresh()
}

// imageCard is one chosen image's thumbnail, name and remove button.
func (g *generateScreen) imageCard(i int) fyne.CanvasObject {
	img := g.images[i]
	var pic fyne.CanvasObject
	if img.Thumb != nil {
		ci := canvas.NewImageFromImage(img.Thumb)
		ci.FillMode = canvas.ImageFillContain
		ci.SetMinSize(fyne.NewSize(140, 100))
		pic = ci
	} else {
		pic = container.NewCenter(widget.NewIcon(theme.FileImageIcon()))
	}
	title := img.Name
	if img.Slot != "" {
		title = img.Slot + ": " + img.Name
	}
	lbl := widget.NewLabel(title)
	lbl.Truncation = fyne.TextTruncateEllipsis
	rm := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { g.removeImage(i) })
	rm.Importance = widget.LowImportance
	return container.NewBorder(nil, container.NewBorder(nil, nil, nil, rm, lbl), nil, nil, pic)
}

// chooseFor picks a file for one named view.
func (g *generateScreen) chooseFor(slot string) {
	g.pendingSlot = slot
	g.onChooseFiles()
}

// onChooseFiles opens the native file dialog (sqweek/dialog) in the
// background and falls back to Fyne's own when there is no native one.
func (g *generateScreen) onChooseFiles() {
	go func() {
		path, err := sqdialog.File().Title("Choose an image").Filter("Images", "png", "jpg", "jpeg", "webp").Load()
		if errors.Is(err, sqdialog.ErrCancelled) {
			fyne.Do(func() { g.pendingSlot = "" })
			return
		}
		if err == nil {
			g.addPaths([]string{path})
			return
		}
		fyne.Do(g.chooseWithFyne)
	}()
}

func (g *generateScreen) chooseWithFyne() {
	d := fdialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		g.addPaths([]string{path})
	}, g.mw.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".webp"}))
	d.Show()
}

// onPaste adds file paths (or file:// URIs) found on the clipboard.
func (g *generateScreen) onPaste() {
	text := g.mw.app.Clipboard().Content()
	var paths []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimPrefix(line, "file://")
		if line != "" {
			paths = append(paths, line)
		}
	}
	if len(paths) == 0 {
		g.reason.SetText("The clipboard holds no image path. Copy image files in your file manager, then paste.")
		return
	}
	g.addPaths(paths)
}

// buildOptions draws the provider's options for the current mode with their
// defaults and ranges (settings' default options first).
func (g *generateScreen) buildOptions() {
	g.optionsForm.RemoveAll()
	g.fields = nil
	p := g.selectedProvider()
	if p == nil {
		g.optionsForm.Add(widget.NewLabel("Pick a provider to see its options."))
		return
	}
	caps := p.Capabilities()
	defaults := map[string]string{}
	if g.svc != nil && g.svc.Core != nil {
		defaults = g.svc.Core.Current().DefaultOptions[p.ID()]
	}
	form := container.New(newFormLayout())
	for _, o := range caps.Options {
		val := o.Default
		if v, ok := defaults[o.Name]; ok {
			val = v
		}
		w, read, set := optionWidget(o, val, g.updateState)
		label := o.Label
		if label == "" {
			label = o.Name
		}
		lbl := widget.NewLabel(label)
		form.Add(lbl)
		if o.Help != "" {
			help := widget.NewLabel(o.Help)
			help.Wrapping = fyne.TextWrapWord
			help.Importance = widget.LowImportance
			form.Add(container.NewVBox(w, help))
		} else {
			form.Add(w)
		}
		g.fields = append(g.fields, optionField{opt: o, read: read, set: set})
	}
	if len(caps.Options) == 0 {
		g.optionsForm.Add(widget.NewLabel(p.DisplayName() + " has no options."))
	}
	g.optionsForm.Add(form)
	g.optionsForm.Refresh()
}

// optionWidget draws one option; read returns its current value.
func optionWidget(o provider.Option, val string, changed func()) (fyne.CanvasObject, func() string, func(string)) {
	switch o.Type {
	case provider.OptBool:
		c := widget.NewCheck("", func(bool) { changed() })
		c.Checked = val == "true"
		return c, func() string { return strconv.FormatBool(c.Checked) }, func(v string) { c.SetChecked(v == "true") }
	case provider.OptEnum:
		s := widget.NewSelect(o.Choices, func(string) { changed() })
		s.Selected = val
		return s, func() string { return s.Selected }, s.SetSelected
	default:
		e := widget.NewEntry()
		e.SetText(val)
		e.SetPlaceHolder(rangeHint(o))
		e.OnChanged = func(string) { changed() }
		e.Validator = func(s string) error {
			if s == "" {
				return nil
			}
			return o.Check(s)
		}
		return e, func() string { return strings.TrimSpace(e.Text) }, e.SetText
	}
}

// rangeHint is an entry's placeholder, e.g. "1000–300000".
func rangeHint(o provider.Option) string {
	num := func(f *float64) string { return strconv.FormatFloat(*f, 'f', -1, 64) }
	switch {
	case o.Min != nil && o.Max != nil:
		return num(o.Min) + "–" + num(o.Max)
	case o.Min != nil:
		return "at least " + num(o.Min)
	case o.Max != nil:
		return "at most " + num(o.Max)
	}
	return ""
}

// mode is the request's mode from the chosen images.
func (g *generateScreen) mode() provider.Mode {
	switch {
	case len(g.images) == 0:
		return provider.ModeText
	case len(g.images) == 1 && !slices.ContainsFunc(g.images, func(c chosenImage) bool { return c.Slot != "" && c.Slot != "front" }):
		return provider.ModeImage
	default:
		return provider.ModeMultiImage
	}
}

// options reads the option fields that apply to the mode.
func (g *generateScreen) options(mode provider.Mode) map[string]string {
	out := map[string]string{}
	for _, f := range g.fields {
		if !f.opt.AppliesTo(mode) {
			continue
		}
		if v := f.read(); v != "" {
			out[f.opt.Name] = v
		}
	}
	return out
}

// blocker says why Generate cannot run now, "" when it can.
func (g *generateScreen) blocker() string {
	if g.busy {
		return "Sending…"
	}
	if g.svc == nil {
		return "Opening the library…"
	}
	p := g.selectedProvider()
	if p == nil {
		if g.svc.RegErr != nil {
			return "No providers: " + g.svc.RegErr.Error() + "."
		}
		return "Pick a provider."
	}
	if g.svc.Runner == nil {
		return "The job runner is not running: " + errText(g.svc.RunnerErr) + "."
	}
	caps := p.Capabilities()
	if caps.NeedsKey {
		if _, ok := g.selectedKey(); !ok {
			return fmt.Sprintf("%s needs an API key: add one in Keys, or pick the Sandbox.", p.DisplayName())
		}
	}
	mode := g.mode()
	prompt := strings.TrimSpace(g.prompt.Text)
	if mode == provider.ModeText && prompt == "" {
		return "Write a prompt or add an image."
	}
	if max := maxImages(caps); len(g.images) > max {
		return fmt.Sprintf("%s takes at most %d image(s); remove %d.", p.DisplayName(), max, len(g.images)-max)
	}
	if !slices.Contains(caps.Modes, mode) {
		switch mode {
		case provider.ModeText:
			return p.DisplayName() + " needs an image: drop one on the window."
		default:
			return fmt.Sprintf("%s does not take %s requests; remove images or pick another provider.", p.DisplayName(), mode)
		}
	}
	if n := len([]rune(prompt)); caps.PromptMaxLen > 0 && n > caps.PromptMaxLen {
		return fmt.Sprintf("The prompt is %d characters; %s takes at most %d.", n, p.DisplayName(), caps.PromptMaxLen)
	}
	types := caps.ImageTypes
	if len(types) == 0 {
		types = defaultImageTypes
	}
	limit := caps.MaxImageBytes
	if limit == 0 {
		limit = defaultMaxImageBytes
	}
	for _, img := range g.images {
		if !slices.Contains(types, img.MIME) {
			return fmt.Sprintf("%s is %s; %s takes %s.", img.Name, img.MIME, p.DisplayName(), strings.Join(types, ", "))
		}
		if int64(len(img.Data)) > limit {
			return fmt.Sprintf("%s is %s; %s takes at most %s per image.", img.Name, formatBytes(int64(len(img.Data))), p.DisplayName(), formatBytes(limit))
		}
	}
	if err := caps.ValidateOptions(p.DisplayName(), mode, g.options(mode)); err != nil {
		return err.Error()
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return "still opening"
	}
	return err.Error()
}

// updateState enables Generate or says why not, and shows the estimate.
func (g *generateScreen) updateState() {
	why := g.blocker()
	g.reason.SetText(why)
	if why == "" {
		g.generateBtn.Enable()
	} else {
		g.generateBtn.Disable()
	}
	g.estimate.SetText("")
	if p := g.selectedProvider(); p != nil {
		if est, ok := p.(jobs.Estimator); ok {
			mode := g.mode()
			if c := est.Estimate(provider.Request{Mode: mode, Prompt: g.prompt.Text, Options: g.options(mode)}); c > 0 {
				g.estimate.SetText(fmt.Sprintf("about %s credits", strconv.FormatFloat(c, 'f', -1, 64)))
			}
		}
	}
}

// onGenerate hands the job to the runner in the background (it copies the
// inputs into the library and writes the draft); the Jobs screen shows it.
func (g *generateScreen) onGenerate() {
	if g.blocker() != "" {
		return
	}
	p := g.selectedProvider()
	mode := g.mode()
	spec := jobs.Spec{Provider: p.ID(), Prompt: strings.TrimSpace(g.prompt.Text), Options: g.options(mode)}
	if k, ok := g.selectedKey(); ok {
		spec.Key = k.ID
	}
	for _, img := range g.images {
		spec.Images = append(spec.Images, provider.Image{Name: img.Name, Slot: img.Slot, MIME: img.MIME, Data: img.Data})
	}
	runner, ctx := g.svc.Runner, g.svc.Ctx
	g.busy = true
	g.updateState()
	go func() {
		_, err := runner.Submit(ctx, spec)
		fyne.Do(func() {
			g.busy = false
			g.updateState()
			if err != nil {
				g.reason.SetText("Not sent: " + err.Error())
				return
			}
			g.images = nil
			g.renderImages()
			g.updateState()
			g.mw.jobs.reload()
			g.mw.show(screenJobs)
		})
	}()
}

// formatBytes is a size for people: 1.5 MB.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// prefill sets the form from an earlier job ("Make again").
func (g *generateScreen) prefill(j library.Job, images []chosenImage) {
	g.selectProvider(j.Provider)
	if i := slices.Index(g.keyIDs, j.KeyID); i >= 0 {
		g.keySel.SetSelectedIndex(i)
	}
	g.prompt.SetText(j.Prompt)
	g.images = images
	g.renderImages()
	for _, f := range g.fields {
		if v, ok := j.Options[f.opt.Name]; ok {
			f.set(v)
		}
	}
	g.updateState()
}

// onSaveDefaults keeps the provider and its current options as the defaults
// (settings.json), in the background.
func (g *generateScreen) onSaveDefaults() {
	p := g.selectedProvider()
	if p == nil || g.svc == nil || g.svc.Core == nil {
		return
	}
	core := g.svc.Core
	st := core.Current()
	st.DefaultProvider = p.ID()
	st.DefaultOptions = maps.Clone(st.DefaultOptions)
	if st.DefaultOptions == nil {
		st.DefaultOptions = map[string]map[string]string{}
	}
	opts := map[string]string{}
	for _, f := range g.fields {
		if v := f.read(); v != "" {
			opts[f.opt.Name] = v
		}
	}
	st.DefaultOptions[p.ID()] = opts
	go func() {
		err := core.SaveSettings(st)
		fyne.Do(func() {
			if err != nil {
				g.reason.SetText("Defaults not saved: " + err.Error())
				return
			}
			g.reason.SetText(p.DisplayName() + " and these options are now the defaults.")
		})
	}()
}
