package jobs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"meshdrop/core/library"
)

// After Close the runner refuses Submit, Retry, Start and Resume with
// ErrClosed, writes nothing and sends nothing: a handle kept across a
// library move must not make jobs in (or drive them from) the old folder.
func TestClosedRunnerRefuses(t *testing.T) {
	g := newRig(t)
	ctx := waitCtx(t)
	r := g.runner(ctx)
	j, err := r.Submit(ctx, Spec{Provider: "rodin", Prompt: "a red wooden cube"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	draft := library.Job{ID: NewID(), Provider: "rodin", KeyID: "k1", Mode: "text", Prompt: "a draft", State: library.StateDraft, Created: time.Now().UTC(), Updated: time.Now().UTC()}
	if err := g.lib.Put(draft); err != nil {
		t.Fatal(err)
	}
	r.Close()
	before, _ := g.lib.List()
	creates := g.srv.Creates()

	if _, err := r.Submit(ctx, Spec{Provider: "rodin", Prompt: "another cube"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Submit after Close: %v", err)
	}
	if _, err := r.Retry(ctx, j.ID); !errors.Is(err, ErrClosed) {
		t.Errorf("Retry after Close: %v", err)
	}
	if err := r.Start(draft.ID); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	if _, err := r.Resume(); !errors.Is(err, ErrClosed) {
		t.Errorf("Resume after Close: %v", err)
	}
	if _, err := r.Wait(ctx, draft.ID); !errors.Is(err, ErrClosed) {
		t.Errorf("Wait after Close: %v", err)
	}
	if a := r.Active(); len(a) != 0 {
		t.Fatalf("jobs driven after Close: %v", a)
	}
	time.Sleep(50 * time.Millisecond) // a driver started by mistake would send its create by now
	after, _ := g.lib.List()
	if len(after) != len(before) || g.srv.Creates() != creates {
		t.Fatalf("after Close: %d jobs (was %d), %d creates (was %d)", len(after), len(before), g.srv.Creates(), creates)
	}
	if got, _ := g.lib.Get(draft.ID); got.State != library.StateDraft {
		t.Fatalf("the draft is %s after Close", got.State)
	}
}

// Submits racing Close: each either is refused with nothing written, or
// returns a job whose record is on disk; Close returns with nothing being
// driven (a draft written by an admitted Submit is started and stopped
// with the others, and Resume later picks it up).
func TestSubmitRacingClose(t *testing.T) {
	g := newRig(t)
	ctx := waitCtx(t)
	r := g.runner(ctx)
	var wg sync.WaitGroup
	type result struct {
		j   library.Job
		err error
	}
	results := make(chan result, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := r.Submit(context.Background(), Spec{Provider: "rodin", Prompt: "a racing cube"})
			results <- result{j, err}
		}()
	}
	time.Sleep(time.Millisecond)
	r.Close()
	if a := r.Active(); len(a) != 0 {
		t.Fatalf("jobs driven after Close returned: %v", a)
	}
	wg.Wait()
	close(results)
	all, _ := g.lib.List()
	made := 0
	for res := range results {
		switch {
		case errors.Is(res.err, ErrClosed):
			if res.j.ID != "" {
				t.Fatalf("a refused Submit returned job %s", res.j.ID)
			}
		case res.err != nil:
			t.Fatalf("Submit: %v", res.err)
		default:
			made++
			if _, err := g.lib.Get(res.j.ID); err != nil {
				t.Fatalf("job %s returned but not recorded: %v", res.j.ID, err)
			}
		}
	}
	if len(all) != made {
		t.Fatalf("%d jobs in the library, %d Submits succeeded", len(all), made)
	}
}
