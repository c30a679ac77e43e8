package render

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"meshdrop/core/glb"
)

func TestThumbnailFramesAndCentresTheModel(t *testing.T) {
	// An off-centre, elongated model: the camera must find it and fill
	// the frame with it.
	s := scene([]glb.Material{solid(0.8, 0.8, 0.8)}, cube([3]float32{10, 5, -3}, 1, 0), cube([3]float32{10, 7, -3}, 1, 0))
	img := Thumbnail(s, 128)
	box, n := coverage(img)
	if n == 0 {
		t.Fatal("nothing drawn")
	}
	side := max(box.Dx(), box.Dy())
	if side < 128*70/100 || side > 128*95/100 {
		t.Errorf("model spans %d px of 128 (box %v): want 70–95%%", side, box)
	}
	cx, cy := (box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2
	if abs(cx-64) > 6 || abs(cy-64) > 6 {
		t.Errorf("model centred at (%d,%d), want near (64,64); box %v", cx, cy, box)
	}
	// Corners are background (transparent).
	if img.NRGBAAt(0, 0).A != 0 || img.NRGBAAt(127, 127).A != 0 {
		t.Error("background is not transparent")
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func TestRedMaterialGivesRedPixels(t *testing.T) {
	s := scene([]glb.Material{solid(1, 0, 0)}, cube([3]float32{}, 1, 0))
	img := Thumbnail(s, 64)
	red, other := 0, 0
	for i := 0; i < len(img.Pix); i += 4 {
		p := img.Pix[i : i+4]
		if p[3] < 255 {
			continue
		}
		if p[0] > 60 && int(p[0]) > 2*int(p[1]) && int(p[0]) > 2*int(p[2]) {
			red++
		} else {
			other++
		}
	}
	if red == 0 || other > red/20 {
		t.Errorf("red pixels %d, others %d: a red cube must draw red", red, other)
	}
}

func TestBackFacesCulledUnlessDoubleSided(t *testing.T) {
	q := quad(0, 0, 0, 1, 0)
	q.Indices = []uint32{0, 2, 1, 0, 3, 2} // clockwise seen from +Z: back-facing
	single := solid(1, 1, 1)
	if _, n := coverage(render(t, scene([]glb.Material{single}, q), front(4), 64, Options{})); n != 0 {
		t.Errorf("back-facing single-sided quad drew %d pixels", n)
	}
	double := single
	double.DoubleSided = true
	img := render(t, scene([]glb.Material{double}, q), front(4), 64, Options{})
	if _, n := coverage(img); n < 500 {
		t.Errorf("back-facing double-sided quad drew %d pixels, want it drawn", n)
	}
	// Lit as seen from its back (normal flipped), so not dark.
	if c := img.NRGBAAt(32, 32); c.R < 90 {
		t.Errorf("double-sided back face drawn dark: %v", c)
	}
	// The same quad facing the camera is drawn with culling on.
	if _, n := coverage(render(t, scene([]glb.Material{single}, quad(0, 0, 0, 1, 0)), front(4), 64, Options{})); n < 500 {
		t.Errorf("front-facing quad drew %d pixels", n)
	}
}

func TestDefaultMetallicIsNotBlack(t *testing.T) {
	m := solid(0.6, 0.6, 0.6)
	m.Metallic, m.Roughness = 1, 1 // glTF's defaults
	img := Thumbnail(scene([]glb.Material{m}, cube([3]float32{}, 1, 0)), 64)
	var sum, n float64
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i+3] == 255 {
			sum += float64(img.Pix[i]) + float64(img.Pix[i+1]) + float64(img.Pix[i+2])
			n += 3
		}
	}
	if n == 0 || sum/n < 100 {
		t.Errorf("metallic grey cube mean brightness %.0f (of %v px), want a visible grey ≥ 100", sum/max(n, 1), n/3)
	}
	// The scene's default material (last entry) is metallic too.
	s := &glb.Scene{Prims: []glb.Prim{cube([3]float32{}, 1, -1)}, Materials: []glb.Material{defaultMaterial}}
	img = Thumbnail(s, 64)
	if c := img.NRGBAAt(32, 32); c.A != 255 || c.R < 120 {
		t.Errorf("default material drawn %v at the centre, want light grey", c)
	}
}

func TestEmissiveDoesNotWashOut(t *testing.T) {
	m := solid(0.5, 0.3, 0.2)
	m.Emissive = [3]float32{1, 1, 1}
	img := Thumbnail(scene([]glb.Material{m}, cube([3]float32{}, 1, 0)), 64)
	lo, hi := 255, 0
	white := 0
	opaque := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i+3] != 255 {
			continue
		}
		opaque++
		l := (int(img.Pix[i]) + int(img.Pix[i+1]) + int(img.Pix[i+2])) / 3
		lo, hi = min(lo, l), max(hi, l)
		if img.Pix[i] > 250 && img.Pix[i+1] > 250 && img.Pix[i+2] > 250 {
			white++
		}
		// Hue kept: red over blue.
		if img.Pix[i] <= img.Pix[i+2] {
			t.Fatalf("emissive washed out the base colour at pixel %d: %v", i/4, img.Pix[i:i+4])
		}
	}
	if white > opaque/10 {
		t.Errorf("%d of %d pixels are white", white, opaque)
	}
	if hi-lo < 25 {
		t.Errorf("shading range %d..%d: faces no longer distinguishable", lo, hi)
	}
}

