package jobs

import (
	"testing"
	"time"

	"meshdrop/core/library"
	"meshdrop/core/provider"
)

// pinned reports whether r still keeps an adapter for the job.
func pinned(r *Runner, id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.pins[id]
	return ok
}

// A job's pinned adapter is forgotten when this process stops driving it,
// done or unknown: before, an unknown job's pin was kept for good, one
// map entry per such job for the life of the process.
func TestPinsGoWhenJobsEnd(t *testing.T) {
	g := newRig(t)
	ctx := waitCtx(t)
	r := g.runner(ctx)

	done, err := r.Submit(ctx, Spec{Provider: "rodin", Prompt: "a red wooden cube"})
	if err != nil {
		t.Fatal(err)
	}
	if end, err := r.Wait(ctx, done.ID); err != nil || end.State != library.StateDone {
		t.Fatalf("ended %s: %v", end.State, err)
	}

	// A record left "submitting" by a process that died becomes unknown.
	now := time.Now().UTC()
	lost := library.Job{ID: NewID(), Provider: provider.Rodin, KeyID: "k1", KeyName: "main", Mode: "text", Prompt: "a brass bell",
		State: library.StateSubmitting, Created: now, Updated: now,
		Stages: []library.Stage{{Name: "generate", Submitted: now}}}
	if err := g.lib.Put(lost); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(lost.ID); err != nil {
		t.Fatal(err)
	}
	if end, _ := r.Wait(ctx, lost.ID); end.State != library.StateUnknown {
		t.Fatalf("the lost job ended %s", end.State)
	}
	for _, id := range []string{done.ID, lost.ID} {
		if pinned(r, id) {
			t.Errorf("job %s is still pinned after it ended", id)
		}
	}
	// A reconcile that finds nothing (Rodin has no task list) does not
	// leave the pin it took either.
	if found, _ := r.Reconcile(ctx, lost.ID); found || pinned(r, lost.ID) {
		t.Fatalf("after a reconcile that found nothing: found %v, pinned %v", found, pinned(r, lost.ID))
	}
	if len(r.Active()) != 0 {
		t.Fatalf("still driving %v", r.Active())
	}
}
