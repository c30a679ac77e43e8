package jobs

import (
	"context"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

// Permits come out at the paced rate (never more than the paced share in
// any trailing second, never two closer than half an interval), and a pause
// (a 429's Retry-After) holds back every permit that would fall inside it.
// The times checked are the gate's own record of when it let each permit
// through (b.sent, copied under its lock after each gate), not when a
// goroutine got round to noting the time afterwards: on a loaded machine
// those notes drift and bunch, and permits that woke late may rightly
// catch up at half an interval, so a fixed 100 ms window can hold more
// than a tenth of the rate.
func TestBucketPacesAndPauses(t *testing.T) {
	const rate, n = 200.0, 300
	b := newBucket(rate)
	perSecond := max(1, int(float64(time.Second)/float64(b.interval)))
	ctx := context.Background()
	var mu sync.Mutex
	granted := map[time.Time]bool{}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.wait(ctx); err != nil {
				t.Error(err)
				return
			}
			b.gate()
			b.gateMu.Lock()
			sent := slices.Clone(b.sent)
			b.gateMu.Unlock()
			mu.Lock()
			for _, at := range sent {
				granted[at] = true
			}
			mu.Unlock()
		}()
	}
	time.Sleep(100 * time.Millisecond)
	pauseTo := time.Now().Add(200 * time.Millisecond)
	b.pause(pauseTo)
	// A gate that looked before the pause took its time before this moment.
	pausedAt := time.Now()
	wg.Wait()
	times := make([]time.Time, 0, len(granted))
	for at := range granted {
		times = append(times, at)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	for _, at := range times {
		if at.After(pausedAt) && at.Before(pauseTo) {
			t.Fatalf("a permit went out %s into a %s pause", at.Sub(pausedAt), pauseTo.Sub(pausedAt))
		}
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < b.interval/2 {
			t.Fatalf("permits %d and %d went out %s apart; the gate keeps at least %s", i-1, i, gap, b.interval/2)
		}
	}
	for i := range times {
		end := times[i].Add(time.Second)
		j := sort.Search(len(times), func(k int) bool { return !times[k].Before(end) })
		if j-i > perSecond {
			t.Fatalf("%d permits in the second from permit %d; the paced rate allows %d", j-i, i, perSecond)
		}
	}
}

// BenchmarkBucketRate measures the pacing alone: 400 waiters at 200/s.
func BenchmarkBucketRate(b *testing.B) {
	for i := 0; i < b.N; i++ {
		bk := newBucket(200)
		var wg sync.WaitGroup
		start := time.Now()
		for k := 0; k < 400; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				bk.wait(context.Background())
				bk.gate()
			}()
		}
		wg.Wait()
		got := 400 / time.Since(start).Seconds()
		b.ReportMetric(got, "permits/s")
		b.ReportMetric(100*got/200, "%-of-rate")
	}
}
