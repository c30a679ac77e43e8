package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"meshdrop/core/jobs/jobstest"
	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/rodin"
	"meshdrop/core/provider/rodin/rodintest"
)

// limitFront sits in front of the fake Rodin API and enforces what a real
// provider publishes as "N requests per second" and "M tasks at once": at
// most rate creates in any one-second window and at most cap tasks
// unfinished; either breach is a 429 with Retry-After: 1. It records when
// each accepted create arrived.
type limitFront struct {
	next http.Handler
	rate float64
	cap  int

	mu       sync.Mutex
	window   []time.Time     // arrivals of creates let through in the last second
	active   map[string]bool // subscription keys of unfinished tasks
	peak     int
	accepted []time.Time
	rejected int
}

func newLimitFront(next http.Handler, rate float64, cap int) *limitFront {
	return &limitFront{next: next, rate: rate, cap: cap, active: map[string]bool{}}
}

// capture records a handler's answer.
type capture struct {
	http.ResponseWriter
	code int
	body bytes.Buffer
}

func (c *capture) WriteHeader(code int) { c.code = code; c.ResponseWriter.WriteHeader(code) }
func (c *capture) Write(b []byte) (int, error) {
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

func (f *limitFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2/rodin":
		f.mu.Lock()
		now := time.Now()
		for len(f.window) > 0 && now.Sub(f.window[0]) >= time.Second {
			f.window = f.window[1:]
		}
		if float64(len(f.window)) >= f.rate || len(f.active) >= f.cap {
			f.rejected++
			f.mu.Unlock()
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":"RATE_LIMITED","message":"Too many requests"}`)
			return
		}
		f.window = append(f.window, now)
		f.mu.Unlock()
		c := &capture{ResponseWriter: w, code: 200}
		f.next.ServeHTTP(c, r)
		var ans struct {
			Jobs struct {
				Sub string `json:"subscription_key"`
			} `json:"jobs"`
		}
		if c.code < 300 && json.Unmarshal(c.body.Bytes(), &ans) == nil && ans.Jobs.Sub != "" {
			f.mu.Lock()
			f.active[ans.Jobs.Sub] = true
			f.peak = max(f.peak, len(f.active))
			f.accepted = append(f.accepted, now)
			f.mu.Unlock()
		}
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2/status":
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var in struct {
			Sub string `json:"subscription_key"`
		}
		_ = json.Unmarshal(body, &in)
		c := &capture{ResponseWriter: w, code: 200}
		f.next.ServeHTTP(c, r)
		var ans struct {
			Jobs []struct {
				Status string `json:"status"`
			} `json:"jobs"`
		}
		if json.Unmarshal(c.body.Bytes(), &ans) == nil && len(ans.Jobs) > 0 {
			done := true
			for _, j := range ans.Jobs {
				done = done && (j.Status == "Done" || j.Status == "Failed")
			}
			if done {
				f.mu.Lock()
				delete(f.active, in.Sub)
				f.mu.Unlock()
			}
		}
	default:
		f.next.ServeHTTP(w, r)
	}
}

const submitWorkers = 8

