package httpx

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"meshdrop/core/provider"
)

// Backoff is the retry schedule for safe requests: Base doubling up to Max,
// with jitter, for at most Attempts tries. Zero fields take the defaults.
type Backoff struct {
	Base     time.Duration // first wait; default 1 s (tests inject a few ms)
	Max      time.Duration // cap on one wait; default 30 s
	Attempts int           // tries in all, the first included; default 5
	// MaxRetryAfter is the longest Retry-After waited in place; a longer one
	// ends the retries and the typed error carries RetryAt. Default 60 s.
	MaxRetryAfter time.Duration
}

// Defaults for Backoff.
const (
	DefaultBackoffBase   = time.Second
	DefaultBackoffMax    = 30 * time.Second
	DefaultAttempts      = 5
	DefaultMaxRetryAfter = 60 * time.Second
)

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	if b.Max < b.Base {
		b.Max = b.Base
	}
	if b.Attempts <= 0 {
		b.Attempts = DefaultAttempts
	}
	if b.MaxRetryAfter <= 0 {
		b.MaxRetryAfter = DefaultMaxRetryAfter
	}
	return b
}

// Delay is the wait before retry n (0 for the first retry): Base·2ⁿ capped
// at Max, with "equal jitter" (between 75 % and 125 %, still capped) so
// clients that failed together do not return together.
func (b Backoff) Delay(n int) time.Duration {
	b = b.withDefaults()
	d := b.Base
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	j := d*3/4 + time.Duration(rand.Int64N(int64(d/2)+1))
	if j > b.Max {
		j = b.Max
	}
	return j
}

// Retryable reports whether err is worth another try and, when the provider
// said so, from when: rate limits and unavailability are; everything else
// (bad key, invalid input, queue full, bad response, ctx) is not.
func Retryable(err error) (bool, time.Time) {
	var pe *provider.Error
	if !errors.As(err, &pe) {
		return false, time.Time{}
	}
	switch pe.Kind {
	case provider.ErrRateLimited, provider.ErrUnavailable:
		return true, pe.RetryAt
	}
	return false, time.Time{}
}

// Retry calls fn until it succeeds, returns a non-retryable error, the
// attempts run out or ctx ends. Each wait is the larger of the backoff and
// the error's RetryAt; a RetryAt further than MaxRetryAfter stops at once.
func Retry(ctx context.Context, b Backoff, fn func(attempt int) error) error {
	b = b.withDefaults()
	var err error
	for n := 0; n < b.Attempts; n++ {
		if err = fn(n); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		ok, at := Retryable(err)
		if !ok || n == b.Attempts-1 {
			return err
		}
		wait := b.Delay(n)
		if !at.IsZero() {
			ra := time.Until(at)
			if ra > b.MaxRetryAfter {
				return err
			}
			if ra > wait {
				wait = ra
			}
		}
		if serr := Sleep(ctx, wait); serr != nil {
			return err
		}
	}
	return err
}

// Sleep waits d or until ctx ends (returning ctx.Err()).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > 86400 {
			s = 86400
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