func TestDepthOrderIndependentOfDrawOrder(t *testing.T) {
	mats := []glb.Material{solid(1, 0, 0), solid(0, 0, 1)}
	near := quad(0, 0, 0.5, 1, 0)
	far := quad(0.8, 0.8, -0.5, 1, 1)
	for name, s := range map[string]*glb.Scene{
		"near first": scene(mats, near, far),
		"far first":  scene(mats, far, near),
	} {
		img := render(t, s, front(5), 64, Options{})
		c := img.NRGBAAt(34, 30)
		if !(c.R > 100 && c.B < 30) {
			t.Errorf("%s: overlap drawn %v, want the near red quad", name, c)
		}
		// Where only the far quad is, it shows.
		c = img.NRGBAAt(59, 5)
		if !(c.B > 100 && c.R < 30) {
			t.Errorf("%s: far-only region drawn %v, want blue", name, c)
		}
	}
}

func TestSharedEdgesDrawnOnce(t *testing.T) {
	// A half-transparent quad of two triangles: a pixel on the shared
	// diagonal drawn twice would be darker than the rest.
	m := solid(1, 1, 1)
	m.Unlit = true
	m.BaseColor[3] = 0.5
	m.AlphaMode = glb.AlphaBlend
	img := render(t, scene([]glb.Material{m}, quad(0, 0, 0, 1, 0)), front(3), 64, Options{Background: color.NRGBA{0, 0, 0, 255}})
	box, _ := coverage(img)
	_ = box
	ref := img.NRGBAAt(32, 20)
	if ref.R < 100 || ref.R > 160 {
		t.Fatalf("half-transparent white over black drawn %v, want about 128", ref)
	}
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			c := img.NRGBAAt(x, y)
			if c.R != 0 && c.R != ref.R {
				t.Fatalf("pixel (%d,%d) = %v differs from %v: seam drawn twice or blended wrong", x, y, c, ref)
			}
		}
	}
}

func TestTextureIsPerspectiveCorrectAndFiltered(t *testing.T) {
	// Left half red, right half green; the quad is tilted away so that an
	// affine mapping would put the boundary visibly off the quad's middle.
	tex := textureOf(64, 64, func(x, y int) color.NRGBA {
		if x < 32 {
			return color.NRGBA{255, 0, 0, 255}
		}
		return color.NRGBA{0, 255, 0, 255}
	})
	m := solid(1, 1, 1)
	m.BaseTexture = 0
	m.Unlit = true
	q := glb.Prim{ // a long strip receding along -Z: x from -1 (near) to … far
		Positions: []float32{-1, -0.5, 2, 1, -0.5, -6, 1, 0.5, -6, -1, 0.5, 2},
		Normals:   []float32{0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1},
		UVs:       []float32{0, 1, 1, 1, 1, 0, 0, 0},
		Indices:   []uint32{0, 1, 2, 0, 2, 3},
	}
	s := scene([]glb.Material{m}, q)
	s.Textures = []*glb.Texture{tex}
	q.Material = 0
	cam := Camera{Eye: [3]float32{3, 0, 4}, Target: [3]float32{0, 0, -1}, Up: [3]float32{0, 1, 0}, FovY: 60 * math.Pi / 180}
	img := render(t, s, cam, 128, Options{})
	// Find the red/green boundary on the middle row, and the quad's extent.
	y := 64
	first, last, boundary := -1, -1, -1
	for x := 0; x < 128; x++ {
		c := img.NRGBAAt(x, y)
		if c.A == 0 {
			continue
		}
		if first < 0 {
			first = x
		}
		last = x
		if boundary < 0 && c.G > c.R {
			boundary = x
		}
	}
	if first < 0 || boundary < 0 {
		t.Fatalf("texture not drawn on the middle row (first %d boundary %d)", first, boundary)
	}
	// World-space middle of the strip: project (0, 0, -2).
	vb := cam.basis(128, 128)
	d := sub3([3]float32{0, 0, -2}, vb.eye)
	mid := vb.cx + dot3(d, vb.right)*vb.focal/dot3(d, vb.fwd)
	if math.Abs(float64(boundary)-float64(mid)) > 2 {
		t.Errorf("red/green boundary at x=%d, perspective-correct middle at %.1f (strip %d..%d)", boundary, mid, first, last)
	}
	// Colours are pure away from the boundary; bilinear gives a blend at it.
	if c := img.NRGBAAt((first+boundary)/2, y); c.R < 200 || c.G > 30 {
		t.Errorf("red side drawn %v", c)
	}
}

