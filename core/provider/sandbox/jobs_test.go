package sandbox_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"meshdrop/core/jobs"
	"meshdrop/core/library"
	"meshdrop/core/meshio/meshiotest"
	"meshdrop/core/provider"
	"meshdrop/core/provider/sandbox"
	"meshdrop/core/render"
)

// A Sandbox job driven by the real job engine into a real library: quit
// while the task runs, start again (new library handle, new Sandbox, new
// runner, as a new process), and the job finishes with a valid GLB and a
// rendered thumbnail.
func TestSandboxJobSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "sandbox")
	open := func() (*library.Library, *jobs.Runner) {
		lib, err := library.Open(filepath.Join(dir, "library"), library.Config{Thumbnail: render.ThumbnailFile, ThumbnailSize: 64, IndexDelay: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		sb := sandbox.New(sandbox.Config{Pace: 1500 * time.Millisecond, PollEvery: 20 * time.Millisecond, StateDir: state})
		r, err := jobs.New(context.Background(), jobs.Config{Store: lib, Providers: provider.NewRegistry(sb),
			RetryBase: 10 * time.Millisecond, PublishEvery: time.Millisecond, SaveProgressEvery: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return lib, r
	}
	lib, r := open()
	j, err := r.Submit(context.Background(), jobs.Spec{Provider: provider.Sandbox, Prompt: "a blue marble torus and a wooden crate"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	j, err = r.WaitUntil(ctx, j.ID, func(j library.Job) bool { return j.State == library.StateRunning })
	if err != nil || j.State != library.StateRunning {
		t.Fatalf("before the restart: %s %v", j.State, err)
	}
	r.Close()
	lib.Close()

	lib, r = open()
	defer lib.Close()
	defer r.Close()
	if _, err := r.Resume(); err != nil {
		t.Fatal(err)
	}
	j, err = r.Wait(ctx, j.ID)
	if err != nil || j.State != library.StateDone {
		t.Fatalf("after the restart: %s %v (error %+v)", j.State, err, j.Error)
	}
	var model, thumb string
	for _, f := range j.Outputs {
		switch f.Kind {
		case string(provider.OutModel):
			model = filepath.Join(lib.JobDir(j.ID), f.File)
		case "thumbnail":
			thumb = filepath.Join(lib.JobDir(j.ID), f.File)
		}
	}
	if model == "" || thumb == "" {
		t.Fatalf("outputs %+v", j.Outputs)
	}
	glb, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := meshiotest.Inspect(glb)
	if err != nil || len(sum.Materials) != 2 || len(sum.Images) != 2 {
		t.Fatalf("model: %+v %v", sum, err)
	}
	meshiotest.AssertValid(t, model)
}
