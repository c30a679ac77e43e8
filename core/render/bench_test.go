package render

import (
	"image"
	"image/color"
	"testing"
	"time"

	"meshdrop/core/glb"
)

// bumpySphere is a 200k-triangle textured sphere (about the size of the
// corpus's TRELLIS.2 mesh), the preview's speed target.
func bumpySphere() *glb.Scene {
	tex := textureOf(1024, 1024, func(x, y int) color.NRGBA {
		return color.NRGBA{uint8(x), uint8(y), uint8(x ^ y), 255}
	})
	m := solid(1, 1, 1)
	m.BaseTexture = 0
	s := scene([]glb.Material{m}, sphere(316, 0))
	s.Textures = []*glb.Texture{tex}
	return s
}

func benchPreview(b *testing.B, opt Options) {
	s := bumpySphere()
	r := NewRenderer(s)
	img := image.NewNRGBA(image.Rect(0, 0, 512, 512))
	o := NewOrbit(s, 1)
	r.Draw(img, o.Camera(), opt)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o.Rotate(0.01, 0) // a new view every frame, as while dragging
		r.Draw(img, o.Camera(), opt)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fps")
}

// BenchmarkPreview512Full is a full-resolution 512² frame of 200k triangles.
func BenchmarkPreview512Full(b *testing.B) { benchPreview(b, Options{}) }

// BenchmarkPreview512Draft is the same frame while dragging (half resolution).
func BenchmarkPreview512Draft(b *testing.B) { benchPreview(b, Options{HalfResolution: true}) }

// BenchmarkPreview512Best is the still frame after release (2×2 samples).
func BenchmarkPreview512Best(b *testing.B) { benchPreview(b, Options{Supersample: 2}) }

// BenchmarkThumbnail256Sphere200k is a whole Thumbnail call (renderer set
// up, mip chain built, 2×2 supersampled) of the 200k-triangle sphere.
func BenchmarkThumbnail256Sphere200k(b *testing.B) {
	s := bumpySphere()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Thumbnail(s, 256)
	}
}

// BenchmarkPreview512Draft800k is a dragging frame of an 800k-triangle mesh
// (the corpus's largest).
func BenchmarkPreview512Draft800k(b *testing.B) {
	s := scene([]glb.Material{solid(0.8, 0.8, 0.8)}, sphere(632, 0))
	r := NewRenderer(s)
	img := image.NewNRGBA(image.Rect(0, 0, 512, 512))
	o := NewOrbit(s, 1)
	opt := Options{HalfResolution: true}
	r.Draw(img, o.Camera(), opt)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o.Rotate(0.01, 0)
		r.Draw(img, o.Camera(), opt)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fps")
}

// BenchmarkPreview512DraftReduced800k is a dragging frame of an
// 800k-triangle mesh through Preview, which drags a reduced copy.
func BenchmarkPreview512DraftReduced800k(b *testing.B) {
	s := scene([]glb.Material{solid(0.8, 0.8, 0.8)}, sphere(632, 0))
	p := NewPreview(s, 1)
	for p.reduced.Load() == nil {
		time.Sleep(time.Millisecond)
	}
	p.SetDragging(true)
	p.Frame(512, 512)
	p.Frame(512, 512)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Orbit.Rotate(0.01, 0)
		p.Frame(512, 512)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fps")
}
