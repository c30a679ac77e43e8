package ui

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	"meshdrop/core/app"
	"meshdrop/core/jobs"
	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/paths"
	"meshdrop/core/provider"
	"meshdrop/core/provider/sandbox"
	"meshdrop/core/render"
)

// testPace makes Sandbox tasks quick.
const testPace = 300 * time.Millisecond

// realServices opens the real core parts in temporary folders: the library
// (with render.ThumbnailFile), the Sandbox provider and a job runner. The
// vault is left out (see withVault).
func realServices(t *testing.T) *services {
	t.Helper()
	return realServicesPaced(t, testPace)
}

// realServicesPaced is realServices with Sandbox tasks taking pace, for
// tests that must act on a job while it is still running (at testPace a
// loaded machine can let it finish first).
func realServicesPaced(t *testing.T, pace time.Duration) *services {
	t.Helper()
	return realServicesWith(t, sandbox.New(sandbox.Config{Pace: pace}))
}

// realServicesWith is realServices with this Sandbox and more providers
// (e.g. Meshy on a loopback server) registered for the runner too.
func realServicesWith(t *testing.T, sb *sandbox.Sandbox, more ...provider.Provider) *services {
	t.Helper()
	root := t.TempDir()
	dirs := paths.Dirs{Config: filepath.Join(root, "config"), Data: filepath.Join(root, "data"),
		Library: filepath.Join(root, "data", "library"), Logs: filepath.Join(root, "logs")}
	ctx, cancel := context.WithCancel(context.Background())
	core, err := app.NewAt(ctx, dirs, false)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := library.Open(dirs.Library, library.Config{Thumbnail: render.ThumbnailFile, ThumbnailSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	reg := provider.NewRegistry(append([]provider.Provider{sb}, more...)...)
	svc := &services{Core: core, Ctx: ctx, Registry: reg, Library: lib, VaultErr: errNotInBuild}
	r, err := jobs.New(ctx, jobs.Config{Store: lib, Providers: reg})
	if err != nil {
		t.Fatal(err)
	}
	svc.Runner = r
	t.Cleanup(func() {
		cancel()
		r.Close()
		lib.Close()
		core.Close()
	})
	return svc
}

// withVault adds a real vault on the Secret Service keychain. It skips when
// there is no keychain, unless MESHDROP_REQUIRE_KEYCHAIN is set (scripts/test.sh).
func withVault(t *testing.T, svc *services) *keys.Vault {
	t.Helper()
	if err := keyring.Set("meshdrop-ui-test", "probe", "x"); err != nil {
		if os.Getenv("MESHDROP_REQUIRE_KEYCHAIN") != "" {
			t.Fatalf("no keychain: %v", err)
		}
		t.Skipf("no Secret Service keychain here (%v); run through scripts/test.sh", err)
	}
	_ = keyring.Delete("meshdrop-ui-test", "probe")
	v, err := keys.Open(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	svc.Vault, svc.VaultErr = v, nil
	t.Cleanup(func() {
		for _, k := range v.List() {
			_ = v.Delete(k.ID)
		}
	})
	return v
}

// eventually polls cond on the test goroutine until it holds or d passes.
// Between polls the UI thread is free, so the app's fyne.Do calls run (see
// serial_test.go); cond itself runs on the UI thread. Callers give d
// generously (30 s): it only bounds a failure, and a loaded CI machine
// running packages in parallel can be many times slower.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		waitUI(func() { time.Sleep(20 * time.Millisecond) })
	}
}

// pngFile writes a small PNG into dir and returns its path.
func pngFile(t *testing.T, dir, name string) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 32, 24))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(3, 3, color.NRGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// labelsIn lists every label's text under o.
func labelsIn(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			out = append(out, v.Text)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			r := test.WidgetRenderer(v)
			for _, c := range r.Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

func anyContains(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// container2 puts two objects side by side.
func container2(a, b fyne.CanvasObject) fyne.CanvasObject {
	return container.NewGridWithColumns(2, a, b)
}

// layoutAll lays out every container and widget under o at its current
// size, top down. The real driver does this before each frame when a
// minimum size changed (a hidden object shown, a longer text); Fyne's test
// canvas does not, so without it a screen's markup can show a layout the
// window never would (the Gallery's preview shown at zero size).
func layoutAll(o fyne.CanvasObject) {
	switch v := o.(type) {
	case *fyne.Container:
		if v.Layout != nil {
			v.Layout.Layout(v.Objects, v.Size())
		}
		for _, c := range v.Objects {
			layoutAll(c)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(v)
		r.Layout(v.Size())
		for _, c := range r.Objects() {
			layoutAll(c)
		}
	}
}
