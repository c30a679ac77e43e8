package render

import (
	"image"
	"image/color"
	"math"
	"testing"
	"time"

	"meshdrop/core/glb"
)

func project(c Camera, p [3]float32, size int) (float32, float32) {
	vb := c.basis(size, size)
	d := sub3(p, vb.eye)
	w := dot3(d, vb.fwd)
	return vb.cx + dot3(d, vb.right)*vb.focal/w, vb.cy - dot3(d, vb.up)*vb.focal/w
}

func TestOrbitRotatePanZoomReset(t *testing.T) {
	s := scene([]glb.Material{solid(1, 1, 1)}, cube([3]float32{2, 0, 0}, 1, 0))
	o := NewOrbit(s, 1)
	home := o.Camera()
	// Fitted: the cube's corners span a centred box filling the margin.
	minX, minY, maxX, maxY := float32(1e9), float32(1e9), float32(-1e9), float32(-1e9)
	for _, c := range [][3]float32{{1, -1, -1}, {1, -1, 1}, {1, 1, -1}, {1, 1, 1}, {3, -1, -1}, {3, -1, 1}, {3, 1, -1}, {3, 1, 1}} {
		x, y := project(home, c, 100)
		minX, maxX, minY, maxY = min(minX, x), max(maxX, x), min(minY, y), max(maxY, y)
	}
	if math.Abs(float64(minX+maxX)/2-50) > 1 || math.Abs(float64(minY+maxY)/2-50) > 1 || math.Abs(float64(max(maxX-minX, maxY-minY))-100*fitMargin) > 1.5 {
		t.Errorf("fitted cube spans x %.1f..%.1f y %.1f..%.1f, want centred and %.0f px", minX, maxX, minY, maxY, 100*fitMargin)
	}
	d0 := o.Distance

	o.Rotate(math.Pi, 0)
	c := o.Camera()
	a, b := sub3(home.Eye, home.Target), sub3(c.Eye, c.Target)
	if a[0]*b[0] > 0 || a[2]*b[2] > 0 {
		t.Errorf("half a turn: eye offset %v then %v, want the opposite side", a, b)
	}
	o.Rotate(0, 10) // far past the pole
	if o.Pitch > maxPitch+1e-9 {
		t.Errorf("pitch %.3f not clamped", o.Pitch)
	}

	o.Reset()
	o.Zoom(2)
	if math.Abs(float64(o.Distance-d0/2)) > 1e-4*float64(d0) {
		t.Errorf("zoom 2: distance %.3f, want %.3f", o.Distance, d0/2)
	}
	o.Zoom(1e9)
	if o.Distance <= 0 {
		t.Error("zoom went through the target")
	}

	o.Reset()
	before := o.Target
	o.Pan(10, -5, 100) // the model follows the pointer: right 10, up 5
	x, y := project(o.Camera(), before, 100)
	if math.Abs(float64(x-60)) > 0.5 || math.Abs(float64(y-45)) > 0.5 {
		t.Errorf("after panning (10,-5) the old target projects to (%.1f, %.1f), want (60, 45)", x, y)
	}

	o.Reset()
	if o.Camera() != home {
		t.Errorf("reset gave %+v, want %+v", o.Camera(), home)
	}
	o.Zoom(0.2)
	o.Fit(s, 1)
	if math.Abs(float64(o.Distance-d0)) > 0.01*float64(d0) {
		t.Errorf("fit after zooming out: distance %.3f, want %.3f", o.Distance, d0)
	}
}

func TestPreviewProgressiveQualityAndOverlays(t *testing.T) {
	s := scene([]glb.Material{solid(0.8, 0.2, 0.2)}, sphere(24, 0))
	s.Stats.FileBytes = 1234
	p := NewPreview(s, 1)
	p.Background = color.NRGBA{20, 20, 20, 255}

	p.SetDragging(true)
	draft := p.Frame(64, 64)
	if p.Stats().Quality != QualityDraft {
		t.Errorf("dragging frame quality %v, want draft", p.Stats().Quality)
	}
	_, nDraft := countNotBackground(draft, p.Background)
	p.SetDragging(false)
	best := p.Frame(64, 64)
	if best == draft {
		t.Error("consecutive frames share an image: the widget could be showing it")
	}
	st := p.Stats()
	if st.Quality != QualityBest || !st.Drawn || st.Triangles != 24*24*2 || st.FileBytes != 1234 {
		t.Errorf("stats %+v", st)
	}
	_, nBest := countNotBackground(best, p.Background)
	if nBest == 0 || math.Abs(float64(nDraft-nBest)) > 0.1*float64(nBest) {
		t.Errorf("draft covers %d px, best %d px: want the same model at lower resolution", nDraft, nBest)
	}

	p.Wireframe = true
	wire := p.Frame(64, 64)
	blueish := 0
	for i := 0; i < len(wire.Pix); i += 4 {
		if wire.Pix[i+2] > wire.Pix[i]+30 {
			blueish++
		}
	}
	if blueish < 100 {
		t.Errorf("wireframe drew %d line pixels", blueish)
	}
	p.Wireframe, p.Normals = false, true
	p.SetDragging(true) // one sample per pixel: the line colour is exact
	nrm := p.Frame(64, 64)
	yellow := 0
	for i := 0; i < len(nrm.Pix); i += 4 {
		if nrm.Pix[i] > 200 && nrm.Pix[i+1] > 150 && nrm.Pix[i+2] < 100 {
			yellow++
		}
	}
	if yellow < 20 {
		t.Errorf("normals overlay drew %d pixels", yellow)
	}
}

