package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/paths"
	"meshdrop/core/provider"
)

// shownLibraryDir is what the Settings master shows as the library folder:
// the real one is a temporary folder whose name changes every run.
const shownLibraryDir = "/home/artist/.local/share/meshdrop/library"

// Settings in use: Meshy as the default with 3 jobs at once, 512-pixel
// thumbnails, two keys with budgets, a change typed and saved.
func TestSettingsMasterSaved(t *testing.T) {
	const good, revoked = "msy_GOODgoodGOODgood1111", "msy_REVOKEDrevoked2222"
	// The hint under the library folder says whether MESHDROP_HOME is set
	// (scripts/test.sh sets it); the master is drawn without it.
	t.Setenv(paths.EnvHome, "")
	svc, vault := meshyServices(t, good)
	ka, err := vault.Add(provider.Meshy, "Client A", keys.NewSecret(good), keys.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kb, err := vault.Add(provider.Meshy, "Old key", keys.NewSecret(revoked), keys.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Library.SetBudget(ka.ID, library.Budget{PerJob: 20, PerDay: 100}); err != nil {
		t.Fatal(err)
	}
	st := svc.Core.Current()
	st.DefaultProvider, st.ThumbSize = provider.Meshy, 512
	if err := svc.Core.SaveSettings(st); err != nil {
		t.Fatal(err)
	}
	fixClock(t, masterNow)
	mw, w := newTestWindow(t, svc)
	mw.show(screenSettings)
	s := mw.settings
	if s.defaultProv.Selected != "Meshy" || s.thumbSize.Selected != "512" || len(s.providers) != 1 || len(s.budgets) != 2 {
		t.Fatalf("form: provider %q, thumbnails %q, %d provider rows, %d budget rows",
			s.defaultProv.Selected, s.thumbSize.Selected, len(s.providers), len(s.budgets))
	}
	// The library folder is shown, then replaced by a fixed one for the master.
	loc := findLabelText(s.body, svc.Core.LibraryDir())
	if loc == nil {
		t.Fatalf("the library folder %s is not shown", svc.Core.LibraryDir())
	}
	loc.SetText(shownLibraryDir)

	test.Type(s.providers[0].concurrency, "3")
	var oldKey budgetFields
	for _, b := range s.budgets {
		if b.keyID == kb.ID {
			oldKey = b
		}
	}
	test.Type(oldKey.perDay, "0")
	test.Tap(s.saveBtn)
	// The status line shows the default provider's key with its credits,
	// fetched from the loopback Meshy in the background.
	eventually(t, 30*time.Second, "saved, and the key's credits", func() bool {
		return strings.HasPrefix(s.message.Text, "Saved") && strings.Contains(mw.status.Text, "1000 credits")
	})
	if got := svc.Core.Current().Providers[provider.Meshy].MaxConcurrent; got != 3 {
		t.Fatalf("saved Meshy concurrency %d", got)
	}
	if b := svc.Library.Budget(ka.ID); b.PerJob != 20 || b.PerDay != 100 {
		t.Fatalf("Client A's budget %+v", b)
	}
	markup := assertMaster(t, "settings_in_use.xml", w)
	for _, s := range []string{good, revoked, "GOOD", "REVOKED"} {
		if strings.Contains(markup, s) {
			t.Fatalf("%q is on screen", s)
		}
	}
}

// findLabelText finds a label by its exact text under o.
func findLabelText(o fyne.CanvasObject, text string) *widget.Label {
	switch v := o.(type) {
	case *widget.Label:
		if v.Text == text {
			return v
		}
	case *fyne.Container:
		for _, c := range v.Objects {
			if l := findLabelText(c, text); l != nil {
				return l
			}
		}
	}
	return nil
}
