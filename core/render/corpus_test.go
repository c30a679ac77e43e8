package render

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"meshdrop/core/glb"
)

// corpusDir is ../shared/glb relative to the repository root.
func corpusDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "glb")
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.tsv")); err != nil {
		t.Skipf("GLB corpus not found at %s (it lives beside the repository in ../shared/glb): %v", dir, err)
	}
	return dir
}

func corpusFiles(t testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join(corpusDir(t), "*.glb"))
	if len(files) == 0 {
		t.Skip("GLB corpus folder has no .glb files")
	}
	return files
}

// dumpEnv names a folder to write the corpus thumbnails to, for people to
// compare with ../shared/glb/reference-thumbs.
const dumpEnv = "MESHDROP_THUMB_DUMP"

func writePNG(t testing.TB, path string, img image.Image) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// TestCorpusThumbnails draws every corpus file: each thumbnail shows the
// model framed and centred, or, where nothing could be drawn, the loader's
// note saying why.
func TestCorpusThumbnails(t *testing.T) {
	for _, f := range corpusFiles(t) {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".glb"), func(t *testing.T) {
			s, err := glb.Open(f)
			if err != nil {
				t.Skipf("loader refuses %s (its own corpus test covers that): %v", name, err)
			}
			img := Thumbnail(s, 128)
			if dir := os.Getenv(dumpEnv); dir != "" {
				writePNG(t, filepath.Join(dir, strings.TrimSuffix(name, ".glb")+".png"), Thumbnail(s, 256))
			}
			box, n := coverage(img)
			drawable := s.Stats.Triangles > 0 && len(s.Prims) > 0
			if !drawable {
				if len(s.Notes) == 0 {
					t.Fatalf("nothing to draw and no note saying why")
				}
				if n == 0 {
					t.Fatalf("nothing drawn and the notes %q are not written on the thumbnail", s.Notes)
				}
				return
			}
			if n == 0 {
				t.Fatalf("%d triangles, nothing drawn", s.Stats.Triangles)
			}
			side := max(box.Dx(), box.Dy())
			if side < 128*60/100 || side > 128*96/100 {
				t.Errorf("model spans %d px of 128 (box %v), want it framed (60–96%%)", side, box)
			}
			// Culling drops only hidden faces: drawn double-sided, the
			// silhouette is (nearly) the same. Holes here mean the front
			// faces were culled (an inside-out winding, say).
			open := *s
			open.Materials = append([]glb.Material(nil), s.Materials...)
			for i := range open.Materials {
				open.Materials[i].DoubleSided = true
			}
			if _, nOpen := coverage(Thumbnail(&open, 128)); n < nOpen*9/10 {
				t.Errorf("%d pixels drawn with culling, %d without: front faces are being culled", n, nOpen)
			}
			cx, cy := (box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2
			if abs(cx-64) > 8 || abs(cy-64) > 8 {
				t.Errorf("model centred at (%d,%d), want near (64,64); box %v", cx, cy, box)
			}
			// Lit, not black: the mean of the drawn pixels is not near zero
			// and not all the same (shaded).
			lo, hi, sum, cnt := 255, 0, 0, 0
			for i := 0; i < len(img.Pix); i += 4 {
				if img.Pix[i+3] == 255 {
					l := (int(img.Pix[i]) + int(img.Pix[i+1]) + int(img.Pix[i+2])) / 3
					lo, hi, sum, cnt = min(lo, l), max(hi, l), sum+l, cnt+1
				}
			}
			flat := s.Stats.Triangles < 100 // the sparse samples are one flat sheet: one shade is right
			if cnt == 0 || sum/cnt < 20 || (hi-lo < 20 && !flat) {
				t.Errorf("drawn pixels: mean %d, range %d..%d: want a lit, shaded model", sum/max(cnt, 1), lo, hi)
			}
		})
	}
}

// BenchmarkCorpusThumbnail256 is a 256² thumbnail of each corpus file from
// a loaded scene (load time excluded; texture decoding included, since
// textures are decoded lazily when first drawn).
func BenchmarkCorpusThumbnail256(b *testing.B) {
	for _, f := range corpusFiles(b) {
		b.Run(strings.TrimSuffix(filepath.Base(f), ".glb"), func(b *testing.B) {
			if _, err := glb.Open(f); err != nil {
				b.Skipf("loader refuses it: %v", err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, _ := glb.Open(f) // fresh textures: their decode is part of the thumbnail
				b.StartTimer()
				Thumbnail(s, 256)
			}
		})
	}
}

// BenchmarkCorpusThumbnailFile256 is ThumbnailFile end to end (load, draw,
// PNG, atomic write) for each corpus file.
func BenchmarkCorpusThumbnailFile256(b *testing.B) {
	out := filepath.Join(b.TempDir(), "t.png")
	for _, f := range corpusFiles(b) {
		b.Run(strings.TrimSuffix(filepath.Base(f), ".glb"), func(b *testing.B) {
			if _, err := glb.Open(f); err != nil {
				b.Skipf("loader refuses it: %v", err)
			}
			for i := 0; i < b.N; i++ {
				if err := ThumbnailFile(f, out, 256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestThumbnailFileWritesAPNG(t *testing.T) {
	files := corpusFiles(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "sub", "thumb.png")
	var src string
	for _, f := range files {
		if strings.Contains(f, "meshy_sunlit_blossom") {
			src = f
		}
	}
	if src == "" {
		src = files[0]
	}
	if err := ThumbnailFile(src, out, 96); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, format, err := image.Decode(fh)
	if err != nil || format != "png" || img.Bounds().Dx() != 96 || img.Bounds().Dy() != 96 {
		t.Fatalf("decoded %v %q %v", img.Bounds(), format, err)
	}
	ents, _ := os.ReadDir(filepath.Dir(out))
	if len(ents) != 1 {
		t.Errorf("the folder holds %d entries, want only the PNG (no temporary left)", len(ents))
	}
	if err := ThumbnailFile(filepath.Join(dir, "missing.glb"), out, 96); err == nil {
		t.Error("a missing model gave no error")
	}
}
