package ui

import (
	"image"
	"math"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"meshdrop/core/glb"
)

// sandboxScene makes a real model with the Sandbox and loads it with glb.Open.
func sandboxScene(t *testing.T) *glb.Scene {
	t.Helper()
	svc := realServices(t)
	j := makeModels(t, svc, "a red cube")[0]
	sum, _ := svc.Library.Summary(j.ID)
	s, err := glb.Open(filepath.Join(svc.Library.JobDir(j.ID), filepath.FromSlash(sum.Model)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// frameOf waits for the view's next finished frame.
func frameOf(t *testing.T, v *orbitView, prev *image.NRGBA) *image.NRGBA {
	t.Helper()
	var f *image.NRGBA
	eventually(t, 30*time.Second, "a frame", func() bool {
		fyne.DoAndWait(func() {
			if !v.rendering && v.frame != nil && v.frame != prev {
				f = v.frame
			}
		})
		return f != nil
	})
	return f
}

func opaquePixels(img *image.NRGBA) int {
	n := 0
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] > 0 {
			n++
		}
	}
	return n
}

func TestOrbitViewOrbitsPansZoomsAndFits(t *testing.T) {
	scene := sandboxScene(t)
	newTestApp(t)
	v := newOrbitView()
	w := test.NewTempWindow(t, v)
	w.Resize(fyne.NewSize(300, 300))
	v.SetScene(scene)
	f0 := frameOf(t, v, nil)
	if opaquePixels(f0) < 1000 {
		t.Fatalf("the model covers %d pixels of the first frame", opaquePixels(f0))
	}
	yaw0, pitch0, dist0, target0 := v.yaw, v.pitch, v.dist, v.target

	// Left drag orbits.
	v.MouseDown(&desktop.MouseEvent{Button: desktop.MouseButtonPrimary})
	v.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DX: 50, DY: 20}})
	if v.yaw == yaw0 || v.pitch == pitch0 || v.target != target0 {
		t.Fatalf("orbit: yaw %v→%v pitch %v→%v target moved %v", yaw0, v.yaw, pitch0, v.pitch, v.target != target0)
	}
	v.DragEnd()
	f1 := frameOf(t, v, f0)
	if samePixels(f0, f1) {
		t.Fatal("orbiting did not change the picture")
	}
	// The pitch stops short of the poles.
	v.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DY: 100000}})
	if math.Abs(v.pitch) > maxPitch+1e-9 {
		t.Fatalf("pitch %v beyond the limit", v.pitch)
	}
	v.DragEnd()

	// Right drag (or Shift) pans: the target moves, the angles stay.
	yaw1 := v.yaw
	v.MouseDown(&desktop.MouseEvent{Button: desktop.MouseButtonSecondary})
	v.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DX: 30}})
	if v.target == target0 || v.yaw != yaw1 {
		t.Fatalf("pan: target moved %v, yaw changed %v", v.target != target0, v.yaw != yaw1)
	}
	v.DragEnd()
	v.MouseDown(&desktop.MouseEvent{Button: desktop.MouseButtonPrimary, PointEvent: fyne.PointEvent{}, Modifier: fyne.KeyModifierShift})
	before := v.target
	v.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DY: 30}})
	if v.target == before {
		t.Fatal("Shift+drag did not pan")
	}
	v.DragEnd()

	// The wheel zooms in, within limits.
	v.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.Delta{DY: 10}})
	if v.dist >= dist0 {
		t.Fatalf("wheel up: distance %v → %v, want closer", dist0, v.dist)
	}
	for i := 0; i < 100; i++ {
		v.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.Delta{DY: 100}})
	}
	if v.dist < v.fitDist*minZoom*0.999 {
		t.Fatalf("zoomed past the limit: %v < %v", v.dist, v.fitDist*minZoom)
	}

	// Double-click fits again.
	v.DoubleTapped(&fyne.PointEvent{})
	if v.yaw != yaw0 || v.pitch != pitch0 || v.target != target0 || v.dist != dist0 {
		t.Fatal("double-click did not restore the fitted view")
	}
}

func TestOrbitViewCompareDrivesBoth(t *testing.T) {
	scene := sandboxScene(t)
	newTestApp(t)
	a, b := newOrbitView(), newOrbitView()
	a.linked = []*orbitView{b}
	w := test.NewTempWindow(t, container2(a, b))
	w.Resize(fyne.NewSize(600, 300))
	a.SetScene(scene)
	b.SetScene(scene)
	a.MouseDown(&desktop.MouseEvent{Button: desktop.MouseButtonPrimary})
	a.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DX: 40, DY: 10}})
	a.DragEnd()
	if b.yaw != a.yaw || b.pitch != a.pitch {
		t.Fatalf("linked view: yaw %v/%v pitch %v/%v", a.yaw, b.yaw, a.pitch, b.pitch)
	}
}

func samePixels(a, b *image.NRGBA) bool {
	if a.Rect != b.Rect {
		return false
	}
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			return false
		}
	}
	return true
}

// A scene set while the previous one is still being drawn is drawn too
// (its frame used to be dropped with the stale one, leaving the preview on
// the old model until something else redrew it).
func TestOrbitViewSceneChangedWhileDrawingIsDrawn(t *testing.T) {
	a, b := sandboxScene(t), sandboxScene(t)
	newTestApp(t)
	v := newOrbitView()
	w := test.NewTempWindow(t, v)
	w.Resize(fyne.NewSize(300, 300))
	v.SetScene(a)
	if !v.rendering {
		t.Fatal("no frame started for the first scene")
	}
	v.SetScene(b) // the first frame is still being drawn: the UI thread is ours
	f := frameOf(t, v, nil)
	if v.scene != b || opaquePixels(f) < 1000 {
		t.Fatalf("after the change: scene b %v, %d pixels drawn", v.scene == b, opaquePixels(f))
	}
}
