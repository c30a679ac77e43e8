package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/meshy"
	"meshdrop/core/provider/meshy/meshytest"
	"meshdrop/core/provider/sandbox"
)

// Test asks Meshy (a loopback server speaking its documented API) for the
// key's balance; a revoked key is explained in plain words. Generate's key
// picker lists only Meshy's keys and the status line shows the credits.
func TestKeysTestAndCreditsAgainstMeshy(t *testing.T) {
	const good = "msy_GOODgoodGOODgood1111"
	srv := meshytest.New(t, good)
	m, err := meshy.New(meshy.Config{BaseURL: srv.BaseURL()})
	if err != nil {
		t.Fatal(err)
	}
	svc := realServices(t)
	svc.Registry = provider.NewRegistry(sandbox.New(sandbox.Config{Pace: testPace}), m)
	vault := withVault(t, svc)
	ka, err := vault.Add(provider.Meshy, "Client A", keys.NewSecret(good), keys.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kb, err := vault.Add(provider.Meshy, "Old key", keys.NewSecret("msy_REVOKEDrevoked2222"), keys.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mw, _ := newTestWindow(t, svc)

	mw.keys.onTest(ka)
	eventually(t, 30*time.Second, "the test result", func() bool {
		var m string
		fyne.DoAndWait(func() { m = mw.keys.message.Text })
		return strings.Contains(m, "works")
	})
	if got := mw.keys.message.Text; got != "'Client A' works: 1000 credits left." {
		t.Fatalf("message = %q", got)
	}
	mw.keys.onTest(kb)
	eventually(t, 30*time.Second, "the failed test", func() bool {
		var m string
		fyne.DoAndWait(func() { m = mw.keys.message.Text })
		return strings.Contains(m, "rejected")
	})
	if got := mw.keys.message.Text; !strings.HasPrefix(got, "Meshy rejected the key 'Old key' (msy_…2222)") || !strings.Contains(got, "Replace it in Keys.") {
		t.Fatalf("message = %q", got)
	}
	if strings.Contains(mw.keys.message.Text, "REVOKED") {
		t.Fatal("the secret is in the message")
	}

	// Generate: Meshy's keys only, and the selected key's credits.
	g := mw.generate
	g.selectProvider(provider.Meshy)
	if len(g.keySel.Options) != 2 || g.keySel.Disabled() {
		t.Fatalf("Meshy key picker: %v disabled=%v", g.keySel.Options, g.keySel.Disabled())
	}
	i := -1
	for n, id := range g.keyIDs {
		if id == ka.ID {
			i = n
		}
	}
	g.keySel.SetSelectedIndex(i)
	eventually(t, 30*time.Second, "credits in the status line", func() bool {
		var s string
		fyne.DoAndWait(func() { s = mw.status.Text })
		return strings.Contains(s, "Key 'Client A' (msy_…1111): 1000 credits")
	})
	g.selectProvider(provider.Sandbox)
	if !g.keySel.Disabled() || len(g.keySel.Options) != 0 {
		t.Fatalf("Sandbox key picker: %v", g.keySel.Options)
	}
}
