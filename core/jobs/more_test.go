package jobs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/provider/rodin"
	"meshdrop/core/provider/sandbox"
)

// pricedRodin is Rodin with a published price, so budgets see an estimate.
type pricedRodin struct{ *rodin.Rodin }

func (pricedRodin) Estimate(provider.Request) float64 { return 10 }

// A job that would break a key's per-job or per-day cap is refused before
// anything is written or sent, and the refusal shows the estimate.
func TestBudgetRefusesBeforeSending(t *testing.T) {
	g := newRig(t)
	g.srv.StepsPerJob = 1000 // the first jobs stay running, so their estimates count today
	ctx := waitCtx(t)
	r := g.runner(ctx, pricedRodin{g.rodin}) // replaces the plain Rodin (same ID)

	if err := g.lib.SetBudget("k1", library.Budget{PerJob: 5}); err != nil {
		t.Fatal(err)
	}
	_, err := r.Submit(ctx, Spec{Provider: provider.Rodin, Prompt: "too dear"})
	if !errors.Is(err, library.ErrOverBudget) || !strings.Contains(err.Error(), "10") || !strings.Contains(err.Error(), "5") {
		t.Fatalf("per-job cap: %v", err)
	}
	if all, _ := g.lib.List(); len(all) != 0 || g.srv.Creates() != 0 {
		t.Fatalf("a refused job left %d records and %d creates", len(all), g.srv.Creates())
	}

	if err := g.lib.SetBudget("k1", library.Budget{PerDay: 25}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		j, err := r.Submit(ctx, Spec{Provider: provider.Rodin, Prompt: "affordable"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.WaitUntil(ctx, j.ID, Accepted); err != nil {
			t.Fatal(err)
		}
	}
	_, err = r.Submit(ctx, Spec{Provider: provider.Rodin, Prompt: "one too many"})
	var be *library.BudgetError
	if !errors.As(err, &be) || !be.Daily || be.Spent != 20 {
		t.Fatalf("per-day cap: %v", err)
	}
	if n := g.srv.Creates(); n != 2 {
		t.Fatalf("%d creates, want 2", n)
	}
}

// Download links that have expired by the time they are used are read
// again from the provider and the download goes on; nothing is re-created.
func TestExpiredLinksAreRenewed(t *testing.T) {
	g := newRig(t)
	g.srv.LinkTTL = 50 * time.Millisecond
	ctx := waitCtx(t)
	counting := &statusCounter{Provider: g.rodin}
	r := g.runner(ctx, counting)
	var once sync.Once
	g.store.SetHooks(func(j library.Job) error {
		if j.State == library.StateDownloading && len(j.Outputs) == 0 {
			once.Do(func() {
				time.Sleep(150 * time.Millisecond) // the links age past their life
				// Renewed links outlive a slow machine (a 50 ms life could
				// expire again before a loaded runner uses them).
				g.srv.SetLinkTTL(time.Minute)
			})
		}
		return nil
	}, nil)
	j, err := r.Submit(ctx, Spec{Provider: provider.Rodin, Prompt: "a slow download"})
	if err != nil {
		t.Fatal(err)
	}
	done, err := r.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, g, done)
	if n := g.srv.Creates(); n != 1 {
		t.Fatalf("%d creates", n)
	}
	// The runner reads a task's status itself only to renew links (Watch
	// reads it inside the adapter).
	if counting.n.Load() == 0 {
		t.Fatal("the expired links were never renewed")
	}
}

// statusCounter counts the runner's own Status calls.
type statusCounter struct {
	provider.Provider
	n atomic.Int32
}

func (c *statusCounter) Status(ctx context.Context, cr provider.Credential, ref provider.TaskRef) (provider.Status, error) {
	c.n.Add(1)
	return c.Provider.Status(ctx, cr, ref)
}

// Retry makes a new job from a finished one, only when asked; the old job
// is left as it was.
func TestRetryMakesANewJob(t *testing.T) {
	g := newRig(t)
	ctx := waitCtx(t)
	r := g.runner(ctx)
	j, err := r.Submit(ctx, Spec{Provider: provider.Rodin, Prompt: "this will fail", Tags: []string{"t1"}})
	if err != nil {
		t.Fatal(err)
	}
	failed, err := r.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if failed.State != library.StateFailed || failed.Error == nil || failed.Error.Kind != string(provider.ErrTaskFailed) {
		t.Fatalf("ended %s %+v", failed.State, failed.Error)
	}
	if g.srv.Creates() != 1 {
		t.Fatal("a failed job was retried without being asked")
	}
	again, err := r.Retry(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID == j.ID || again.RetryOf != j.ID || again.Prompt != j.Prompt || again.KeyID != j.KeyID || len(again.Tags) != 1 {
		t.Fatalf("retry %+v", again)
	}
	if _, err := r.Wait(ctx, again.ID); err != nil {
		t.Fatal(err)
	}
	old, _ := g.lib.Get(j.ID)
	if old.State != library.StateFailed || g.srv.Creates() != 2 {
		t.Fatalf("old job %s, %d creates", old.State, g.srv.Creates())
	}
}

// --key may be left out when the provider has exactly one key; with two,
// the refusal names them; a key is found by name or ID.
func TestChooseKey(t *testing.T) {
	g := newRig(t)
	ctx := waitCtx(t)
	r := g.runner(ctx)
	g.keys.Add(keys.Key{ID: "k2", Name: "backup", Provider: provider.Rodin}, testSecret)
	_, err := r.Submit(ctx, Spec{Provider: provider.Rodin, Prompt: "x"})
	if !errors.Is(err, ErrChooseKey) || !strings.Contains(err.Error(), "main") || !strings.Contains(err.Error(), "backup") {
		t.Fatalf("two keys, none chosen: %v", err)
	}
	for _, name := range []string{"backup", "k2"} {
		j, err := r.Submit(ctx, Spec{Provider: provider.Rodin, Key: name, Prompt: "x"})
		if err != nil || j.KeyID != "k2" || j.KeyName != "backup" {
			t.Fatalf("--key %s: %+v %v", name, j, err)
		}
		if _, err := r.Wait(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Submit(ctx, Spec{Provider: provider.Rodin, Key: "nope", Prompt: "x"}); !errors.Is(err, ErrNeedKey) {
		t.Fatalf("unknown key: %v", err)
	}
	if g.srv.Creates() != 2 {
		t.Fatalf("%d creates", g.srv.Creates())
	}
}

// The CLI cancels a job the window drives (two runners, one lock folder):
// the cancel travels as a marker, the driving runner asks the provider
// (the Sandbox can cancel) and the job ends cancelled in both views.
func TestCancelFromAnotherProcess(t *testing.T) {
	g := newRig(t)
	sb := sandbox.New(sandbox.Config{Pace: 5 * time.Second, PollEvery: 20 * time.Millisecond})
	ctx := waitCtx(t)
	window := g.runner(ctx, sb)
	j, err := window.Submit(ctx, Spec{Provider: provider.Sandbox, Prompt: "a red cube"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := window.WaitUntil(ctx, j.ID, func(j library.Job) bool { return j.State == library.StateRunning }); err != nil {
		t.Fatal(err)
	}
	cli := g.runner(ctx, sb)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := cli.Cancel(cctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cancelled || res.Job.State != library.StateCancelled {
		t.Fatalf("cli saw %+v", res)
	}
	end, err := window.Wait(ctx, j.ID)
	if err != nil || end.State != library.StateCancelled || !end.CancelRequested || len(end.Outputs) != 0 {
		t.Fatalf("window saw %s %v (outputs %v)", end.State, err, end.Outputs)
	}
}

// A disk that fills up while a job runs: the write fails, the record keeps
// its last good state, the runner stops the job and says why; once there is
// room again a new start finishes it, with the one create.
func TestDiskFullStopsAndResumes(t *testing.T) {
	g := newRig(t)
	ctx := waitCtx(t)
	r := g.runner(ctx)
	full := errors.New("write job.json: no space left on device")
	g.store.SetHooks(func(j library.Job) error {
		if j.State == library.StateDownloading {
			return full
		}
		return nil
	}, nil)
	j, err := r.Submit(ctx, Spec{Provider: provider.Rodin, Prompt: "a full disk"})
	if err != nil {
		t.Fatal(err)
	}
	stopped, err := r.Wait(ctx, j.ID)
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("wait: %s %v; want ErrStopped", stopped.State, err)
	}
	if stopped.State != library.StateRunning && stopped.State != library.StateQueued {
		t.Fatalf("record says %s, want the last good state", stopped.State)
	}
	if n := r.Note(j.ID); !strings.Contains(n, "no space left") || !strings.Contains(n, "carries on") {
		t.Fatalf("note %q does not say what happened and what comes next", n)
	}
	g.store.SetHooks(nil, nil)
	r2 := g.runner(ctx)
	if _, err := r2.Resume(); err != nil {
		t.Fatal(err)
	}
	done, err := r2.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, g, done)
	if g.srv.Creates() != 1 {
		t.Fatalf("%d creates", g.srv.Creates())
	}
}
