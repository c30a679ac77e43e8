package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
)

// rotateSoon is how early the Keys screen starts reminding about rotate-by dates.
const rotateSoon = 14 * 24 * time.Hour

// keysScreen lists the provider keys (fingerprints only, never secrets) and
// adds, renames, rotates, deletes and tests them.
type keysScreen struct {
	mw   *mainWindow
	svc  *services
	view fyne.CanvasObject

	list     *widget.List
	stack    *fyne.Container
	empty    fyne.CanvasObject
	detail   *fyne.Container
	message  *widget.Label
	addBtn   *widget.Button
	rows     []keys.Key
	selected string
	tested   map[string]string // key ID → the last test's result
}

func newKeysScreen(mw *mainWindow) *keysScreen {
	k := &keysScreen{mw: mw, tested: map[string]string{}}
	k.list = widget.NewList(func() int { return len(k.rows) }, k.createRow, k.updateRow)
	k.list.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(k.rows) {
			k.selected = k.rows[i].ID
			k.showDetail()
		}
	}
	k.addBtn = widget.NewButtonWithIcon("Add key", theme.ContentAddIcon(), k.onAdd)
	k.addBtn.Importance = widget.HighImportance
	k.empty = emptyState("No keys yet",
		"Add the API key from your Meshy, Tripo, Rodin or genX3D account: it is kept in the system keychain and only its fingerprint is shown. The Sandbox needs no key.",
		widget.NewButtonWithIcon("Add key", theme.ContentAddIcon(), k.onAdd))
	k.stack = container.NewStack(k.empty)
	k.message = widget.NewLabel("")
	k.message.Wrapping = fyne.TextWrapWord
	k.detail = container.NewVBox()
	top := container.NewBorder(nil, nil, nil, k.addBtn, k.message)
	split := container.NewHSplit(k.stack, container.NewVScroll(container.NewPadded(k.detail)))
	split.Offset = 0.5
	k.view = container.NewBorder(container.NewPadded(top), nil, nil, nil, split)
	return k
}

func (k *keysScreen) bind(svc *services) {
	k.svc = svc
	if svc.Vault == nil {
		k.addBtn.Disable()
		k.message.SetText("The key vault could not be opened: " + errText(svc.VaultErr) + ".")
	}
	k.refresh()
}

// refresh re-reads the key list (the vault keeps it in memory).
func (k *keysScreen) refresh() {
	k.rows = k.svc.allKeys()
	if len(k.rows) == 0 {
		k.stack.Objects = []fyne.CanvasObject{k.empty}
	} else {
		k.stack.Objects = []fyne.CanvasObject{k.list}
	}
	k.stack.Refresh()
	k.list.Refresh()
	// The highlight follows the selected key: the list selects by index, so
	// a key just added (and selected) left the highlight on another row,
	// and a click on that row did nothing, the list holding it already.
	if i := slices.IndexFunc(k.rows, func(x keys.Key) bool { return x.ID == k.selected }); i >= 0 {
		k.list.Select(i)
	} else {
		k.list.UnselectAll()
	}
	k.showDetail()
}

func (k *keysScreen) createRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	sub := widget.NewLabel("")
	sub.Truncation = fyne.TextTruncateEllipsis
	return container.NewVBox(name, sub)
}

func (k *keysScreen) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i < 0 || i >= len(k.rows) {
		return
	}
	key := k.rows[i]
	box := o.(*fyne.Container)
	box.Objects[0].(*widget.Label).SetText(key.Name)
	box.Objects[1].(*widget.Label).SetText(keyLine(key, now()))
}

// keyLine is a key's one-line summary: provider, fingerprint, source, and a
// rotation reminder when due.
func keyLine(key keys.Key, now time.Time) string {
	s := fmt.Sprintf("%s · %s · %s", providerName(key.Provider), key.Fingerprint, sourceWords(key.Source))
	if r := rotateReminder(key, now); r != "" {
		s += " · " + r
	}
	return s
}

func sourceWords(s keys.Source) string {
	switch s {
	case keys.SourceKeychain:
		return "in the system keychain"
	case keys.SourceEnvironment:
		return "from an environment variable"
	case keys.SourceSession:
		return "this session only"
	}
	return string(s)
}

// rotateReminder says when a key is due to be rotated ("" when not soon).
func rotateReminder(key keys.Key, now time.Time) string {
	if key.RotateBy.IsZero() {
		return ""
	}
	left := key.RotateBy.Sub(now)
	switch {
	case left < 0:
		return "rotation overdue since " + key.RotateBy.Local().Format("2 Jan 2006")
	case left < rotateSoon:
		return "rotate by " + key.RotateBy.Local().Format("2 Jan 2006")
	}
	return ""
}