func countNotBackground(img *image.NRGBA, bg color.NRGBA) (int, int) {
	n := 0
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			if img.NRGBAAt(x, y) != bg {
				n++
			}
		}
	}
	return 0, n
}

func TestBigMeshDragsAReducedCopy(t *testing.T) {
	s := scene([]glb.Material{solid(0.7, 0.7, 0.7)}, sphere(400, 0)) // 320k triangles
	red := reduceScene(s)
	if n := countTriangles(red); n >= countTriangles(s)/2 || n < 10_000 {
		t.Errorf("reduced to %d of %d triangles", n, countTriangles(s))
	}
	p := NewPreview(s, 1)
	// Built in the background: allow a loaded machine (and -race) its time.
	for deadline := time.Now().Add(2 * time.Minute); p.reduced.Load() == nil; {
		if time.Now().After(deadline) {
			t.Fatal("the reduced mesh was never built")
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.SetDragging(true)
	draft := p.Frame(96, 96)
	st := p.Stats()
	if !st.Reduced || st.Triangles != countTriangles(s) {
		t.Errorf("draft stats %+v: want the reduced mesh drawn and the model's own counts shown", st)
	}
	_, nDraft := countNotBackground(draft, color.NRGBA{})
	p.SetDragging(false)
	full := p.Frame(96, 96)
	if p.Stats().Reduced {
		t.Error("the still frame drew the reduced mesh")
	}
	_, nFull := countNotBackground(full, color.NRGBA{})
	if math.Abs(float64(nDraft-nFull)) > 0.05*float64(nFull) {
		t.Errorf("reduced draft covers %d px, full %d px: the shape changed", nDraft, nFull)
	}
	// Small models are not reduced.
	if q := NewPreview(scene([]glb.Material{solid(1, 1, 1)}, sphere(20, 0)), 1); q.reduced.Load() != nil {
		t.Error("a small model got a reduced copy")
	}
}

func TestPreviewDoesNotWaitForTextures(t *testing.T) {
	release := make(chan struct{})
	green := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := 0; i < len(green.Pix); i += 4 {
		copy(green.Pix[i:], []uint8{0, 255, 0, 255})
	}
	tex := glb.NewTexture("slow", "image/png", func() (*image.NRGBA, error) {
		<-release // a big JPEG still decoding
		return green, nil
	})
	m := solid(1, 0, 0) // red factor × green texture = black once the texture shows
	m.BaseTexture = 0
	m.Unlit = true
	s := scene([]glb.Material{m}, quad(0, 0, 0, 1, 0))
	s.Textures = []*glb.Texture{tex}
	p := NewPreview(s, 1)
	p.Orbit.Yaw, p.Orbit.Pitch = 0, 0
	p.Orbit.Fit(s, 1)
	img := p.Frame(32, 32) // returns although the texture is not decoded
	if !p.Stats().Pending {
		t.Error("frame drawn without the texture but not marked pending")
	}
	if c := img.NRGBAAt(16, 16); c.R < 200 || c.G > 20 {
		t.Errorf("pending texture drawn as %v, want the red base colour", c)
	}
	close(release)
	for i := 0; ; i++ {
		img = p.Frame(32, 32)
		if !p.Stats().Pending {
			break
		}
		if i > 1000 {
			t.Fatal("texture never arrived")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if c := img.NRGBAAt(16, 16); c.R > 20 || c.G > 20 {
		t.Errorf("decoded texture drawn as %v, want red × green = black", c)
	}
	// Thumbnails do wait: they are drawn once.
	tex2 := glb.NewTexture("slow", "image/png", func() (*image.NRGBA, error) {
		time.Sleep(20 * time.Millisecond)
		return green, nil
	})
	s.Textures = []*glb.Texture{tex2}
	th := ThumbnailOn(s, 32, color.NRGBA{255, 255, 255, 255})
	if c := th.NRGBAAt(16, 16); c.R > 20 || c.G > 20 {
		t.Errorf("thumbnail drew %v before its texture arrived", c)
	}
}
