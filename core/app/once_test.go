package app

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"meshdrop/core/paths"
)

func testApp(t *testing.T) *App {
	t.Helper()
	root := t.TempDir()
	a, err := NewAt(context.Background(), paths.Dirs{Config: filepath.Join(root, "c"), Data: filepath.Join(root, "d"),
		Library: filepath.Join(root, "d", "library"), Logs: filepath.Join(root, "l")}, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// A getter that calls another getter (the runner opens the library) must
// not deadlock, and concurrent callers get one value made once.
func TestOnceNestedAndConcurrent(t *testing.T) {
	a := testApp(t)
	var made atomic.Int32
	inner := func() (any, error) {
		return a.Once("inner", func() (any, func(), error) {
			made.Add(1)
			time.Sleep(20 * time.Millisecond)
			return "lib", nil, nil
		})
	}
	done := make(chan any)
	go func() {
		v, _ := a.Once("outer", func() (any, func(), error) {
			l, err := inner()
			return "runner over " + l.(string), nil, err
		})
		done <- v
	}()
	select {
	case v := <-done:
		if v != "runner over lib" {
			t.Fatalf("got %v", v)
		}
	case <-time.After(time.Minute): // a deadlock, not a slow machine
		t.Fatal("a getter calling a getter deadlocked")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); inner() }()
	}
	wg.Wait()
	if made.Load() != 1 {
		t.Fatalf("made %d times", made.Load())
	}
	// A failure is not kept.
	calls := 0
	mk := func() (any, func(), error) {
		calls++
		if calls == 1 {
			return nil, nil, errors.New("first try fails")
		}
		return 2, nil, nil
	}
	if _, err := a.Once("flaky", mk); err == nil {
		t.Fatal("error lost")
	}
	if v, err := a.Once("flaky", mk); err != nil || v != 2 {
		t.Fatalf("retry: %v %v", v, err)
	}
	// Library (over Once) opens once even when asked from inside another getter.
	v, err := a.Once("runner-like", func() (any, func(), error) { l, err := a.Library(); return l, nil, err })
	if l, _ := a.Library(); err != nil || v != l {
		t.Fatalf("nested Library: %v", err)
	}
}
