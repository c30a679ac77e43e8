package jobs

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"
)

// Permits never exceed the paced share of the rate in any one-second
// window, and a pause (a 429's Retry-After) holds back every permit that
// falls inside it.
func TestBucketPacesAndPauses(t *testing.T) {
	var rate = 50.0
	b := newBucket(rate)
	ctx := context.Background()
	var mu sync.Mutex
	var got []time.Time
	var wg sync.WaitGroup
	start := time.Now()
	pauseFrom, pauseTo := start.Add(500*time.Millisecond), start.Add(900*time.Millisecond)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.wait(ctx); err != nil {
				t.Error(err)
				return
			}
			b.gate()
			mu.Lock()
			got = append(got, time.Now())
			mu.Unlock()
		}()
	}
	time.Sleep(time.Until(pauseFrom))
	b.pause(pauseTo)
	wg.Wait()
	sort.Slice(got, func(i, j int) bool { return got[i].Before(got[j]) })
	// Slack for a goroutine let through just before the pause and
	// scheduled late on a busy machine.
	for _, at := range got {
		if at.After(pauseFrom.Add(100*time.Millisecond)) && at.Before(pauseTo) {
			t.Fatalf("a permit went out %v into the pause", at.Sub(pauseFrom))
		}
	}
	limit := int(float64(rate)*paceShare) + 1
	for i := range got {
		n := 0
		for j := i; j < len(got) && got[j].Sub(got[i]) < time.Second; j++ {
			n++
		}
		if n > limit {
			t.Fatalf("%d permits within one second; the paced rate allows %d", n, limit)
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
