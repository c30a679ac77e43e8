// Package jobstest helps test the job engine against the real library: a
// Recorder wraps a store, writes through to it, and remembers every state
// written per job, with hooks that inject faults (a full disk, a renderer
// that fails) at chosen moments.
package jobstest

import (
	"io"
	"sync"

	"meshdrop/core/library"
)

// Store is jobs.Store, repeated here so jobs' own tests can import this
// package without an import cycle.
type Store interface {
	Put(j library.Job) error
	Get(id string) (library.Job, error)
	List() ([]library.Job, error)
	AddInput(jobID, name, slot, mime string, data []byte) (library.Input, error)
	ReadInput(jobID string, in library.Input) ([]byte, error)
	SaveOutput(jobID, name, kind, format string, write func(w io.Writer) (int64, error)) (library.File, error)
	Thumbnail(jobID string) (library.File, error)
	CheckBudget(keyID string, estimate float64) error
}

// Recorder writes through to Store and records what was written.
type Recorder struct {
	Store

	mu      sync.Mutex
	puts    int
	history map[string][]library.State
	// BeforePut, when set, runs before each write; an error refuses the
	// write (a full disk).
	BeforePut func(j library.Job) error
	// AfterPut, when set, runs after each successful write.
	AfterPut func(j library.Job)
}

// Wrap makes a recorder over s.
func Wrap(s Store) *Recorder {
	return &Recorder{Store: s, history: map[string][]library.State{}}
}

// Put writes through and records the state.
func (r *Recorder) Put(j library.Job) error {
	r.mu.Lock()
	before, after := r.BeforePut, r.AfterPut
	r.mu.Unlock()
	if before != nil {
		if err := before(j); err != nil {
			return err
		}
	}
	if err := r.Store.Put(j); err != nil {
		return err
	}
	r.mu.Lock()
	r.puts++
	h := r.history[j.ID]
	if len(h) == 0 || h[len(h)-1] != j.State {
		r.history[j.ID] = append(h, j.State)
	}
	r.mu.Unlock()
	if after != nil {
		after(j)
	}
	return nil
}

// SetHooks replaces the hooks safely while a runner writes.
func (r *Recorder) SetHooks(before func(library.Job) error, after func(library.Job)) {
	r.mu.Lock()
	r.BeforePut, r.AfterPut = before, after
	r.mu.Unlock()
}

// Puts counts successful writes.
func (r *Recorder) Puts() int { r.mu.Lock(); defer r.mu.Unlock(); return r.puts }

// History lists the states written for a job through this recorder, in order.
func (r *Recorder) History(id string) []library.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]library.State(nil), r.history[id]...)
}
