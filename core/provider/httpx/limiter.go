package httpx

import (
	"context"
	"sync"
	"time"
)

// limiter spaces requests to at most rate per second (a token bucket with a
// burst of one second's worth). Providers count requests per account, so one
// limiter per client keeps Meshdrop inside the documented rate.
type limiter struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return nil
	}
	b := rate
	if b < 1 {
		b = 1
	}
	return &limiter{rate: rate, burst: b, tokens: b, last: time.Now()}
}

func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	return Sleep(ctx, l.reserve(time.Now()))
}

// reserve takes a token at now and returns how long to wait before using it
// (split from wait so the bucket can be tested without a clock).
func (l *limiter) reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens += now.Sub(l.last).Seconds() * l.rate
	if l.tokens > l.burst {
		l.tokens = l.burst
	}
	l.last = now
	l.tokens--
	if l.tokens < 0 {
		return time.Duration(-l.tokens / l.rate * float64(time.Second))
	}
	return 0
}
