package jobs

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"meshdrop/core/library"
	"meshdrop/core/provider"
)

// A runner stopped while the task runs leaves the job where it was; a new
// runner on the same library picks it up, follows it and downloads it, and
// the server saw exactly one create.
func TestRestartMidJobCompletesWithOneCreate(t *testing.T) {
	g := newRig(t)
	g.srv.StepsPerJob = 15
	ctx := waitCtx(t)
	r1 := g.runner(ctx)
	j, err := r1.Submit(ctx, Spec{Provider: "rodin", Prompt: "a stone pillar"})
	if err != nil {
		t.Fatal(err)
	}
	mid, err := r1.WaitUntil(ctx, j.ID, func(j library.Job) bool { return j.State == library.StateRunning })
	if err != nil || mid.State != library.StateRunning {
		t.Fatalf("never running: %s %v", mid.State, err)
	}
	r1.Close()
	onDisk, _ := g.lib.Get(j.ID)
	if onDisk.State != library.StateRunning && onDisk.State != library.StateQueued {
		t.Fatalf("after stop the record says %s, want queued or running", onDisk.State)
	}
	reads := g.srv.StatusReads()

	g.reopenStore()
	r2 := g.runner(ctx)
	ids, err := r2.Resume()
	if err != nil || len(ids) != 1 || ids[0] != j.ID {
		t.Fatalf("resume started %v, %v", ids, err)
	}
	done, err := r2.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, g, done)
	if n := g.srv.Creates(); n != 1 {
		t.Fatalf("server saw %d creates, want 1", n)
	}
	if g.srv.StatusReads() <= reads {
		t.Fatal("the second runner never read the status: it did not follow the task")
	}
	if done.Stages[0].Ref.ID != onDisk.Stages[0].Ref.ID {
		t.Fatalf("task changed across restart: %s → %s", onDisk.Stages[0].Ref.ID, done.Stages[0].Ref.ID)
	}
}

// A record left in "downloading" (stopped after the task ended) resumes by
// downloading, without a create and without waiting for the task again.
func TestRestartWhileDownloading(t *testing.T) {
	g := newRig(t)
	ctx := waitCtx(t)
	r1 := g.runner(ctx)
	stop := make(chan struct{})
	var once sync.Once
	g.store.SetHooks(func(j library.Job) error {
		if j.State == library.StateDownloading && len(j.Outputs) > 0 {
			once.Do(func() { close(stop) })
			return errors.New("disk gone") // the process "dies" after the first file
		}
		return nil
	}, nil)
	j, err := r1.Submit(ctx, Spec{Provider: "rodin", Prompt: "a clay pot"})
	if err != nil {
		t.Fatal(err)
	}
	<-stop
	r1.Close()
	g.store.SetHooks(nil, nil)
	onDisk, _ := g.lib.Get(j.ID)
	if onDisk.State != library.StateDownloading {
		t.Fatalf("record says %s, want downloading", onDisk.State)
	}
	g.reopenStore()
	r2 := g.runner(ctx)
	if _, err := r2.Resume(); err != nil {
		t.Fatal(err)
	}
	done, err := r2.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, g, done)
	if n := g.srv.Creates(); n != 1 {
		t.Fatalf("server saw %d creates, want 1", n)
	}
}

