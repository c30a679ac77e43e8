package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/settings"
)

func TestSettingsSaveWritesTheFile(t *testing.T) {
	svc := realServices(t)
	mw, _ := newTestWindow(t, svc)
	mw.show(screenSettings)
	s := mw.settings
	s.thumbSize.SetSelected("512")
	s.notify.SetChecked(false)
	test.Tap(s.saveBtn)
	eventually(t, 30*time.Second, "saved", func() bool {
		var m string
		fyne.DoAndWait(func() { m = s.message.Text })
		return strings.HasPrefix(m, "Saved")
	})
	got, err := settings.Load(svc.Core.Dirs.Config)
	if err != nil {
		t.Fatal(err)
	}
	if got.ThumbSize != 512 || got.NotificationsOn() {
		t.Fatalf("saved settings: thumb %d, notifications %v", got.ThumbSize, got.NotificationsOn())
	}
	if _, err := os.Stat(filepath.Join(svc.Core.Dirs.Config, settings.FileName)); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsRefusesBadValues(t *testing.T) {
	svc := realServices(t)
	mw, _ := newTestWindow(t, svc)
	s := mw.settings
	// The Sandbox needs no key, so the test registry draws no provider
	// rows; add one by hand as bind would for a keyed provider.
	f := providerFields{id: "meshy", concurrency: widget.NewEntry(), baseURL: widget.NewEntry()}
	s.providers = append(s.providers, f)
	f.baseURL.SetText("http://example.com")
	if _, _, err := s.collect(); err == nil || !strings.Contains(err.Error(), "https://") {
		t.Fatalf("plain http base URL: %v", err)
	}
	f.baseURL.SetText("https://api.example.com")
	f.concurrency.SetText("0")
	if _, _, err := s.collect(); err == nil || !strings.Contains(err.Error(), "1 or more") {
		t.Fatalf("concurrency 0: %v", err)
	}
	f.concurrency.SetText("3")
	st, _, err := s.collect()
	if err != nil || st.Providers["meshy"].MaxConcurrent != 3 || st.Providers["meshy"].BaseURL != "https://api.example.com" {
		t.Fatalf("collect: %+v %v", st.Providers["meshy"], err)
	}
}
