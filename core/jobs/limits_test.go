package jobs

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Permits come out evenly at the paced share of the rate, and a pause
// (a 429's Retry-After) holds back every permit that falls inside it.
func TestBucketPacesAndPauses(t *testing.T) {
	const rate = 200.0
	b := newBucket(rate)
	ctx := context.Background()
	var mu sync.Mutex
	var got []time.Time
	var wg sync.WaitGroup
	start := time.Now()
	pauseFrom, pauseTo := start.Add(100*time.Millisecond), start.Add(300*time.Millisecond)
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
	inPause := 0
	perWindow := map[int]int{}
	for _, at := range got {
		// A little slack for the goroutine that was already past the gate.
		if at.After(pauseFrom.Add(10*time.Millisecond)) && at.Before(pauseTo) {
			inPause++
		}
		perWindow[int(at.Sub(start)/(100*time.Millisecond))]++
	}
	if inPause > 0 {
		t.Fatalf("%d permits went out during the pause", inPause)
	}
	for w, n := range perWindow {
		if n > int(rate*paceShare/10)+1 {
			t.Fatalf("%d permits in 100 ms window %d; the paced rate allows %d", n, w, int(rate*paceShare/10)+1)
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
