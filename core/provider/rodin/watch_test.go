package rodin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/rodin/rodintest"
)

// newWatchAdapter is an adapter that makes one request per status read (no
// in-request retries), so a failed read reaches Watch itself, as it does in
// use once httpx's own retries run out (a longer outage, a long Retry-After).
func newWatchAdapter(t *testing.T, srv *rodintest.Server) *Rodin {
	t.Helper()
	r, err := New(Config{BaseURL: srv.BaseURL(), PollEvery: 10 * time.Millisecond, AllowFastPoll: true,
		HTTP: httpx.Config{Backoff: httpx.Backoff{Attempts: 1}, RequestTimeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// reports collects what Watch hands to fn; onFirst runs after the first one.
type reports struct {
	mu      sync.Mutex
	seen    []provider.Status
	onFirst func()
}

func (r *reports) fn(st provider.Status) {
	r.mu.Lock()
	r.seen = append(r.seen, st)
	first := len(r.seen) == 1
	r.mu.Unlock()
	if first && r.onFirst != nil {
		r.onFirst()
	}
}

type reading struct {
	State    provider.State
	Progress float64
}

func (r *reports) readings() []reading {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []reading
	for _, s := range r.seen {
		out = append(out, reading{s.State, s.Progress})
	}
	return out
}

// With two jobs of two reads each the server's task reads: running 0 %,
// running 50 %, running 50 % (second job generating), succeeded.
var twoJobsReported = []reading{
	{provider.StateRunning, 0}, {provider.StateRunning, 50}, {provider.StateSucceeded, 100},
}

func TestWatchWaitsOutRateLimitAndOutage(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	r := newWatchAdapter(t, srv)
	ctx := context.Background()
	ref, err := r.Create(ctx, cred(secret), provider.Request{Prompt: "a stone lion"})
	if err != nil {
		t.Fatal(err)
	}
	// After the first reading: rate limited (Retry-After 1 s), then down once.
	rep := &reports{onFirst: func() {
		srv.FailStatus(
			rodintest.Failure{Code: http.StatusTooManyRequests, RetryAfter: "1", Error: "TOO_MANY_REQUESTS", Message: "slow down"},
			rodintest.Failure{Code: http.StatusServiceUnavailable, Error: "UNAVAILABLE", Message: "maintenance"},
		)
	}}
	st, err := r.Watch(ctx, cred(secret), ref, rep.fn)
	if err != nil {
		t.Fatalf("the watch ended at a transient failure: %v", err)
	}
	if st.State != provider.StateSucceeded || len(st.Outputs) == 0 {
		t.Fatalf("final %+v", st)
	}
	if got := rep.readings(); !slices.Equal(got, twoJobsReported) {
		t.Fatalf("reported %v, want %v", got, twoJobsReported)
	}
	// 4 readings of the task and the 2 failed reads between them.
	times := srv.StatusTimes()
	if len(times) != 6 {
		t.Fatalf("status reads = %d, want 6", len(times))
	}
	// Read 2 was the 429: the next one waited for its Retry-After.
	if gap := times[2].Sub(times[1]); gap < 900*time.Millisecond {
		t.Fatalf("read again %v after a 429 with Retry-After: 1", gap)
	}
}

func TestWatchEndsAtOnceOnARevokedKey(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	r := newAdapter(t, srv) // in-request retries on: a 401 must not be retried either
	ctx := context.Background()
	ref, err := r.Create(ctx, cred(secret), provider.Request{Prompt: "a stone lion"})
	if err != nil {
		t.Fatal(err)
	}
	rep := &reports{onFirst: func() {
		srv.FailStatus(rodintest.Failure{Code: http.StatusUnauthorized, Error: "Not authenticated", Message: "Not authenticated"})
	}}
	st, err := r.Watch(ctx, cred(secret), ref, rep.fn)
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Kind != provider.ErrUnauthorized || pe.KeyName != "Studio" {
		t.Fatalf("err = %v, want the typed unauthorized error naming the key", err)
	}
	if st.State != provider.StateRunning || st.Progress != 0 {
		t.Fatalf("last status %+v, want the reading before the failure", st)
	}
	if n := srv.StatusReads(); n != 2 {
		t.Fatalf("status reads = %d, want 2 (one reading, one refusal, nothing after)", n)
	}
	if got := rep.readings(); len(got) != 1 {
		t.Fatalf("reported %v", got)
	}
}

func TestWatchReportsOnlyChanges(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	srv.StepsPerJob = 3 // each reading is repeated: 0 %, 0 %, 50 %, 50 %, 50 %, done
	r := newAdapter(t, srv)
	ctx := context.Background()
	ref, err := r.Create(ctx, cred(secret), provider.Request{Prompt: "a stone lion"})
	if err != nil {
		t.Fatal(err)
	}
	rep := &reports{}
	if _, err := r.Watch(ctx, cred(secret), ref, rep.fn); err != nil {
		t.Fatal(err)
	}
	if n := srv.StatusReads(); n != 6 {
		t.Fatalf("status reads = %d, want 6", n)
	}
	if got := rep.readings(); !slices.Equal(got, twoJobsReported) {
		t.Fatalf("reported %v, want only the changes %v", got, twoJobsReported)
	}
}

func TestWatchStopsWithTheContext(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	srv.StepsPerJob = 1 << 20 // never ends
	r := newAdapter(t, srv)
	ref, err := r.Create(context.Background(), cred(secret), provider.Request{Prompt: "a stone lion"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rep := &reports{onFirst: cancel}
	st, err := r.Watch(ctx, cred(secret), ref, rep.fn)
	if !errors.Is(err, context.Canceled) || st.State != provider.StateRunning {
		t.Fatalf("status %+v err %v", st, err)
	}
}

// The documented pace holds through Poll: a default adapter reads the status
// no sooner than MinPoll after the last reading (this test takes MinPoll).
func TestWatchKeepsTheDocumentedPace(t *testing.T) {
	srv := rodintest.New(secret)
	defer srv.Close()
	srv.StepsPerJob = 1 << 20 // never ends
	r, err := New(Config{BaseURL: srv.BaseURL(), PollEvery: time.Millisecond, HTTP: httpx.Config{RequestTimeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := r.Create(context.Background(), cred(secret), provider.Request{Prompt: "a stone lion"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for deadline := time.Now().Add(2 * time.Minute); srv.StatusReads() < 2 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	if _, err := r.Watch(ctx, cred(secret), ref, func(provider.Status) {}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	times := srv.StatusTimes()
	if len(times) != 2 {
		t.Fatalf("status reads = %d, want 2", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < MinPoll {
		t.Fatalf("read again after %v, faster than the documented %v", gap, MinPoll)
	}
}
