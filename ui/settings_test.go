package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/app"
	"meshdrop/core/jobs"
	"meshdrop/core/library"
	"meshdrop/core/meshio"
	"meshdrop/core/paths"
	"meshdrop/core/provider"
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

// coreServices opens a real core in temporary folders, imports n real GLB
// models into its library and opens the window's services from it, as the
// window does (openServices: the core's own library and runner, which a
// move closes and re-opens).
func coreServices(t *testing.T, n int) (*services, paths.Dirs) {
	t.Helper()
	root := t.TempDir()
	dirs := paths.Dirs{Config: filepath.Join(root, "config"), Data: filepath.Join(root, "data"),
		Library: filepath.Join(root, "data", "library"), Logs: filepath.Join(root, "logs")}
	ctx, cancel := context.WithCancel(context.Background())
	core, err := app.NewAt(ctx, dirs, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); core.Close() })
	lib, err := core.Library()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := range n {
		glb, err := meshio.EncodeGLB(&meshio.Model{Name: "quad", Parts: []meshio.Part{{Name: "quad",
			Mesh:     &meshio.Mesh{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, float32(i)}}, Indices: []uint32{0, 1, 2, 0, 2, 3}},
			Material: meshio.Material{BaseColor: [4]float32{1, 0, 0, 1}}}}})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, "model"+string(rune('a'+i))+".glb")
		writeFile(t, p, string(glb))
		files = append(files, p)
	}
	for _, r := range lib.Import(files) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	return openServices(core), dirs
}

// moveAndWait runs the screen's move (what "Move" in the confirmation
// does) and waits for the window to be bound again.
func moveAndWait(t *testing.T, s *settingsScreen, dst string) error {
	t.Helper()
	var done bool
	var moveErr error
	s.moveLibrary(dst, func(err error) { done, moveErr = true, err })
	eventually(t, 60*time.Second, "the move to end", func() bool {
		var ok bool
		fyne.DoAndWait(func() { ok = done })
		return ok
	})
	return moveErr
}

func TestSettingsMoveLibrary(t *testing.T) {
	svc, dirs := coreServices(t, 2)
	oldLib := svc.Library
	mw, _ := newTestWindow(t, svc)
	mw.show(screenSettings)
	s := mw.settings
	if !anyContains(labelsIn(s.body), dirs.Library) || s.moveBtn == nil || s.moveBtn.Disabled() {
		t.Fatalf("settings do not show the library with a Move button: %v", labelsIn(s.body))
	}

	// A folder holding other things is refused; the window keeps working
	// on the library where it was.
	full := filepath.Join(t.TempDir(), "full")
	os.MkdirAll(filepath.Join(full, "photos"), 0o700)
	err := moveAndWait(t, s, full)
	if err == nil || !strings.Contains(s.message.Text, "The library was not moved") || !strings.Contains(s.message.Text, "choose a new or empty folder") {
		t.Fatalf("move into a full folder: %v, message %q", err, s.message.Text)
	}
	if mw.svc.Library != oldLib || mw.svc.Library.Dir() != dirs.Library || mw.svc.Library.Len() != 2 {
		t.Fatalf("after a refused move the window has library %v", mw.svc.Library)
	}
	if mw.svc != svc {
		t.Fatal("a refused move opened the services again (a second library watch)")
	}

	// Choosing that folder in the dialog puts the library inside it.
	dst := moveTarget(full, dirs.Library)
	if dst != filepath.Join(full, libraryFolderName) {
		t.Fatalf("target for a full folder: %s", dst)
	}
	if got := moveTarget(dirs.Library, dirs.Library); got != dirs.Library {
		t.Fatalf("target for the library's own folder: %s", got)
	}
	empty := t.TempDir()
	if got := moveTarget(empty, dirs.Library); got != empty {
		t.Fatalf("target for an empty folder: %s", got)
	}
	if err := moveAndWait(t, s, dst); err != nil {
		t.Fatalf("move: %v (%s)", err, s.message.Text)
	}
	if !strings.HasPrefix(s.message.Text, "The library is now in "+dst) {
		t.Fatalf("message after the move: %q", s.message.Text)
	}
	// Every screen is bound to the library re-opened at the new place.
	if mw.svc.Library == nil || mw.svc.Library == oldLib || mw.svc.Library.Dir() != dst || mw.svc.Runner == nil {
		t.Fatalf("after the move the window has library %v (err %v), runner %v", mw.svc.Library, mw.svc.LibErr, mw.svc.Runner)
	}
	if mw.gallery.svc != mw.svc || mw.jobs.svc != mw.svc || s.svc != mw.svc {
		t.Fatal("a screen still holds the old services")
	}
	if !anyContains(labelsIn(s.body), dst) || s.moveBtn.Disabled() || s.saveBtn.Disabled() {
		t.Fatalf("settings after the move: %v", labelsIn(s.body))
	}
	mw.show(screenGallery)
	eventually(t, 30*time.Second, "the gallery to list both models", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(mw.gallery.items) })
		return n == 2
	})
	for _, it := range mw.gallery.items {
		if _, err := os.Stat(filepath.Join(dst, it.ID, library.ThumbnailFile)); err != nil {
			t.Fatalf("thumbnail of %s: %v", it.ID, err)
		}
	}
	if _, err := os.Stat(dirs.Library); !os.IsNotExist(err) {
		t.Fatalf("old library folder: %v", err)
	}
	if st, _ := settings.Load(dirs.Config); st.LibraryDir != dst {
		t.Fatalf("settings remember %q", st.LibraryDir)
	}
}

func TestSettingsMoveRefusedWhileJobsRun(t *testing.T) {
	svc := realServicesPaced(t, time.Hour)
	mw, _ := newTestWindow(t, svc)
	s := mw.settings
	r := svc.Runner
	if _, err := r.Submit(context.Background(), jobs.Spec{Provider: provider.Sandbox, Prompt: "a slow chair"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the job to run", func() bool { return len(r.Active()) == 1 })
	s.onMoveLibrary()
	if !strings.Contains(s.message.Text, "1 job is running") || !strings.Contains(s.message.Text, "cancel them in Jobs") {
		t.Fatalf("move with a job running: %q", s.message.Text)
	}
}
