package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
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
