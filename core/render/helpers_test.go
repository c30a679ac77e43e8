package render

import (
	"image"
	"image/color"
	"testing"

	"meshdrop/core/glb"
)

// Scenes built in code for the unit tests.

func solid(r, g, b float32) glb.Material {
	return glb.Material{BaseColor: [4]float32{r, g, b, 1}, BaseTexture: -1, Metallic: 0, Roughness: 1, AlphaCutoff: 0.5}
}

// quad is a square in the plane z at (cx, cy), facing +Z (counter-clockwise
// seen from +Z), with UVs (0,0) at the top left.
func quad(cx, cy, z, half float32, mat int) glb.Prim {
	return glb.Prim{
		Positions: []float32{cx - half, cy - half, z, cx + half, cy - half, z, cx + half, cy + half, z, cx - half, cy + half, z},
		Normals:   []float32{0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1},
		UVs:       []float32{0, 1, 1, 1, 1, 0, 0, 0},
		Indices:   []uint32{0, 1, 2, 0, 2, 3},
		Material:  mat,
	}
}

// cube is an axis-aligned cube with outward normals and CCW faces.
func cube(c [3]float32, half float32, mat int) glb.Prim {
	var p glb.Prim
	faces := [6][3][3]float32{ // normal, u axis, v axis (u × v = normal)
		{{1, 0, 0}, {0, 0, -1}, {0, 1, 0}},
		{{-1, 0, 0}, {0, 0, 1}, {0, 1, 0}},
		{{0, 1, 0}, {1, 0, 0}, {0, 0, -1}},
		{{0, -1, 0}, {1, 0, 0}, {0, 0, 1}},
		{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}},
		{{0, 0, -1}, {-1, 0, 0}, {0, 1, 0}},
	}
	for _, f := range faces {
		n, u, v := f[0], f[1], f[2]
		base := uint32(len(p.Positions) / 3)
		for _, s := range [4][2]float32{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} {
			for k := 0; k < 3; k++ {
				p.Positions = append(p.Positions, c[k]+half*(n[k]+s[0]*u[k]+s[1]*v[k]))
			}
			p.Normals = append(p.Normals, n[0], n[1], n[2])
			p.UVs = append(p.UVs, (s[0]+1)/2, (1-s[1])/2)
		}
		p.Indices = append(p.Indices, base, base+1, base+2, base, base+2, base+3)
	}
	p.Material = mat
	return p
}

func scene(mats []glb.Material, prims ...glb.Prim) *glb.Scene {
	s := &glb.Scene{Prims: prims, Materials: append(mats, defaultMaterial)}
	s.Bounds = sceneBoundsFromPrims(prims)
	for _, p := range prims {
		s.Stats.Triangles += len(p.Indices) / 3
		s.Stats.Vertices += len(p.Positions) / 3
	}
	s.Stats.Primitives = len(prims)
	return s
}

func sceneBoundsFromPrims(prims []glb.Prim) glb.Box {
	return sceneBounds(&glb.Scene{Prims: prims})
}

// front is a camera on +Z looking at the origin.
func front(dist float32) Camera {
	return Camera{Eye: [3]float32{0, 0, dist}, Target: [3]float32{}, Up: [3]float32{0, 1, 0}, FovY: DefaultFovY}
}

func render(t testing.TB, s *glb.Scene, cam Camera, size int, opt Options) *image.NRGBA {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	NewRenderer(s).Draw(img, cam, opt)
	return img
}

// coverage is the bounding box and count of pixels with alpha > 0.
func coverage(img *image.NRGBA) (image.Rectangle, int) {
	var box image.Rectangle
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.NRGBAAt(x, y).A > 0 {
				n++
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box, n
}

// textureOf makes a decoded texture from a function of the texel.
func textureOf(w, h int, f func(x, y int) color.NRGBA) *glb.Texture {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, f(x, y))
		}
	}
	return glb.NewTexture("test", "image/png", func() (*image.NRGBA, error) { return img, nil })
}
