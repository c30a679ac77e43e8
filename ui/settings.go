package ui

import (
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/app"
	"meshdrop/core/library"
	"meshdrop/core/paths"
	"meshdrop/core/settings"
)

// Thumbnail sizes offered (pixels).
var thumbSizes = []string{"128", "256", "512"}

// providerFields are one provider's editable settings.
type providerFields struct {
	id          string
	concurrency *widget.Entry
	baseURL     *widget.Entry
}

// budgetFields are one key's credit caps.
type budgetFields struct {
	keyID          string
	perJob, perDay *widget.Entry
}

// settingsScreen edits settings.json (and the library's budgets.json).
type settingsScreen struct {
	mw   *mainWindow
	core *app.App
	svc  *services
	view fyne.CanvasObject
	body *fyne.Container

	defaultProv *widget.Select
	thumbSize   *widget.Select
	notify      *widget.Check
	providers   []providerFields
	budgets     []budgetFields
	budgetsBox  *fyne.Container // the Budgets section's rows
	saveBtn     *widget.Button
	moveBtn     *widget.Button // "Move…" the library
	message     *widget.Label
	provIDs     []string
}

func newSettingsScreen(mw *mainWindow, core *app.App) *settingsScreen {
	s := &settingsScreen{mw: mw, core: core}
	s.body = container.NewVBox(widget.NewLabel("Opening settings…"))
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.saveBtn = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), s.onSave)
	s.saveBtn.Importance = widget.HighImportance
	s.saveBtn.Disable()
	bottom := container.NewBorder(nil, nil, nil, s.saveBtn, s.message)
	s.view = container.NewBorder(nil, container.NewPadded(bottom), nil, nil, container.NewVScroll(container.NewPadded(s.body)))
	return s
}

// bind draws the form from the current settings.
func (s *settingsScreen) bind(svc *services) {
	s.svc = svc
	if svc.Core != nil {
		s.core = svc.Core
	}
	s.body.RemoveAll()
	if s.core == nil {
		s.body.Add(emptyState("Settings are not available", "Meshdrop's core did not start; see the log."))
		return
	}
	st := s.core.Current()
	bold := func(t string) *widget.Label {
		return widget.NewLabelWithStyle(t, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}

	// Library location, and moving it (library_move.go).
	lib := s.core.LibraryDir()
	s.body.Add(bold("Library"))
	loc := widget.NewLabel(lib)
	loc.Wrapping = fyne.TextWrapBreak
	open := widget.NewButtonWithIcon("Show folder", theme.FolderOpenIcon(), func() { openPath(s.mw, lib) })
	s.moveBtn = widget.NewButtonWithIcon("Move…", theme.FolderNewIcon(), s.onMoveLibrary)
	s.body.Add(container.NewBorder(nil, nil, nil, container.NewHBox(open, s.moveBtn), loc))
	hint := widget.NewLabel("Move puts every model, its inputs and thumbnail in another folder (another disk too) and remembers the place.")
	if os.Getenv(paths.EnvHome) != "" {
		hint.SetText(fmt.Sprintf("%s is set: a move is remembered in that folder's settings.", paths.EnvHome))
	}
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.LowImportance
	s.body.Add(hint)

	// Defaults.
	s.body.Add(bold("Defaults"))
	var names []string
	s.provIDs = nil
	for _, p := range svc.providers() {
		names = append(names, p.DisplayName())
		s.provIDs = append(s.provIDs, p.ID())
	}
	s.defaultProv = widget.NewSelect(names, nil)
	for i, id := range s.provIDs {
		if id == st.DefaultProvider {
			s.defaultProv.SetSelectedIndex(i)
		}
	}
	s.thumbSize = widget.NewSelect(thumbSizes, nil)
	s.thumbSize.SetSelected(strconv.Itoa(max(st.ThumbSize, 0)))
	if s.thumbSize.Selected == "0" || s.thumbSize.SelectedIndex() < 0 {
		s.thumbSize.SetSelected("256")
	}
	s.notify = widget.NewCheck("Tell me when a job finishes or fails", nil)
	s.notify.Checked = st.NotificationsOn()
	s.body.Add(container.New(newFormLayout(),
		widget.NewLabel("Provider"), s.defaultProv,
		widget.NewLabel("Thumbnail size"), s.thumbSize,
		widget.NewLabel("Notifications"), s.notify))

	// Per provider: concurrency and base URL overrides.
	s.body.Add(bold("Providers"))
	s.providers = nil
	grid := container.NewGridWithColumns(3, widget.NewLabel(""), widget.NewLabel("Jobs at once"), widget.NewLabel("Base URL (empty: the official one)"))
	for _, p := range svc.providers() {
		if !p.Capabilities().NeedsKey {
			continue
		}
		ps := st.Providers[p.ID()]
		f := providerFields{id: p.ID(), concurrency: widget.NewEntry(), baseURL: widget.NewEntry()}
		if ps.MaxConcurrent > 0 {
			f.concurrency.SetText(strconv.Itoa(ps.MaxConcurrent))
		}
		f.concurrency.SetPlaceHolder(fmt.Sprintf("default %d", max(p.Capabilities().MaxConcurrent, 1)))
		f.concurrency.Validator = positiveInt
		f.baseURL.SetText(ps.BaseURL)
		f.baseURL.SetPlaceHolder("https://…")
		grid.Add(widget.NewLabel(p.DisplayName()))
		grid.Add(f.concurrency)
		grid.Add(f.baseURL)
		s.providers = append(s.providers, f)
	}
	if len(s.providers) == 0 {
		s.body.Add(widget.NewLabel("No providers with settings in this build."))
	} else {
		s.body.Add(grid)
	}

	// Budgets per key (redrawn when keys are added or removed in Keys).
	s.body.Add(bold("Budgets"))
	s.budgets = nil
	s.budgetsBox = container.NewVBox()
	s.drawBudgets()
	s.body.Add(s.budgetsBox)
	s.saveBtn.Enable()
	s.body.Refresh()
}

// drawBudgets draws one row of caps per key. Keys added or removed in Keys
// since the form was drawn are followed (a key added in this session used
// to be missing until the next start, the section saying to add one); what
// was typed for keys already drawn is kept.
func (s *settingsScreen) drawBudgets() {
	if s.budgetsBox == nil || s.svc == nil {
		return
	}
	typed := map[string]budgetFields{}
	for _, f := range s.budgets {
		typed[f.keyID] = f
	}
	s.budgetsBox.RemoveAll()
	s.budgets = nil
	ks := s.svc.allKeys()
	if len(ks) == 0 || s.svc.Library == nil {
		s.budgetsBox.Add(widget.NewLabel("Add a key in Keys to give it a credit budget."))
		s.budgetsBox.Refresh()
		return
	}
	bg := container.NewGridWithColumns(3, widget.NewLabel(""), widget.NewLabel("Max credits per job"), widget.NewLabel("Max credits per day"))
	for _, k := range ks {
		f, ok := typed[k.ID]
		if !ok {
			b := s.svc.Library.Budget(k.ID)
			f = budgetFields{keyID: k.ID, perJob: widget.NewEntry(), perDay: widget.NewEntry()}
			f.perJob.SetPlaceHolder("no cap")
			f.perDay.SetPlaceHolder("no cap")
			f.perJob.Validator, f.perDay.Validator = nonNegative, nonNegative
			if b.PerJob > 0 {
				f.perJob.SetText(strconv.FormatFloat(b.PerJob, 'f', -1, 64))
			}
			if b.PerDay > 0 {
				f.perDay.SetText(strconv.FormatFloat(b.PerDay, 'f', -1, 64))
			}
		}
		bg.Add(widget.NewLabel(fmt.Sprintf("%s · %s", k.Name, providerName(k.Provider))))
		bg.Add(f.perJob)
		bg.Add(f.perDay)
		s.budgets = append(s.budgets, f)
	}
	s.budgetsBox.Add(bg)
	s.budgetsBox.Refresh()
}

func positiveInt(v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return fmt.Errorf("a whole number, 1 or more")
	}
	return nil
}