// limitedBatch runs n jobs through a runner against a limitFront and returns
// the front (for its counts), the jobs' ends, and when the batch started.
func limitedBatch(tb testing.TB, n int, rate float64, cap int) (*limitFront, []library.Job, time.Time) {
	srv := rodintest.New(testSecret)
	tb.Cleanup(srv.Close)
	srv.JobsPerTask, srv.StepsPerJob = 1, 1
	front := newLimitFront(srv.API.Config.Handler, rate, cap)
	hs := httptest.NewServer(front)
	tb.Cleanup(hs.Close)
	a, err := rodin.New(rodin.Config{BaseURL: hs.URL + "/api", PollEvery: 10 * time.Millisecond, AllowFastPoll: true,
		HTTP: httpx.Config{Backoff: httpx.Backoff{Base: 5 * time.Millisecond, Max: 50 * time.Millisecond}}})
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	lib, err := library.Open(filepath.Join(dir, "library"), library.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { lib.Close() })
	ks := jobstest.NewKeys()
	ks.Add(keys.Key{ID: "k1", Name: "main", Provider: provider.Rodin}, testSecret)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	tb.Cleanup(cancel)
	r, err := New(ctx, Config{Store: lib, Keys: ks, Providers: provider.NewRegistry(a),
		Limits:    map[string]Limits{provider.Rodin: {MaxConcurrent: cap, RatePerSecond: rate}},
		RetryBase: 5 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(r.Close)
	// Rows are submitted from a few goroutines, as the batch command does:
	// each draft is a durable write, and one writer at a time would make
	// the disk, not the provider, the limit.
	start := time.Now()
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < submitWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += submitWorkers {
				j, err := r.Submit(ctx, Spec{Provider: provider.Rodin, Prompt: fmt.Sprintf("item %d", i)})
				if err != nil {
					errs <- err
					return
				}
				ids[i] = j.ID
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	ends := make([]library.Job, n)
	for i, id := range ids {
		if ends[i], err = r.Wait(ctx, id); err != nil {
			tb.Fatal(err)
		}
	}
	return front, ends, start
}

// Against a provider that enforces a create rate and a concurrency cap, a
// batch never breaks the cap and no job ends because of a 429.
func TestBatchWithinProviderLimits(t *testing.T) {
	front, ends, _ := limitedBatch(t, 100, 50, 6)
	for _, j := range ends {
		if j.State != library.StateDone {
			t.Fatalf("job %s ended %s: %+v", j.ID, j.State, j.Error)
		}
	}
	front.mu.Lock()
	defer front.mu.Unlock()
	if front.peak > 6 {
		t.Fatalf("%d tasks at the provider at once, cap 6", front.peak)
	}
	if len(front.accepted) != 100 {
		t.Fatalf("%d creates accepted for 100 jobs", len(front.accepted))
	}
	t.Logf("429s: %d", front.rejected)
}

// BenchmarkBatchRateLimited sends 1,000 jobs through a loopback provider
// that allows 20 creates/s (the order of what the services publish) and 32
// unfinished tasks, and reports the create throughput as a share of the
// allowed rate (the issue asks ≥ 90 %). Every job's record is written
// durably about eight times, so on a slow or busy disk a much higher rate
// measures the disk rather than the runner. The cap is where the rate, not
// the cap, is the limit: a job holds its slot from just before its create
// until its record says the task ended, and on a loaded 2-core machine
// those few durable writes take about a second while the loopback task
// itself ends at once (real tasks take minutes, so there the cap is what
// binds, as TestConcurrencyCap and TestBatchWithinProviderLimits check).
func BenchmarkBatchRateLimited(b *testing.B) {
	const n, rate, cap = 1000, 20.0, 32
	for i := 0; i < b.N; i++ {
		front, ends, start := limitedBatch(b, n, rate, cap)
		for _, j := range ends {
			if j.State != library.StateDone {
				b.Fatalf("job %s ended %s: %+v", j.ID, j.State, j.Error)
			}
		}
		front.mu.Lock()
		last := front.accepted[len(front.accepted)-1]
		rejected, peak := front.rejected, front.peak
		front.mu.Unlock()
		// The first second's burst is free at any rate; the share is over
		// the whole run, from the first submit to the last accepted create.
		got := float64(n) / last.Sub(start).Seconds()
		b.ReportMetric(got, "creates/s")
		b.ReportMetric(100*got/rate, "%-of-allowed")
		b.ReportMetric(float64(rejected), "429s")
		b.ReportMetric(float64(peak), "peak-tasks")
		b.Logf("%d jobs: %.1f creates/s of %.0f allowed (%.0f%%), %d answered 429, peak %d tasks at the provider (cap %d)", n, got, rate, 100*got/rate, rejected, peak, cap)
		if got < 0.9*rate {
			b.Errorf("throughput %.1f creates/s is under 90%% of the allowed %.0f", got, rate)
		}
	}
}
