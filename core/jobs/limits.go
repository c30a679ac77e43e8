package jobs

import (
	"container/list"
	"context"
	"math"
	"sync"
	"time"

	"meshdrop/core/provider"
	"meshdrop/core/settings"
)

// Limits are one provider's limits as the runner honours them.
type Limits struct {
	// MaxConcurrent caps the tasks this process has at the provider at once
	// (from submission until the task ends); 0 means no cap.
	MaxConcurrent int
	// RatePerSecond caps create requests per second; 0 means no cap. Polls
	// and downloads are paced by the adapters themselves.
	RatePerSecond float64
}

// LimitsFor returns a provider's limits: its capabilities' defaults, with
// the user's settings overriding them where set.
func LimitsFor(caps provider.Capabilities, s settings.Provider) Limits {
	l := Limits{MaxConcurrent: caps.MaxConcurrent, RatePerSecond: caps.RatePerSecond}
	if s.MaxConcurrent > 0 {
		l.MaxConcurrent = s.MaxConcurrent
	}
	if s.RatePerSecond > 0 {
		l.RatePerSecond = s.RatePerSecond
	}
	return l
}

// bucket is a token bucket handing out create permits at a steady rate.
// Callers reserve a permit and sleep until it is due, so waiters are served
// in order without waking each other. A 429 pauses the whole bucket: the
// provider's limit is per account, not per job.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // permits per second; <= 0: unlimited
	burst  float64
	tokens float64
	last   time.Time // tokens were counted at last; in the future while paused
}

func newBucket(rate float64) *bucket {
	// A small burst lets a late waiter catch up without exceeding what a
	// provider's own bucket (usually a second's worth) accepts.
	burst := math.Max(1, math.Floor(rate/20))
	return &bucket{rate: rate, burst: burst, tokens: burst, last: time.Now()}
}

// wait blocks until a permit is due or ctx ends.
func (b *bucket) wait(ctx context.Context) error {
	if b == nil || b.rate <= 0 {
		return ctx.Err()
	}
	for {
		b.mu.Lock()
		now := time.Now()
		if now.After(b.last) {
			b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
			b.last = now
		}
		b.tokens--
		d := b.last.Sub(now)
		if b.tokens < 0 {
			d += time.Duration(-b.tokens / b.rate * float64(time.Second))
		}
		paused := b.last
		b.mu.Unlock()
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			b.mu.Lock()
			b.tokens++ // give the unused permit back
			b.mu.Unlock()
			return err
		}
		b.mu.Lock()
		repaused := b.last.After(paused) && b.last.After(time.Now())
		b.mu.Unlock()
		if !repaused {
			return nil
		}
		// The provider said "slow down" while we slept: queue again behind the pause.
	}
}

// pause stops handing out permits until t (a provider's Retry-After).
func (b *bucket) pause(t time.Time) {
	if b == nil || b.rate <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.After(b.last) {
		b.last = t
		b.tokens = 0
	}
}

// slots is a FIFO counting semaphore for a provider's concurrency cap. A
// release hands the slot straight to the first waiter, so a thousand waiting
// jobs cost one wake-up per release.
type slots struct {
	mu       sync.Mutex
	cap      int // <= 0: unlimited
	n        int
	waiters  list.List // of chan struct{}
	released chan struct{}
}

func newSlots(n int) *slots { return &slots{cap: n, released: make(chan struct{})} }

func (s *slots) acquire(ctx context.Context) error {
	s.mu.Lock()
	if s.cap <= 0 || (s.n < s.cap && s.waiters.Len() == 0) {
		s.n++
		s.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	el := s.waiters.PushBack(ch)
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		select {
		case <-ch: // handed over just now: pass it on
			s.mu.Unlock()
			s.release()
		default:
			s.waiters.Remove(el)
			s.mu.Unlock()
		}
		return ctx.Err()
	}
}

// force takes a slot without waiting: a resumed task is already at the provider.
func (s *slots) force() {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
}

func (s *slots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n--
	for s.waiters.Len() > 0 && (s.cap <= 0 || s.n < s.cap) {
		ch := s.waiters.Remove(s.waiters.Front()).(chan struct{})
		s.n++
		close(ch)
	}
	close(s.released)
	s.released = make(chan struct{})
}

// changed is closed at the next release (a task of this provider ended).
func (s *slots) changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.released
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff is the retry delay for attempt n (0-based): 1 s doubling, capped
// at 30 s, with up to 25% jitter, as providers.md asks for polls and downloads.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 0; i < n && d < 30*time.Second; i++ {
		d *= 2
	}
	d = min(d, 30*time.Second)
	return d - time.Duration(jitter()*float64(d)/4)
}