func TestMipLevelsAreBuiltOnceAndAverage(t *testing.T) {
	tex := textureOf(8, 8, func(x, y int) color.NRGBA {
		if (x+y)%2 == 0 {
			return color.NRGBA{255, 255, 255, 255}
		}
		return color.NRGBA{0, 0, 0, 255}
	})
	var c textureCache
	mt := c.get(tex)
	if len(mt.levels) != 4 {
		t.Fatalf("levels = %d, want 4 (8,4,2,1)", len(mt.levels))
	}
	if c.get(tex) != mt {
		t.Error("the mip chain was built twice")
	}
	// A checkerboard averages to mid grey in linear light (sRGB ~188).
	p := mt.levels[3].pix
	if p[0] < 180 || p[0] > 195 {
		t.Errorf("1×1 level = %v, want linear-light average ≈ 188", p[:4])
	}
}

func TestAlphaMaskDiscardsAndBlendShowsThrough(t *testing.T) {
	// Mask: texture transparent on its left half → the quad's left half is not drawn.
	tex := textureOf(16, 16, func(x, y int) color.NRGBA {
		if x < 8 {
			return color.NRGBA{255, 255, 255, 0}
		}
		return color.NRGBA{255, 255, 255, 255}
	})
	m := solid(1, 1, 1)
	m.BaseTexture = 0
	m.AlphaMode = glb.AlphaMask
	s := scene([]glb.Material{m}, quad(0, 0, 0, 1, 0))
	s.Textures = []*glb.Texture{tex}
	img := render(t, s, front(3), 64, Options{})
	if c := img.NRGBAAt(22, 32); c.A != 0 {
		t.Errorf("masked-out texel drawn: %v", c)
	}
	if c := img.NRGBAAt(42, 32); c.A != 255 {
		t.Errorf("opaque texel not drawn: %v", c)
	}

	// Blend: a half-transparent red quad in front of a blue one → purple.
	red := solid(1, 0, 0)
	red.BaseColor[3] = 0.5
	red.AlphaMode = glb.AlphaBlend
	red.Unlit = true
	blue := solid(0, 0, 1)
	blue.Unlit = true
	img = render(t, scene([]glb.Material{red, blue}, quad(0, 0, 0.5, 1, 0), quad(0, 0, -0.5, 2, 1)), front(5), 64, Options{})
	c := img.NRGBAAt(32, 32)
	if c.R < 100 || c.B < 100 || c.G > 20 {
		t.Errorf("half-transparent red over blue drawn %v, want purple", c)
	}
}

func TestVertexColours(t *testing.T) {
	q := quad(0, 0, 0, 1, 0)
	q.Colors = []float32{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}
	m := solid(1, 1, 1)
	img := render(t, scene([]glb.Material{m}, q), front(3), 64, Options{})
	if c := img.NRGBAAt(32, 32); c.G < 100 || c.R > 20 || c.B > 20 {
		t.Errorf("green vertex colours drawn %v", c)
	}
}

