package jobs

import (
	"container/list"
	"context"
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

// bucket hands out create permits one at a time, evenly spaced. Callers
// reserve the next free moment and sleep until it, so waiters are served in
// order without waking each other. A 429 pauses the whole bucket (the
// provider's limit is per account, not per job): reservations that fall in
// the pause are taken again after it, never honoured twice.
type bucket struct {
	mu          sync.Mutex
	interval    time.Duration // between permits; 0: unlimited (setRate changes it)
	next        time.Time     // the next free moment
	pausedUntil time.Time

	gateMu sync.Mutex  // serialises the last step before sending
	sent   []time.Time // sends in the trailing second
}

// paceShare is the share of a provider's create rate the runner uses. A
// request leaves on time but arrives late or early by whatever the disk
// write before it and the network add; pacing a little under the limit,
// one permit at a time, lets the provider's own bucket keep enough slack to
// absorb that jitter. A 429 costs a whole Retry-After pause (usually a
// second), far more than the 5 % given up here.
const paceShare = 0.95

func newBucket(rate float64) *bucket { return &bucket{interval: intervalFor(rate)} }

// intervalFor is the spacing of permits at rate per second (0: unlimited).
func intervalFor(rate float64) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / (rate * paceShare))
}

// setRate changes the pace for permits not yet reserved (the Settings
// screen, without a restart). The next free moment moves to one new
// interval after the last permit handed out, so a faster rate takes effect
// for the very next waiter; a waiter already sleeping until its reserved
// moment keeps it (it was due by the old rate, which the provider allowed).
func (b *bucket) setRate(rate float64) {
	iv := intervalFor(rate)
	b.mu.Lock()
	defer b.mu.Unlock()
	if iv == b.interval {
		return
	}
	if b.interval > 0 && !b.next.IsZero() {
		b.next = b.next.Add(iv - b.interval) // last permit + the new interval
	}
	b.interval = iv
}

// wait blocks until a permit is due or ctx ends.
func (b *bucket) wait(ctx context.Context) error {
	if b == nil {
		return ctx.Err()
	}
	for {
		b.mu.Lock()
		if b.interval <= 0 {
			b.mu.Unlock()
			return ctx.Err()
		}
		now := time.Now()
		if b.next.Before(now) {
			b.next = now
		}
		if b.next.Before(b.pausedUntil) {
			b.next = b.pausedUntil
		}
		mine := b.next
		b.next = b.next.Add(b.interval)
		b.mu.Unlock()
		if err := sleep(ctx, time.Until(mine)); err != nil {
			return err
		}
		b.mu.Lock()
		paused := b.pausedUntil
		b.mu.Unlock()
		if !mine.Before(paused) {
			return nil
		}
		// The provider said "slow down" after this permit was reserved and
		// the pause covers it: reserve again, behind the pause.
	}
}

// gate is the last step before a create leaves, after its permit and the
// intent's write. The write takes a varying time, so requests permitted
// evenly would reach the provider bunched, and a job held up by a slow
// write would push every later one back for good. The gate lets at most
// the paced share of the rate through in any trailing second (what
// providers mean by "N requests per second"), no two closer than half an
// interval, and none during a pause; late jobs may so catch up.
func (b *bucket) gate() {
	if b == nil {
		return
	}
	b.gateMu.Lock()
	defer b.gateMu.Unlock()
	for {
		b.mu.Lock()
		interval := b.interval
		b.mu.Unlock()
		if interval <= 0 {
			return
		}
		perSecond := max(1, int(float64(time.Second)/float64(interval)))
		now := time.Now()
		for len(b.sent) > 0 && now.Sub(b.sent[0]) >= time.Second {
			b.sent = b.sent[1:]
		}
		at := now
		if len(b.sent) >= perSecond {
			at = b.sent[0].Add(time.Second)
		}
		if n := len(b.sent); n > 0 {
			if t := b.sent[n-1].Add(interval / 2); t.After(at) {
				at = t
			}
		}
		b.mu.Lock()
		if b.pausedUntil.After(at) {
			at = b.pausedUntil
		}
		b.mu.Unlock()
		if d := at.Sub(now); d > 0 {
			time.Sleep(d)
			continue
		}
		b.sent = append(b.sent, now)
		return
	}
}

// pause stops handing out permits until t (a provider's Retry-After).
func (b *bucket) pause(t time.Time) {
	if b == nil {
		return
	}
	b.mu.Lock()
	if b.interval > 0 && t.After(b.pausedUntil) {
		b.pausedUntil = t
	}
	b.mu.Unlock()
}

// slots is a FIFO counting semaphore for a provider's concurrency cap. A
// release hands the slot straight to the first waiter, so a thousand waiting
// jobs cost one wake-up per release.
type slots struct {
	mu      sync.Mutex
	cap     int // <= 0: unlimited
	n       int
	waiters list.List // of chan struct{}
}

func newSlots(n int) *slots { return &slots{cap: n} }

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

// setCap changes the cap (the Settings screen, without a restart). Jobs
// holding a slot keep it: a lower cap is reached as they end, never by
// stopping one. A higher cap hands the new slots to waiters at once.
func (s *slots) setCap(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cap = n
	s.wakeLocked()
}

// wakeLocked hands free slots to waiters, first come first served.
func (s *slots) wakeLocked() {
	for s.waiters.Len() > 0 && (s.cap <= 0 || s.n < s.cap) {
		ch := s.waiters.Remove(s.waiters.Front()).(chan struct{})
		s.n++
		close(ch)
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
	s.wakeLocked()
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
