package app

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"meshdrop/core/jobs"
	"meshdrop/core/paths"
	"meshdrop/core/provider"
)

// An App on its own folders (NewAt, as the tests make) keeps the Sandbox's
// image-task state in its Dirs.Data, not in the data folder paths.Resolve
// finds (the user's real one): an image job's input lands in
// <Dirs.Data>/sandbox, and nothing in the resolved folder. Before, the
// Sandbox always used paths.Resolve's.
func TestSandboxStateInTheAppsDataFolder(t *testing.T) {
	resolvedHome := t.TempDir()
	t.Setenv(paths.EnvHome, resolvedHome) // where paths.Resolve points
	resolved, err := paths.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	dirs := moveDirs(t.TempDir())
	a := newMoveApp(t, dirs)
	r, err := a.Runner()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	j, err := r.Submit(ctx, jobs.Spec{Provider: provider.Sandbox, Images: []provider.Image{{Name: "in.png", MIME: "image/png", Data: buf.Bytes()}}})
	if err != nil {
		t.Fatal(err)
	}
	if j, err = r.WaitUntil(ctx, j.ID, jobs.Accepted); err != nil || len(j.Stages) == 0 || j.Stages[0].Ref.ID == "" {
		t.Fatalf("the image job was not accepted: %+v, %v", j, err)
	}
	task := j.Stages[0].Ref.ID
	found := false
	ents, _ := os.ReadDir(filepath.Join(dirs.Data, "sandbox"))
	for _, e := range ents {
		found = found || len(e.Name()) >= len(task) && e.Name()[:len(task)] == task
	}
	if !found {
		t.Fatalf("no state for task %s in %s (found %d files)", task, filepath.Join(dirs.Data, "sandbox"), len(ents))
	}
	if _, err := os.Stat(filepath.Join(resolved.Data, "sandbox")); !os.IsNotExist(err) {
		t.Fatalf("the Sandbox wrote in the resolved data folder %s: %v", resolved.Data, err)
	}
}
