package jobs

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"meshdrop/core/jobs/jobstest"
	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/rodin"
	"meshdrop/core/provider/rodin/rodintest"
	"meshdrop/core/provider/sandbox"
	"meshdrop/core/settings"
)

// eventually polls cond until it holds or the test's deadline nears. It
// bounds a failure only; nothing here measures time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// slotState reads a provider pool's slots: held and waiting.
func slotState(r *Runner, id string) (held, waiting int) {
	pl := r.pool(id)
	pl.slots.mu.Lock()
	defer pl.slots.mu.Unlock()
	return pl.slots.n, pl.slots.waiters.Len()
}

// sandboxRunner is a runner over a Sandbox whose tasks take an hour (they
// end only when cancelled), with the concurrency cap from the settings.
func sandboxRunner(t *testing.T, cap int) *Runner {
	t.Helper()
	lib, err := library.Open(filepath.Join(t.TempDir(), "library"), library.Config{IndexDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	sb := sandbox.New(sandbox.Config{Pace: time.Hour, PollEvery: 10 * time.Millisecond})
	r, err := New(waitCtx(t), Config{Store: lib, Providers: provider.NewRegistry(sb),
		Settings:  map[string]settings.Provider{provider.Sandbox: {MaxConcurrent: cap}},
		RetryBase: 5 * time.Millisecond, PublishEvery: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func submitText(t *testing.T, r *Runner, prompt string) library.Job {
	t.Helper()
	j, err := r.Submit(waitCtx(t), Spec{Provider: provider.Sandbox, Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func waitAccepted(t *testing.T, r *Runner, id string) library.Job {
	t.Helper()
	j, err := r.WaitUntil(waitCtx(t), id, Accepted)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != library.StateQueued && j.State != library.StateRunning {
		t.Fatalf("job %s is %s (%+v), want at the provider", id, j.State, j.Error)
	}
	return j
}

// Raising a provider's cap while jobs wait lets the next one go at once
// (not when a running job ends: the Sandbox tasks here last an hour), and
// lowering it stops no running job: the lower cap is reached as they end.
func TestSetSettingsChangesTheCapLive(t *testing.T) {
	r := sandboxRunner(t, 1)
	a := submitText(t, r, "a brass owl")
	waitAccepted(t, r, a.ID)
	b := submitText(t, r, "a clay teapot")
	eventually(t, "the second job waits for a slot", func() bool { h, w := slotState(r, provider.Sandbox); return h == 1 && w == 1 })
	if j, _ := r.store.Get(b.ID); j.State != library.StateDraft {
		t.Fatalf("with cap 1 and one task running, the second job is %s", j.State)
	}

	r.SetSettings(map[string]settings.Provider{provider.Sandbox: {MaxConcurrent: 2}})
	if l := r.LimitsOf(provider.Sandbox); l.MaxConcurrent != 2 {
		t.Fatalf("limits after the change: %+v", l)
	}
	waitAccepted(t, r, b.ID)
	if j, _ := r.store.Get(a.ID); j.State.Finished() {
		t.Fatalf("the first job ended (%s) when the cap rose", j.State)
	}

	// Lower to 1: both keep running, a third waits.
	r.SetSettings(map[string]settings.Provider{provider.Sandbox: {MaxConcurrent: 1}})
	c := submitText(t, r, "a paper crane")
	eventually(t, "the third job waits", func() bool { h, w := slotState(r, provider.Sandbox); return h == 2 && w == 1 })
	for _, id := range []string{a.ID, b.ID} {
		if j, _ := r.store.Get(id); j.State != library.StateQueued && j.State != library.StateRunning {
			t.Fatalf("job %s is %s after the cap was lowered; running jobs must go on", id, j.State)
		}
	}
	// One ends: 1 held, cap 1: the third still waits.
	if _, err := r.Cancel(waitCtx(t), a.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cancelled job's slot is back", func() bool { h, _ := slotState(r, provider.Sandbox); return h == 1 })
	if _, w := slotState(r, provider.Sandbox); w != 1 {
		t.Fatalf("%d waiting after one of two ended under cap 1, want the third still waiting", w)
	}
	if j, _ := r.store.Get(c.ID); j.State != library.StateDraft {
		t.Fatalf("the third job is %s while the lowered cap is full", j.State)
	}
	if _, err := r.Cancel(waitCtx(t), b.ID); err != nil {
		t.Fatal(err)
	}
	waitAccepted(t, r, c.ID)
}

// A faster rate applies to the next permit: at 0.01 permits/s the second
// permit is due in about 100 s; after the rate rises to 1,000/s it is due
// at once. (The context only bounds a failure at 50 s.) A rate set to 0
// means no pacing.
func TestBucketSetRateAppliesToTheNextPermit(t *testing.T) {
	b := newBucket(0.01)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	if err := b.wait(ctx); err != nil {
		t.Fatal(err)
	}
	b.setRate(1000)
	if err := b.wait(ctx); err != nil {
		t.Fatalf("the second permit at the new rate: %v", err)
	}
	b.gate()
	b.setRate(0)
	for i := 0; i < 100; i++ {
		if err := b.wait(ctx); err != nil {
			t.Fatal(err)
		}
		b.gate()
	}
	// Slower again: the next free moment is one new interval after the last permit.
	b.setRate(0.01)
	if err := b.wait(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	if err := b.wait(short); err == nil {
		t.Fatal("at 0.01/s a second permit came within 200 ms")
	}
}

// A base URL changed while a job is in flight. The job's task lives at
// host A (B has never heard of it): everything asked about it goes on to A,
// even when its drive stops and starts again in this process (here a write
// refused once, as on a full disk, then "jobs wait"), and the next new job
// is created at host B.
func TestBaseURLChangeKeepsRunningJobsAtTheirHost(t *testing.T) {
	srvA, srvB := rodintest.New(testSecret), rodintest.New(testSecret)
	t.Cleanup(srvA.Close)
	t.Cleanup(srvB.Close)
	adapter := func(base string) *rodin.Rodin {
		a, err := rodin.New(rodin.Config{BaseURL: base, PollEvery: 5 * time.Millisecond, AllowFastPoll: true,
			HTTP: httpx.Config{Backoff: httpx.Backoff{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond}}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	reg := provider.NewRegistry(adapter(srvA.BaseURL()))
	lib, err := library.Open(filepath.Join(t.TempDir(), "library"), library.Config{Thumbnail: pngThumbnail, IndexDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	store := jobstest.Wrap(lib)
	var refused atomic.Bool
	store.SetHooks(func(j library.Job) error {
		if j.State == library.StateDownloading && refused.CompareAndSwap(false, true) {
			return errors.New("no space left on device")
		}
		return nil
	}, nil)
	ks := jobstest.NewKeys()
	ks.Add(keys.Key{ID: "k1", Name: "main", Provider: provider.Rodin}, testSecret)
	ctx := waitCtx(t)
	r, err := New(ctx, Config{Store: store, Keys: ks, Providers: reg, RetryBase: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)

	first, err := r.Submit(ctx, Spec{Provider: provider.Rodin, Prompt: "a brass owl"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := r.Wait(ctx, first.ID)
	if !errors.Is(err, ErrStopped) || (j.State != library.StateQueued && j.State != library.StateRunning) {
		t.Fatalf("the refused write should stop the drive with the job at the provider: %s, %v", j.State, err)
	}
	reg.Replace(adapter(srvB.BaseURL()))
	readsA := srvA.StatusReads()
	j, err = r.Wait(ctx, first.ID) // drives it again, as "meshdrop jobs wait" does
	if err != nil || j.State != library.StateDone {
		t.Fatalf("the job in flight ended %s (%+v), %v", j.State, j.Error, err)
	}
	if srvA.StatusReads() <= readsA || srvA.Creates() != 1 {
		t.Fatalf("host A: %d status reads after the change (want more than %d), %d creates", srvA.StatusReads(), readsA, srvA.Creates())
	}
	if srvB.Creates() != 0 || srvB.StatusReads() != 0 {
		t.Fatalf("host B heard of the old job: %d creates, %d status reads", srvB.Creates(), srvB.StatusReads())
	}

	second, err := r.Submit(ctx, Spec{Provider: provider.Rodin, Prompt: "a clay teapot"})
	if err != nil {
		t.Fatal(err)
	}
	if j, err = r.Wait(ctx, second.ID); err != nil || j.State != library.StateDone {
		t.Fatalf("new job: %s %+v %v", j.State, j.Error, err)
	}
	if srvB.Creates() != 1 || srvA.Creates() != 1 {
		t.Fatalf("after the change: %d creates at B (want 1), %d at A (want 1)", srvB.Creates(), srvA.Creates())
	}
	if len(srvA.Leaks())+len(srvB.Leaks()) != 0 {
		t.Fatal("a key reached a result host")
	}
}
