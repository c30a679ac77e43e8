package sandbox_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
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
	// The Sandbox's clock is the wall clock plus an offset the test moves:
	// the task is put half way (running) before the restart and past its
	// end after it, so no phase has to be caught inside a window of real
	// time on a loaded machine.
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	open := func() (*library.Library, *jobs.Runner) {
		lib, err := library.Open(filepath.Join(dir, "library"), library.Config{Thumbnail: render.ThumbnailFile, ThumbnailSize: 64, IndexDelay: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		sb := sandbox.New(sandbox.Config{Pace: time.Hour, PollEvery: 20 * time.Millisecond, StateDir: state, Now: now})
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Queued: the task exists and its start is fixed; then half its time passes.
	if j, err = r.WaitUntil(ctx, j.ID, func(j library.Job) bool { return j.State == library.StateQueued }); err != nil {
		t.Fatalf("never queued: %s %v", j.State, err)
	}
	offset.Add(int64(30 * time.Minute))
	j, err = r.WaitUntil(ctx, j.ID, func(j library.Job) bool { return j.State == library.StateRunning })
	if err != nil || j.State != library.StateRunning {
		t.Fatalf("before the restart: %s %v", j.State, err)
	}
	r.Close()
	lib.Close()

	offset.Add(int64(time.Hour)) // past the task's end while no runner watched
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
