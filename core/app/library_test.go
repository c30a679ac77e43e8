package app

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"meshdrop/core/library"
	"meshdrop/core/meshio"
	"meshdrop/core/paths"
	"meshdrop/core/render"
)

func TestLibraryIsOpenedOnceAndMakesThumbnails(t *testing.T) {
	root := t.TempDir()
	dirs := paths.Dirs{Config: filepath.Join(root, "c"), Data: filepath.Join(root, "d"), Library: filepath.Join(root, "d", "library"), Logs: filepath.Join(root, "l")}
	a, err := NewAt(context.Background(), dirs, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Settings.ThumbSize = 96 // the size chosen in Settings reaches the thumbnailer
	l, err := a.Library()
	if err != nil {
		t.Fatal(err)
	}
	if l2, _ := a.Library(); l2 != l || l.Dir() != dirs.Library {
		t.Fatal("Library not kept once, or in the wrong folder")
	}
	glb, err := meshio.EncodeGLB(&meshio.Model{Name: "q", Parts: []meshio.Part{{Name: "q",
		Mesh:     &meshio.Mesh{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}}, Indices: []uint32{0, 1, 2, 0, 2, 3}},
		Material: meshio.Material{BaseColor: [4]float32{1, 0, 0, 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "quad.glb")
	os.WriteFile(src, glb, 0o644)
	res := l.Import([]string{src})
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("import: %+v", res)
	}
	// The thumbnailer is render.ThumbnailFile: the imported job has its
	// thumbnail, drawn at the size from Settings.
	if err := render.ThumbnailFile(src, filepath.Join(root, "direct.png"), 64); err != nil {
		t.Fatalf("render.ThumbnailFile cannot draw a red quad: %v", err)
	}
	j := res[0].Job
	thumb := filepath.Join(l.JobDir(j.ID), library.ThumbnailFile)
	b, err := os.ReadFile(thumb)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("no thumbnail for the imported model (%s): %v", res[0].Warning, err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != 96 || cfg.Height != 96 {
		t.Fatalf("thumbnail is %dx%d (%v), want the 96x96 set in Settings", cfg.Width, cfg.Height, err)
	}
}
