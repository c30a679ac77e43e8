package jobs

import (
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"meshdrop/core/library"
)

// DefaultPublishEvery is how often a subscriber hears about a job at most.
const DefaultPublishEvery = 100 * time.Millisecond

// subscriber receives job updates on its own goroutine. Updates for the same
// job coalesce while it is busy, so a slow subscriber sees the latest state
// of every job, later, and never slows the runner.
type subscriber struct {
	fn      func(library.Job)
	every   time.Duration
	mu      sync.Mutex
	pending map[string]library.Job
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// Subscribe calls fn with job updates (at most one call per job per publish
// interval, newest state only) until the returned function is called. fn
// runs on its own goroutine and may be slow; the runner never waits for it.
func (r *Runner) Subscribe(fn func(library.Job)) (unsubscribe func()) {
	s := &subscriber{
		fn: fn, every: r.publishEvery,
		pending: map[string]library.Job{},
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	r.subMu.Lock()
	r.subs[s] = struct{}{}
	r.subMu.Unlock()
	go s.loop()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.subMu.Lock()
			delete(r.subs, s)
			r.subMu.Unlock()
			close(s.stop)
			<-s.done
		})
	}
}

func (s *subscriber) offer(j library.Job) {
	s.mu.Lock()
	s.pending[j.ID] = j
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) loop() {
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			s.flush()
			return
		case <-s.wake:
		}
		s.flush()
		// Throttle: whatever arrives meanwhile coalesces into the next flush.
		t := time.NewTimer(s.every)
		select {
		case <-s.stop:
			t.Stop()
			s.flush()
			return
		case <-t.C:
		}
	}
}

func (s *subscriber) flush() {
	s.mu.Lock()
	batch := s.pending
	s.pending = map[string]library.Job{}
	s.mu.Unlock()
	ids := make([]string, 0, len(batch))
	for id := range batch {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s.fn(batch[id])
	}
}

// publish offers a job's state to every subscriber without blocking.
func (r *Runner) publish(j library.Job) {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	for s := range r.subs {
		s.offer(j)
	}
}

func jitter() float64 { return rand.Float64() }
