package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
)

func TestKeysEmptyStateAndDisabledVault(t *testing.T) {
	svc := realServices(t)
	mw, _ := newTestWindow(t, svc)
	mw.show(screenKeys)
	if mw.keys.stack.Objects[0] != mw.keys.empty {
		t.Fatal("no keys, but no empty state")
	}
	if !mw.keys.addBtn.Disabled() || !strings.Contains(mw.keys.message.Text, "could not be opened") {
		t.Fatalf("no vault: add enabled=%v, message %q", !mw.keys.addBtn.Disabled(), mw.keys.message.Text)
	}
}

// On the real keychain: add, rename, rotate and delete; only fingerprints
// are ever shown; Generate's key picker follows.
func TestKeysAddRenameRotateDeleteOnTheKeychain(t *testing.T) {
	svc := realServices(t)
	vault := withVault(t, svc)
	mw, w := newTestWindow(t, svc)
	mw.show(screenKeys)
	k := mw.keys
	const secret = "msy_SECRETsecretSECRET9f3a"
	k.addKey(provider.Meshy, "Client A", keys.NewSecret(secret), false)
	eventually(t, 30*time.Second, "the key listed", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(k.rows) })
		return n == 1
	})
	key := vault.List()[0]
	if key.Fingerprint != "msy_…9f3a" || key.Source != keys.SourceKeychain {
		t.Fatalf("key = %+v", key)
	}
	fyne.DoAndWait(func() { k.list.Select(0) })
	texts := append(labelsIn(w.Content()), k.message.Text)
	if !anyContains(texts, "msy_…9f3a") {
		t.Fatalf("fingerprint not shown: %v", texts)
	}
	if anyContains(texts, "SECRET") {
		t.Fatal("the secret is on screen")
	}
	// Generate lists the provider's key (Meshy is not registered in this
	// test registry, so check the vault-backed helper directly).
	if got := svc.keysFor(provider.Meshy); len(got) != 1 {
		t.Fatalf("keysFor = %v", got)
	}
	k.change(func(v keyVault) (string, error) { _, err := v.Rename(key.ID, "Client B"); return "renamed", err })
	eventually(t, 30*time.Second, "the rename", func() bool {
		got, _ := vault.Get(key.ID)
		return got.Name == "Client B"
	})
	k.change(func(v keyVault) (string, error) {
		_, err := v.Replace(key.ID, keys.NewSecret("msy_NEWnewNEWnewNEW1234"))
		return "rotated", err
	})
	eventually(t, 30*time.Second, "the rotation", func() bool {
		got, _ := vault.Get(key.ID)
		return got.Fingerprint == "msy_…1234"
	})
	s, err := vault.Secret(key.ID)
	if err != nil || s.Reveal() != "msy_NEWnewNEWnewNEW1234" {
		t.Fatalf("keychain secret after rotate: %v %v", s, err)
	}
	k.change(func(v keyVault) (string, error) { return "deleted", v.Delete(key.ID) })
	eventually(t, 30*time.Second, "the delete", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(k.rows) })
		return n == 0 && len(vault.List()) == 0
	})
	if k.stack.Objects[0] != k.empty {
		t.Fatal("no keys left, but no empty state")
	}
}

func TestRotateReminder(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		by   time.Time
		want string
	}{
		{time.Time{}, ""},
		{now.AddDate(0, 2, 0), ""},
		{now.AddDate(0, 0, 5), "rotate by"},
		{now.AddDate(0, 0, -1), "rotation overdue"},
	}
	for _, c := range cases {
		got := rotateReminder(keys.Key{RotateBy: c.by}, now)
		if c.want == "" && got != "" || c.want != "" && !strings.HasPrefix(got, c.want) {
			t.Errorf("rotate by %v: %q, want %q…", c.by, got, c.want)
		}
	}
}

// Adding a key as a person does: Add key, type the name and the secret into
// the dialog, tap Add. The typed secret is never drawn (the box shows dots),
// and the key lands in the keychain.
func TestKeysAddDialogTypedAndTapped(t *testing.T) {
	svc := realServices(t)
	vault := withVault(t, svc)
	mw, w := newTestWindow(t, svc)
	mw.show(screenKeys)
	const secret = "msy_TYPEDtypedTYPED7777"
	test.Tap(mw.keys.addBtn)
	d := w.Canvas().Overlays().Top()
	if d == nil {
		t.Fatal("Add key opened no dialog")
	}
	var name, pass *widget.Entry
	walkObjects(d, func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok {
			if e.Password {
				pass = e
			} else if name == nil {
				name = e
			}
		}
	})
	if name == nil || pass == nil {
		t.Fatal("the dialog has no name or key box")
	}
	test.Type(name, "Client C")
	test.Type(pass, secret)
	if m := test.RenderToMarkup(w.Canvas()); strings.Contains(m, "TYPED") || strings.Contains(m, "typed") {
		t.Fatal("the typed secret is drawn")
	}
	var add *widget.Button
	walkObjects(d, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Add" {
			add = b
		}
	})
	if add == nil || add.Disabled() {
		t.Fatal("no enabled Add button")
	}
	test.Tap(add)
	eventually(t, 30*time.Second, "the key listed", func() bool { return len(mw.keys.rows) == 1 })
	k := vault.List()[0]
	if k.Name != "Client C" || k.Fingerprint != "msy_…7777" || k.Source != keys.SourceKeychain {
		t.Fatalf("added %+v", k)
	}
	if s, err := vault.Secret(k.ID); err != nil || s.Reveal() != secret {
		t.Fatalf("keychain secret: %v", err)
	}
	if !strings.Contains(mw.keys.message.Text, "Added 'Client C' (msy_…7777)") {
		t.Fatalf("message %q", mw.keys.message.Text)
	}
}

// walkObjects calls fn for every object under o, widgets' parts included.
func walkObjects(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	fn(o)
	switch v := o.(type) {
	case *fyne.Container:
		for _, c := range v.Objects {
			walkObjects(c, fn)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			walkObjects(c, fn)
		}
	}
}