// The create reaches the server and its answer never comes: the job is
// "unknown", the create is never sent again (not by this runner, not by a
// new one), and reconcile says plainly that Rodin cannot look it up.
func TestLostCreateAnswerBecomesUnknown(t *testing.T) {
	g := newRig(t)
	// Long enough to dial and write the create on a loaded machine (a
	// timeout before the write is "not sent", another outcome).
	g.httpc.RequestTimeout = 3 * time.Second
	g.httpc.HeaderTimeout = 3 * time.Second
	g.rebuildAdapter()
	g.srv.HangCreate.Store(true)
	ctx := waitCtx(t)
	r1 := g.runner(ctx)
	j, err := r1.Submit(ctx, Spec{Provider: "rodin", Prompt: "a glass orb"})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); r1.InFlightCreates() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the hung create was never counted in flight")
		}
	}
	end, err := r1.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if end.State != library.StateUnknown || end.Error == nil || end.Error.Kind != string(provider.ErrSubmissionUnknown) {
		t.Fatalf("ended %s %+v, want unknown with submission_unknown", end.State, end.Error)
	}
	if n := r1.InFlightCreates(); n != 0 {
		t.Fatalf("%d creates still in flight after the answer was given up", n)
	}
	want := []library.State{library.StateDraft, library.StateSubmitting, library.StateUnknown}
	if h := g.store.History(j.ID); !equalStates(h, want) {
		t.Fatalf("states written %v, want %v", h, want)
	}
	g.srv.HangCreate.Store(false)
	r1.Close()

	g.reopenStore()
	r2 := g.runner(ctx)
	if ids, _ := r2.Resume(); len(ids) != 0 {
		t.Fatalf("resume drove %v: an unknown job must wait for reconcile", ids)
	}
	found, err := r2.Reconcile(ctx, j.ID)
	if found || !errors.Is(err, ErrNoReconcile) {
		t.Fatalf("reconcile = %v, %v; want not found and ErrNoReconcile", found, err)
	}
	again, _ := g.lib.Get(j.ID)
	if again.State != library.StateUnknown {
		t.Fatalf("after reconcile the job is %s", again.State)
	}
	if n := g.srv.Creates(); n != 1 {
		t.Fatalf("server saw %d creates, want exactly 1", n)
	}
}

// A process that dies between writing "submitting" and hearing back leaves
// that record; the next runner turns it into "unknown" and sends nothing.
func TestSubmittingOnStartBecomesUnknown(t *testing.T) {
	g := newRig(t)
	ctx := waitCtx(t)
	now := time.Now().UTC()
	j := library.Job{ID: NewID(), Provider: provider.Rodin, KeyID: "k1", KeyName: "main", Mode: "text", Prompt: "a brass bell",
		State: library.StateSubmitting, Created: now, Updated: now,
		Stages: []library.Stage{{Name: "generate", Submitted: now}}}
	if err := g.lib.Put(j); err != nil {
		t.Fatal(err)
	}
	r := g.runner(ctx)
	if _, err := r.Resume(); err != nil {
		t.Fatal(err)
	}
	end, err := r.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if end.State != library.StateUnknown || end.Error == nil || !strings.Contains(end.Error.Message, "not sent again") {
		t.Fatalf("ended %s %+v", end.State, end.Error)
	}
	if n := g.srv.Creates(); n != 0 {
		t.Fatalf("server saw %d creates, want 0", n)
	}
}