func (k *keysScreen) selectedKey() (keys.Key, bool) {
	i := slices.IndexFunc(k.rows, func(x keys.Key) bool { return x.ID == k.selected })
	if i < 0 {
		return keys.Key{}, false
	}
	return k.rows[i], true
}

// showDetail draws the selected key: facts, this month's use, actions.
func (k *keysScreen) showDetail() {
	k.detail.RemoveAll()
	key, ok := k.selectedKey()
	if !ok {
		if len(k.rows) > 0 {
			k.detail.Add(widget.NewLabel("Select a key to test, rename, rotate or delete it."))
		}
		k.detail.Refresh()
		return
	}
	k.detail.Add(widget.NewLabelWithStyle(key.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	facts := container.New(newFormLayout())
	add := func(a, b string) {
		if b != "" {
			facts.Add(widget.NewLabel(a))
			facts.Add(widget.NewLabel(b))
		}
	}
	add("Provider", providerName(key.Provider))
	add("Fingerprint", key.Fingerprint)
	add("Kept", sourceWords(key.Source))
	add("Added", key.Created.Local().Format("2 Jan 2006"))
	if !key.LastUsed.IsZero() {
		add("Last used", key.LastUsed.Local().Format("2 Jan 2006 15:04"))
	}
	if !key.RotateBy.IsZero() {
		add("Rotate by", key.RotateBy.Local().Format("2 Jan 2006"))
	}
	add("This month", k.monthUse(key.ID, now()))
	add("Credits", k.tested[key.ID])
	k.detail.Add(facts)
	if r := rotateReminder(key, now()); r != "" {
		l := widget.NewLabel("Time to rotate this key: " + r + ". Make a new key at the provider, then use Rotate.")
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.WarningImportance
		k.detail.Add(l)
	}
	test := widget.NewButtonWithIcon("Test", theme.ConfirmIcon(), func() { k.onTest(key) })
	rename := widget.NewButtonWithIcon("Rename", theme.DocumentCreateIcon(), func() { k.onRename(key) })
	rotate := widget.NewButtonWithIcon("Rotate", theme.ViewRefreshIcon(), func() { k.onRotate(key) })
	del := widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), func() { k.onDelete(key) })
	del.Importance = widget.DangerImportance
	if key.Source == keys.SourceEnvironment {
		// Keys from the environment are changed where they are set.
		rename.Disable()
		rotate.Disable()
		del.Disable()
		k.detail.Add(widget.NewLabel("Change this key where the environment variable is set."))
	}
	k.detail.Add(container.NewHBox(test, rename, rotate, del))
	k.detail.Refresh()
}

// monthUse counts this calendar month's jobs and credits with the key (from
// the library's memory index).
func (k *keysScreen) monthUse(keyID string, now time.Time) string {
	if k.svc == nil || k.svc.Library == nil {
		return ""
	}
	y, m, _ := now.Date()
	page, n := k.svc.Library.Query(library.Query{KeyID: keyID, From: time.Date(y, m, 1, 0, 0, 0, 0, now.Location())})
	var credits float64
	for _, s := range page {
		credits += s.Credits
	}
	return fmt.Sprintf("%s, %g credits", plural(n, "job", "jobs"), credits)
}

// onAdd asks for provider, name and secret and stores the key.
func (k *keysScreen) onAdd() {
	if k.svc == nil || k.svc.Vault == nil {
		return
	}
	var names, ids []string
	for _, p := range k.svc.providers() {
		if p.Capabilities().NeedsKey {
			names = append(names, p.DisplayName())
			ids = append(ids, p.ID())
		}
	}
	if len(ids) == 0 {
		for _, id := range provider.IDs {
			if id != provider.Sandbox {
				names, ids = append(names, providerName(id)), append(ids, id)
			}
		}
	}
	prov := widget.NewSelect(names, nil)
	prov.SetSelectedIndex(0)
	name := widget.NewEntry()
	name.SetPlaceHolder("e.g. Client A")
	secret := widget.NewPasswordEntry()
	secret.SetPlaceHolder("paste the API key")
	session := widget.NewCheck("Keep only until Meshdrop closes", nil)
	items := []*widget.FormItem{
		widget.NewFormItem("Provider", prov),
		widget.NewFormItem("Name", name),
		widget.NewFormItem("API key", secret),
		widget.NewFormItem("", session),
	}
	d := dialog.NewForm("Add a key", "Add", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		pid := ids[max(0, prov.SelectedIndex())]
		k.addKey(pid, strings.TrimSpace(name.Text), keys.NewSecret(strings.TrimSpace(secret.Text)), session.Checked)
	}, k.mw.win)
	d.Resize(fyne.NewSize(480, 300))
	d.Show()
}

