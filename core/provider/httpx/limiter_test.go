package httpx

import (
	"testing"
	"time"
)

// The bucket on a clock the test moves: a full second's burst goes at once,
// then one request per 1/rate, and idle time refills no more than the burst.
func TestLimiterBurstAndRate(t *testing.T) {
	l := newLimiter(20)
	t0 := l.last
	for i := range 20 {
		if d := l.reserve(t0); d != 0 {
			t.Fatalf("request %d of the burst waits %s", i+1, d)
		}
	}
	// Over the burst at the same instant: each waits one more 50 ms step.
	for i := 1; i <= 10; i++ {
		want := time.Duration(i) * 50 * time.Millisecond
		if d := l.reserve(t0); d < want-time.Microsecond || d > want+time.Microsecond {
			t.Fatalf("request %d over the burst waits %s, want %s", i, d, want)
		}
	}
	// The 10 reserved ahead are paid off by 0.5 s; a long idle refills the
	// bucket to the burst, never more.
	t1 := t0.Add(time.Hour)
	for i := range 20 {
		if d := l.reserve(t1); d != 0 {
			t.Fatalf("after an idle hour, request %d waits %s", i+1, d)
		}
	}
	if d := l.reserve(t1); d < 49*time.Millisecond || d > 51*time.Millisecond {
		t.Fatalf("request 21 after an idle hour waits %s, want 50ms (the burst is capped)", d)
	}
	if newLimiter(0) != nil {
		t.Fatal("rate 0 must mean no limiter")
	}
	if l := newLimiter(0.5); l.burst != 1 {
		t.Fatalf("a rate under 1/s has burst %v, want 1", l.burst)
	}
}
