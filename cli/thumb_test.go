package cli

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"meshdrop/core/app"
	"meshdrop/core/meshio"
	"meshdrop/core/paths"
)

func thumbEnv(t *testing.T) (*Env, *bytes.Buffer) {
	t.Helper()
	root := t.TempDir()
	dirs := paths.Dirs{Config: filepath.Join(root, "config"), Data: filepath.Join(root, "data"),
		Library: filepath.Join(root, "data", "library"), Logs: filepath.Join(root, "logs")}
	a, err := app.NewAt(context.Background(), dirs, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	var errb bytes.Buffer
	return &Env{App: a, Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &errb}, &errb
}

func TestThumbCommand(t *testing.T) {
	e, errb := thumbEnv(t)
	dir := t.TempDir()
	glbPath := filepath.Join(dir, "red.glb")
	data, err := meshio.EncodeGLB(&meshio.Model{Name: "quad", Parts: []meshio.Part{{
		Name:     "quad",
		Mesh:     &meshio.Mesh{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}}, Indices: []uint32{0, 1, 2, 0, 2, 3}},
		Material: meshio.Material{BaseColor: [4]float32{1, 0, 0, 1}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(glbPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "red.png")
	if code := Run(e, []string{"thumb", glbPath, out, "--size", "64"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != 64 || img.Bounds().Dy() != 64 {
		t.Fatalf("thumbnail %v, %v", img.Bounds(), err)
	}
	r, g, b, a := img.At(32, 32).RGBA()
	if a == 0 || r < 2*g || r < 2*b {
		t.Errorf("the red quad's thumbnail is %v %v %v %v at the centre", r>>8, g>>8, b>>8, a>>8)
	}
	if code := Run(e, []string{"thumb", glbPath, out, "--size=32"}); code != ExitOK {
		t.Fatalf("--size=32: exit %d: %s", code, errb)
	}

	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"thumb"}, ExitUsage, "usage"},
		{[]string{"thumb", glbPath}, ExitUsage, "usage"},
		{[]string{"thumb", glbPath, out, "--size"}, ExitUsage, "--size needs"},
		{[]string{"thumb", glbPath, out, "--size", "huge"}, ExitUsage, "whole number"},
		{[]string{"thumb", glbPath, out, "--size", "100000"}, ExitUsage, "whole number"},
		{[]string{"thumb", glbPath, out, "--colour"}, ExitUsage, "unknown option"},
		{[]string{"thumb", filepath.Join(dir, "missing.glb"), out}, ExitNotFound, "no such model"},
	} {
		errb.Reset()
		if code := Run(e, c.args); code != c.code || !strings.Contains(errb.String(), c.msg) {
			t.Errorf("%q: exit %d (%q), want %d and a message with %q", c.args, code, errb, c.code, c.msg)
		}
	}
	// Not a model: a failure that says which file, and no PNG left behind.
	junk := filepath.Join(dir, "junk.glb")
	os.WriteFile(junk, []byte("not a model"), 0o644)
	errb.Reset()
	if code := Run(e, []string{"thumb", junk, filepath.Join(dir, "junk.png")}); code != ExitFailure || !strings.Contains(errb.String(), "junk.glb") {
		t.Errorf("junk: exit %d (%q)", code, errb)
	}
	if _, err := os.Stat(filepath.Join(dir, "junk.png")); err == nil {
		t.Error("a PNG was written for a file that is not a model")
	}
}
