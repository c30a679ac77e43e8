package library

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"meshdrop/core/meshio"
)

// testGLB builds a real small GLB (a coloured quad) with meshio.
func testGLB(t testing.TB) []byte {
	t.Helper()
	b, err := quadGLB()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func quadGLB() ([]byte, error) {
	return meshio.EncodeGLB(&meshio.Model{Name: "quad", Parts: []meshio.Part{{
		Name: "quad",
		Mesh: &meshio.Mesh{
			Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}},
			Indices:   []uint32{0, 1, 2, 0, 2, 3},
		},
		Material: meshio.Material{Name: "red", BaseColor: [4]float32{1, 0, 0, 1}, Roughness: 0.5},
	}}})
}

// pngThumbnailer is a renderer stand-in with the render.ThumbnailFile
// signature: it checks the GLB container and writes a real PNG, counting calls.
type pngThumbnailer struct{ calls atomic.Int32 }

func (p *pngThumbnailer) render(glbPath, pngPath string, size int) error {
	p.calls.Add(1)
	if err := CheckGLBFile(glbPath); err != nil {
		return err
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(0, 0, color.NRGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err
	}
	return os.WriteFile(pngPath, b.Bytes(), 0o600)
}

func openT(t testing.TB, dir string, cfg Config) *Library {
	t.Helper()
	l, err := Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

var testBase = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func testJob(i int) Job {
	return Job{
		ID:       fmt.Sprintf("20261123-090000-%012x", i),
		Provider: []string{"meshy", "tripo", "rodin", "sandbox"}[i%4],
		KeyID:    fmt.Sprintf("key%d", i%3),
		KeyName:  "personal",
		Mode:     "text",
		Prompt:   fmt.Sprintf("a small wooden chair item%d with carved legs", i),
		Options:  map[string]string{"ai_model": "meshy-5", "topology": "quad"},
		State:    StateDone,
		Created:  testBase.Add(time.Duration(i) * time.Minute),
		Updated:  testBase.Add(time.Duration(i)*time.Minute + 30*time.Second),
		Credits:  float64(i % 7),
		Tags:     []string{fmt.Sprintf("set%d", i%10)},
		Outputs: []File{{Kind: KindModel, Format: FormatGLB, File: "model.glb", Size: 1234,
			SHA256: "4f1c5b0c1f5e0f4b7f33e7d2c1a9b8e6d5c4b3a291807f6e5d4c3b2a19080706"}},
	}
}

func writeGLBOutput(t testing.TB, l *Library, id string, glb []byte) File {
	t.Helper()
	f, err := l.SaveOutput(id, "model.glb", KindModel, FormatGLB, func(w io.Writer) (int64, error) {
		n, err := w.Write(glb)
		return int64(n), err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func ls(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func jobPath(l *Library, id string) string { return filepath.Join(l.Dir(), id, JobFile) }
