package render

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The renderer splits each stage (vertices, triangle setup, bands of rows)
// over all cores. Goroutines live for the whole process so that a preview
// frame starts no goroutine and allocates nothing: a stage is a batch of n
// numbered items that the calling goroutine and the helpers take turns on.

// batch is one parallel stage. It is reused across frames by its owner.
type batch struct {
	fn   func(item int)
	n    int32
	next atomic.Int32
	wg   sync.WaitGroup
}

var (
	poolOnce sync.Once
	poolWork chan *batch
	poolSize int
)

func startPool() {
	poolSize = runtime.GOMAXPROCS(0)
	poolWork = make(chan *batch, 64)
	for i := 1; i < poolSize; i++ {
		go func() {
			for b := range poolWork {
				b.drain()
				b.wg.Done()
			}
		}()
	}
}

// workers is how many goroutines run a stage (all cores).
func workers() int {
	poolOnce.Do(startPool)
	return poolSize
}

func (b *batch) drain() {
	for {
		i := b.next.Add(1) - 1
		if i >= b.n {
			return
		}
		b.fn(int(i))
	}
}

// run calls fn(0..n-1) spread over all cores and returns when all are done.
// fn must be a value made once (a stored method value), not a fresh closure,
// for the call to stay free of allocations.
func (b *batch) run(n int, fn func(item int)) {
	w := workers()
	if n <= 0 {
		return
	}
	b.fn, b.n = fn, int32(n)
	b.next.Store(0)
	helpers := min(w-1, n-1)
	b.wg.Add(helpers)
	for i := 0; i < helpers; i++ {
		poolWork <- b
	}
	b.drain()
	b.wg.Wait()
	b.fn = nil
}