// addKey stores a key in the background (the keychain can be slow).
func (k *keysScreen) addKey(providerID, name string, secret keys.Secret, sessionOnly bool) {
	v := k.svc.Vault
	go func() {
		key, err := v.Add(providerID, name, secret, keys.AddOptions{SessionOnly: sessionOnly})
		fyne.Do(func() {
			if err != nil {
				k.message.SetText("The key was not added: " + err.Error())
				return
			}
			k.message.SetText(fmt.Sprintf("Added '%s' (%s).", key.Name, key.Fingerprint))
			k.selected = key.ID
			k.refresh()
			k.mw.generate.refreshKeys()
		})
	}()
}

func (k *keysScreen) onRename(key keys.Key) {
	e := widget.NewEntry()
	e.SetText(key.Name)
	dialog.ShowForm("Rename key", "Rename", "Cancel", []*widget.FormItem{widget.NewFormItem("Name", e)}, func(ok bool) {
		if ok {
			k.change(func(v keyVault) (string, error) {
				nk, err := v.Rename(key.ID, strings.TrimSpace(e.Text))
				return fmt.Sprintf("Renamed to '%s'.", nk.Name), err
			})
		}
	}, k.mw.win)
}

func (k *keysScreen) onRotate(key keys.Key) {
	e := widget.NewPasswordEntry()
	e.SetPlaceHolder("paste the new API key")
	dialog.ShowForm("Rotate '"+key.Name+"'", "Replace", "Cancel", []*widget.FormItem{widget.NewFormItem("New API key", e)}, func(ok bool) {
		if ok {
			secret := keys.NewSecret(strings.TrimSpace(e.Text))
			k.change(func(v keyVault) (string, error) {
				nk, err := v.Replace(key.ID, secret)
				return fmt.Sprintf("'%s' now uses %s. Revoke the old key at %s.", nk.Name, nk.Fingerprint, providerName(nk.Provider)), err
			})
		}
	}, k.mw.win)
}

func (k *keysScreen) onDelete(key keys.Key) {
	dialog.ShowConfirm("Delete '"+key.Name+"'?",
		fmt.Sprintf("The key %s is removed from Meshdrop and the keychain. Jobs made with it stay in the library.", key.Fingerprint),
		func(ok bool) {
			if ok {
				k.change(func(v keyVault) (string, error) {
					return fmt.Sprintf("Deleted '%s'.", key.Name), v.Delete(key.ID)
				})
			}
		}, k.mw.win)
}

// change runs a vault edit in the background and shows its outcome.
func (k *keysScreen) change(fn func(v keyVault) (string, error)) {
	if k.svc == nil || k.svc.Vault == nil {
		return
	}
	v := k.svc.Vault
	go func() {
		msg, err := fn(v)
		fyne.Do(func() {
			if err != nil {
				msg = "Not changed: " + err.Error()
			}
			k.message.SetText(msg)
			k.refresh()
			k.mw.generate.refreshKeys()
		})
	}()
}

// onTest asks the provider for the key's balance: it proves the key works.
func (k *keysScreen) onTest(key keys.Key) {
	p := k.svc.provider(key.Provider)
	if p == nil {
		k.message.SetText(providerName(key.Provider) + " is not available in this build, so the key cannot be tested.")
		return
	}
	if !p.Capabilities().CanBalance {
		k.message.SetText(p.DisplayName() + " has no way to check a key without starting a paid task; it is checked on first use.")
		return
	}
	k.tested[key.ID] = "testing…"
	k.showDetail()
	v, ctx := k.svc.Vault, k.svc.Ctx
	go func() {
		var text string
		secret, err := v.Secret(key.ID)
		if err == nil {
			var b provider.Balance
			b, err = p.Balance(ctx, provider.Credential{KeyID: key.ID, Name: key.Name, Secret: secret})
			text = formatBalance(b)
		}
		fyne.Do(func() {
			if err != nil {
				k.tested[key.ID] = "test failed"
				msg := err.Error()
				var pe *provider.Error
				if !errors.As(err, &pe) {
					msg = fmt.Sprintf("Could not test '%s' (%s): %v", key.Name, key.Fingerprint, err)
				}
				k.message.SetText(msg)
			} else {
				k.tested[key.ID] = text
				k.message.SetText(fmt.Sprintf("'%s' works: %s left.", key.Name, text))
			}
			k.showDetail()
		})
	}()
}