func TestBackgroundColour(t *testing.T) {
	bg := color.NRGBA{30, 40, 50, 255}
	th := ThumbnailOn(scene([]glb.Material{solid(1, 1, 1)}, cube([3]float32{}, 1, 0)), 32, bg)
	if c := th.NRGBAAt(0, 0); c != bg {
		t.Errorf("thumbnail corner %v, want background %v", c, bg)
	}
	if c := th.NRGBAAt(16, 16); c == bg || c.A != 255 {
		t.Errorf("thumbnail centre %v: the model is not drawn over the background", c)
	}
	img := render(t, scene([]glb.Material{solid(1, 1, 1)}, quad(0, 0, 0, 0.5, 0)), front(4), 32, Options{Background: bg, Supersample: 2})
	if c := img.NRGBAAt(0, 0); c != bg {
		t.Errorf("corner %v, want background %v", c, bg)
	}
}

func TestCameraInsideGeometryIsClipped(t *testing.T) {
	// The camera sits inside a big double-sided box: triangles cross the
	// near plane and must be clipped, not dropped or drawn inverted.
	m := solid(0.7, 0.7, 0.7)
	m.DoubleSided = true
	s := scene([]glb.Material{m}, cube([3]float32{}, 5, 0))
	cam := Camera{Eye: [3]float32{0, 0, 4.99}, Target: [3]float32{0, 0, 0}, FovY: 90 * math.Pi / 180, Near: 0.05}
	_, n := coverage(render(t, s, cam, 64, Options{}))
	if n != 64*64 {
		t.Errorf("inside a closed box %d of %d pixels drawn", n, 64*64)
	}
	// Huge triangle crossing behind the eye: a floor seen from above.
	floor := glb.Prim{
		Positions: []float32{-1e4, 0, -1e4, -1e4, 0, 1e4, 1e4, 0, 1e4, 1e4, 0, -1e4},
		Normals:   []float32{0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0},
		Indices:   []uint32{0, 1, 2, 0, 2, 3},
	}
	cam = Camera{Eye: [3]float32{0, 1, 0}, Target: [3]float32{0, 0.5, -3}, FovY: 60 * math.Pi / 180, Near: 0.01}
	img := render(t, scene([]glb.Material{solid(1, 1, 1)}, floor), cam, 64, Options{})
	if img.NRGBAAt(32, 63).A == 0 || img.NRGBAAt(32, 0).A != 0 {
		t.Errorf("floor: bottom %v top %v, want floor below the horizon only", img.NRGBAAt(32, 63), img.NRGBAAt(32, 0))
	}
}

func TestNotesDrawnWhenNothingIsDrawn(t *testing.T) {
	s := &glb.Scene{Notes: []string{"Draco geometry is not supported"}}
	img := Thumbnail(s, 128)
	light := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i+3] == 255 && img.Pix[i] > 200 {
			light++
		}
	}
	if light < 50 {
		t.Errorf("%d text pixels: the note is not written", light)
	}
	// Text is absent when the model was drawn.
	s2 := scene([]glb.Material{solid(0.1, 0.1, 0.1)}, cube([3]float32{}, 1, 0))
	s2.Notes = []string{"KTX2 textures shown as base colour"}
	img = Thumbnail(s2, 128)
	if c := img.NRGBAAt(64, 64); c.R > 150 {
		t.Errorf("a drawn model got the notes panel: %v", c)
	}
	if got := wrapText("Draco geometry is not supported", 12); strings.Join(got, "|") != "Draco|geometry is|not|supported" {
		t.Errorf("wrap = %q", got)
	}
}

func TestTurntableTurns(t *testing.T) {
	// A red cube left of a blue one; after half a turn blue is on the left.
	s := scene([]glb.Material{solid(1, 0, 0), solid(0, 0, 1)}, cube([3]float32{-1.5, 0, 0}, 0.5, 0), cube([3]float32{1.5, 0, 0}, 0.5, 1))
	frames := Turntable(s, 64, 4)
	if len(frames) != 4 {
		t.Fatalf("%d frames", len(frames))
	}
	side := func(img *image.NRGBA) (redX, blueX float64) {
		var rn, bn float64
		for y := 0; y < 64; y++ {
			for x := 0; x < 64; x++ {
				c := img.NRGBAAt(x, y)
				if c.A == 255 && c.R > 2*c.B+20 {
					redX += float64(x)
					rn++
				}
				if c.A == 255 && c.B > 2*c.R+20 {
					blueX += float64(x)
					bn++
				}
			}
		}
		return redX / max(rn, 1), blueX / max(bn, 1)
	}
	r0, b0 := side(frames[0])
	r2, b2 := side(frames[2])
	if !(r0 < b0 && r2 > b2) {
		t.Errorf("frame 0 red x %.0f blue x %.0f; frame 2 red x %.0f blue x %.0f: want the sides swapped", r0, b0, r2, b2)
	}
}