// Rodin has no cancel: the cancel is recorded, people are told the provider
// may still charge, and the task is watched to its end and kept.
func TestCancelWithoutProviderCancelKeepsWatching(t *testing.T) {
	g := newRig(t)
	g.srv.StepsPerJob = 10
	ctx := waitCtx(t)
	r := g.runner(ctx)
	j, err := r.Submit(ctx, Spec{Provider: "rodin", Prompt: "a rubber duck"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WaitUntil(ctx, j.ID, func(j library.Job) bool { return j.State == library.StateRunning }); err != nil {
		t.Fatal(err)
	}
	res, err := r.Cancel(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cancelled || res.Note != CancelNote {
		t.Fatalf("cancel result %+v, want not cancelled with the 'may still charge' note", res)
	}
	if n := r.Note(j.ID); n != CancelNote {
		t.Fatalf("runner note %q", n)
	}
	end, err := r.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !end.CancelRequested {
		t.Fatal("the cancel request was not recorded")
	}
	checkDone(t, g, end)
}

// A draft waiting for a concurrency slot is cancelled before its create is
// ever sent.
func TestCancelQueuedDraftSendsNothing(t *testing.T) {
	g := newRig(t)
	g.srv.StepsPerJob = 10
	g.limits = map[string]Limits{provider.Rodin: {MaxConcurrent: 1}}
	ctx := waitCtx(t)
	r := g.runner(ctx)
	first, err := r.Submit(ctx, Spec{Provider: "rodin", Prompt: "first"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WaitUntil(ctx, first.ID, Accepted); err != nil {
		t.Fatal(err)
	}
	second, err := r.Submit(ctx, Spec{Provider: "rodin", Prompt: "second"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Cancel(ctx, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cancelled || res.Job.State != library.StateCancelled {
		t.Fatalf("cancel result %+v", res)
	}
	if _, err := r.Wait(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if n := g.srv.Creates(); n != 1 {
		t.Fatalf("server saw %d creates, want 1 (the cancelled draft must not be sent)", n)
	}
	if _, err := r.Cancel(ctx, second.ID); !errors.Is(err, ErrNotCancel) {
		t.Fatalf("second cancel: %v", err)
	}
}

// A subscriber that blocks never slows the runner; once it wakes it gets
// the latest state of the job, not a backlog.
func TestSlowSubscriberDoesNotBlock(t *testing.T) {
	g := newRig(t)
	ctx := waitCtx(t)
	r := g.runner(ctx)
	gate := make(chan struct{})
	var calls atomic.Int32
	var mu sync.Mutex
	var seen []library.Job
	unsub := r.Subscribe(func(j library.Job) {
		<-gate
		calls.Add(1)
		mu.Lock()
		seen = append(seen, j)
		mu.Unlock()
	})
	defer unsub()
	var fast atomic.Int32
	unsubFast := r.Subscribe(func(library.Job) { fast.Add(1) })
	defer unsubFast()
	j, err := r.Submit(ctx, Spec{Provider: "rodin", Prompt: "a marble"})
	if err != nil {
		t.Fatal(err)
	}
	done, err := r.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, g, done)
	if calls.Load() != 0 {
		t.Fatal("the blocked subscriber was called past its gate")
	}
	if fast.Load() == 0 {
		t.Fatal("the other subscriber heard nothing while one was blocked")
	}
	close(gate)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		var last library.Job
		if len(seen) > 0 {
			last = seen[len(seen)-1]
		}
		n := len(seen)
		mu.Unlock()
		if last.State == library.StateDone {
			// The first call was taken before the gate with an early state;
			// everything after it coalesced into the newest one.
			if n > 2 {
				t.Fatalf("blocked subscriber got %d calls, want the updates coalesced (≤ 2)", n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscriber never saw done; saw %d updates", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The provider's concurrency cap holds: never more than MaxConcurrent jobs
// between submitting and the task's end, yet every job completes.
func TestConcurrencyCap(t *testing.T) {
	g := newRig(t)
	g.limits = map[string]Limits{provider.Rodin: {MaxConcurrent: 2, RatePerSecond: 200}}
	ctx := waitCtx(t)
	r := g.runner(ctx)
	var mu sync.Mutex
	atProvider := map[string]bool{}
	peak := 0
	g.store.SetHooks(nil, func(j library.Job) {
		mu.Lock()
		defer mu.Unlock()
		switch j.State {
		case library.StateSubmitting, library.StateQueued, library.StateRunning:
			atProvider[j.ID] = true
		default:
			delete(atProvider, j.ID)
		}
		peak = max(peak, len(atProvider))
	})
	var ids []string
	for i := 0; i < 7; i++ {
		j, err := r.Submit(ctx, Spec{Provider: "rodin", Prompt: "cube " + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	for _, id := range ids {
		j, err := r.Wait(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		checkDone(t, g, j)
	}
	if peak > 2 {
		t.Fatalf("%d jobs were at the provider at once, cap 2", peak)
	}
	if peak < 2 {
		t.Fatalf("peak %d: the pool never used its 2 slots", peak)
	}
	if n := g.srv.Creates(); n != 7 {
		t.Fatalf("server saw %d creates, want 7", n)
	}
}

func equalStates(a, b []library.State) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