func nonNegative(v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || n < 0 {
		return fmt.Errorf("a number, 0 or more")
	}
	return nil
}

// collect reads the form into settings and budgets; the error names the
// field that is wrong.
func (s *settingsScreen) collect() (settings.Settings, map[string]library.Budget, error) {
	st := s.core.Current()
	st.DefaultOptions = maps.Clone(st.DefaultOptions)
	st.Providers = maps.Clone(st.Providers)
	if st.Providers == nil {
		st.Providers = map[string]settings.Provider{}
	}
	if i := s.defaultProv.SelectedIndex(); i >= 0 && i < len(s.provIDs) {
		st.DefaultProvider = s.provIDs[i]
	}
	st.ThumbSize, _ = strconv.Atoi(s.thumbSize.Selected)
	on := s.notify.Checked
	st.Notifications = &on
	for _, f := range s.providers {
		if err := positiveInt(f.concurrency.Text); err != nil {
			return st, nil, fmt.Errorf("%s, jobs at once: %w", providerName(f.id), err)
		}
		url := strings.TrimSpace(f.baseURL.Text)
		if url != "" && !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://127.0.0.1") && !strings.HasPrefix(url, "http://localhost") {
			return st, nil, fmt.Errorf("%s, base URL: use https:// (plain http only to this computer)", providerName(f.id))
		}
		ps := st.Providers[f.id]
		ps.MaxConcurrent, _ = strconv.Atoi(strings.TrimSpace(f.concurrency.Text))
		ps.BaseURL = url
		st.Providers[f.id] = ps
	}
	budgets := map[string]library.Budget{}
	for _, f := range s.budgets {
		if err := nonNegative(f.perJob.Text); err != nil {
			return st, nil, fmt.Errorf("budget per job: %w", err)
		}
		if err := nonNegative(f.perDay.Text); err != nil {
			return st, nil, fmt.Errorf("budget per day: %w", err)
		}
		var b library.Budget
		b.PerJob, _ = strconv.ParseFloat(strings.TrimSpace(f.perJob.Text), 64)
		b.PerDay, _ = strconv.ParseFloat(strings.TrimSpace(f.perDay.Text), 64)
		budgets[f.keyID] = b
	}
	return st, budgets, nil
}

// onSave writes the settings and budgets in the background.
func (s *settingsScreen) onSave() {
	st, budgets, err := s.collect()
	if err != nil {
		s.message.SetText("Not saved: " + err.Error())
		return
	}
	core := s.core
	var lib *library.Library
	if s.svc != nil {
		lib = s.svc.Library
	}
	s.saveBtn.Disable()
	go func() {
		err := core.SaveSettings(st)
		if err == nil && lib != nil {
			for id, b := range budgets {
				if err = lib.SetBudget(id, b); err != nil {
					break
				}
			}
		}
		fyne.Do(func() {
			s.saveBtn.Enable()
			if err != nil {
				s.message.SetText("Not saved: " + err.Error())
				return
			}
			s.message.SetText("Saved. New jobs use these limits and addresses now; jobs already at a provider finish with the host that took them.")
		})
	}()
}