func TestPreviewFrameAllocatesNothing(t *testing.T) {
	tex := textureOf(64, 64, func(x, y int) color.NRGBA { return color.NRGBA{uint8(x * 4), uint8(y * 4), 128, 255} })
	m := solid(1, 1, 1)
	m.BaseTexture = 0
	s := scene([]glb.Material{m}, sphere(40, 0))
	s.Textures = []*glb.Texture{tex}
	r := NewRenderer(s)
	img := image.NewNRGBA(image.Rect(0, 0, 96, 96))
	cam := FitCamera(s, 0.3, 0.2, 1)
	for _, opt := range []Options{{}, {HalfResolution: true}, {Wireframe: true, Normals: true}} {
		r.Draw(img, cam, opt) // warm up: buffers and bins grow once
		allocs := testing.AllocsPerRun(5, func() { r.Draw(img, cam, opt) })
		if allocs != 0 {
			t.Errorf("%+v: %.0f allocations per frame, want 0", opt, allocs)
		}
	}
}

// sphere is a UV sphere of radius 1 with about 2·n² triangles.
func sphere(n int, mat int) glb.Prim {
	var p glb.Prim
	for i := 0; i <= n; i++ {
		th := math.Pi * float64(i) / float64(n)
		for j := 0; j <= n; j++ {
			ph := 2 * math.Pi * float64(j) / float64(n)
			x, y, z := float32(math.Sin(th)*math.Sin(ph)), float32(math.Cos(th)), float32(math.Sin(th)*math.Cos(ph))
			p.Positions = append(p.Positions, x, y, z)
			p.Normals = append(p.Normals, x, y, z)
			p.UVs = append(p.UVs, float32(j)/float32(n), float32(i)/float32(n))
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a := uint32(i*(n+1) + j)
			b := a + uint32(n+1)
			p.Indices = append(p.Indices, a, b, a+1, a+1, b, b+1)
		}
	}
	p.Material = mat
	return p
}

func TestFastLog2(t *testing.T) {
	for _, v := range []float32{1, 1.5, 2, 3, 4, 10, 1000, 12345.6, 1e6} {
		if got, want := fastLog2(v), math.Log2(float64(v)); math.Abs(float64(got)-want) > 0.09 {
			t.Errorf("fastLog2(%g) = %g, want %g", v, got, want)
		}
	}
}

func TestInsideOutMeshIsDrawnFromOutside(t *testing.T) {
	// A cube whose every face is wound clockwise (inside out, as trimesh
	// exports some TRELLIS outputs), with normals that follow that winding
	// (inwards), as a loader computes them.
	in := cube([3]float32{}, 1, 0)
	for i := 0; i < len(in.Indices); i += 3 {
		in.Indices[i+1], in.Indices[i+2] = in.Indices[i+2], in.Indices[i+1]
	}
	for i := range in.Normals {
		in.Normals[i] = -in.Normals[i]
	}
	grey := solid(0.7, 0.7, 0.7)
	want := Thumbnail(scene([]glb.Material{grey}, cube([3]float32{}, 1, 0)), 64)
	got := Thumbnail(scene([]glb.Material{grey}, in), 64)
	_, nWant := coverage(want)
	_, nGot := coverage(got)
	if nGot != nWant {
		t.Fatalf("inside-out cube covers %d px, the same cube wound right %d", nGot, nWant)
	}
	for i := range want.Pix {
		if d := int(want.Pix[i]) - int(got.Pix[i]); d > 2 || d < -2 {
			t.Fatalf("byte %d: inside-out cube %d, right cube %d: lit differently", i, got.Pix[i], want.Pix[i])
		}
	}
	// An open sheet wound either way is not "inside out": culling stays.
	if flip, _ := insideOut(&in, in.Normals, [3]float32{}); !flip {
		t.Error("inside-out cube not detected")
	}
	q := quad(0, 0, 0, 1, 0)
	if flip, _ := insideOut(&q, q.Normals, [3]float32{0, 0, 0}); flip {
		t.Error("a flat quad was taken for inside out")
	}
}
