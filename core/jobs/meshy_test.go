package jobs

import (
	"path/filepath"
	"testing"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/meshy"
	"meshdrop/core/provider/meshy/meshytest"
)

const meshyTestKey = "msy_jobs_test_0123456789abcdef"

func meshyRig(t *testing.T, hc httpx.Config) (*rig, *meshytest.Server) {
	g := newRig(t)
	srv := meshytest.New(t, meshyTestKey)
	srv.QueueReads, srv.StepsPerTask, srv.StreamEvery = 1, 2, 5*time.Millisecond
	if hc.Backoff.Base == 0 {
		hc.Backoff = httpx.Backoff{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond}
	}
	m, err := meshy.New(meshy.Config{BaseURL: srv.BaseURL(), PollEvery: 10 * time.Millisecond, HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	g.keys.Add(keys.Key{ID: "m1", Name: "meshy main", Provider: provider.Meshy}, meshyTestKey)
	g.extra = append(g.extra, m)
	return g, srv
}

// Meshy's text jobs have two paid stages: the preview, then the refine,
// each a create whose intent is written before it is sent.
func TestMeshyPreviewThenRefine(t *testing.T) {
	g, srv := meshyRig(t, httpx.Config{})
	ctx := waitCtx(t)
	r := g.runner(ctx, g.extra...)
	j, err := r.Submit(ctx, Spec{Provider: provider.Meshy, Prompt: "a wooden crate"})
	if err != nil {
		t.Fatal(err)
	}
	done, err := r.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.State != library.StateDone {
		t.Fatalf("ended %s: %+v", done.State, done.Error)
	}
	if len(done.Stages) != 2 || done.Stages[0].Name != meshy.StagePreview || done.Stages[1].Name != meshy.StageRefine ||
		done.Stages[0].Ref.ID == done.Stages[1].Ref.ID {
		t.Fatalf("stages %+v", done.Stages)
	}
	if n := srv.Creates(); n != 2 {
		t.Fatalf("%d creates, want 2 (preview and refine)", n)
	}
	want := []library.State{library.StateDraft, library.StateSubmitting, library.StateQueued, library.StateRunning,
		library.StateSubmitting, library.StateQueued, library.StateRunning, library.StateDownloading, library.StateDone}
	if h := g.store.History(j.ID); !equalStates(h, want) {
		t.Fatalf("states written %v\nwant %v", h, want)
	}
	m, ok := library.ModelFile(done)
	if !ok {
		t.Fatalf("no model: %+v", done.Outputs)
	}
	if err := library.CheckGLBFile(filepath.Join(g.lib.JobDir(j.ID), m.File)); err != nil {
		t.Fatal(err)
	}
}

// The preview's create reaches Meshy and its answer is lost: the job is
// "unknown", the runner looks the task up in Meshy's list at once, adopts
// it and carries on; the preview was sent exactly once.
func TestMeshyLostCreateIsReconciled(t *testing.T) {
	g, srv := meshyRig(t, httpx.Config{RequestTimeout: 3 * time.Second, HeaderTimeout: 3 * time.Second})
	srv.HangCreate.Store(true)
	ctx := waitCtx(t)
	r := g.runner(ctx, g.extra...)
	j, err := r.Submit(ctx, Spec{Provider: provider.Meshy, Prompt: "a brass lantern"})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); srv.Creates() < 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no create reached the server")
		}
	}
	srv.HangCreate.Store(false) // the hung request stays hung; later ones answer
	done, err := r.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := g.store.History(j.ID)
	if done.State != library.StateDone {
		t.Fatalf("ended %s (%+v); states %v", done.State, done.Error, h)
	}
	sawUnknown := false
	for _, s := range h {
		sawUnknown = sawUnknown || s == library.StateUnknown
	}
	if !sawUnknown {
		t.Fatalf("states %v: the lost answer was never recorded as unknown", h)
	}
	if n := srv.Creates(); n != 2 {
		t.Fatalf("%d creates, want 2 (the lost preview once, then the refine)", n)
	}
	if ids := srv.TaskIDs(); len(ids) != 2 || done.Stages[0].Ref.ID != ids[0] {
		t.Fatalf("adopted %q, server has %v", done.Stages[0].Ref.ID, ids)
	}
}
