package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"meshdrop/core/fsutil"
	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/settings"
)

// Defaults for Config's zero values.
const (
	DefaultRetryBase         = time.Second
	DefaultSaveProgressEvery = 2 * time.Second
	DefaultDownloadAttempts  = 8
	// CreateTimeout bounds one create request. Creates run on a context that
	// shutting down does not cancel: an interrupted create would turn an
	// accepted, paid task into "submission unknown".
	CreateTimeout = 2 * time.Minute
	// lockedPollEvery is how often a job driven by another process is re-read.
	lockedPollEvery = time.Second
)

// Config is what a Runner is built from.
type Config struct {
	Store     Store
	Keys      KeySource // may be nil when every provider used needs no key
	Providers *provider.Registry
	// Settings override each provider's default limits (settings.Provider
	// MaxConcurrent and RatePerSecond); Limits, when set for a provider, wins.
	Settings map[string]settings.Provider
	Limits   map[string]Limits
	// LockDir holds one lock file per job being driven, so two processes
	// never drive the same job. "" disables cross-process locking.
	LockDir string
	Log     *slog.Logger

	PublishEvery      time.Duration // subscribers hear at most this often per job
	RetryBase         time.Duration // first backoff delay for polls and downloads
	SaveProgressEvery time.Duration // progress-only changes are written this often
	DownloadAttempts  int           // per output, before the job fails
}

// Runner drives jobs. One per process (App.Runner).
type Runner struct {
	store        Store
	keys         KeySource
	providers    *provider.Registry
	cfg          Config
	log          *slog.Logger
	publishEvery time.Duration

	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	pools  map[string]*pool
	pins   map[string]provider.Provider // by job: the adapter its task was created with (live.go)
	active map[string]*run
	notes  map[string]string // by job: the latest note (kept after the run ends)
	closed bool              // Close was called: Start, Submit and Retry refuse
	// submits counts Submits admitted before Close: Close waits for them,
	// so a draft written then is started (and stopped) with the others
	// rather than written after Close into a library being moved.
	submits sync.WaitGroup

	subMu sync.Mutex
	subs  map[*subscriber]struct{}

	inFlight atomic.Int32 // creates sent and not yet answered
}

// InFlightCreates counts creates sent and not yet answered: Close waits for
// them (up to CreateTimeout) so an accepted task's ID is not lost.
func (r *Runner) InFlightCreates() int { return int(r.inFlight.Load()) }

// pool is one provider's share of the runner: its concurrency slots and its
// create-rate bucket.
type pool struct {
	limits Limits
	slots  *slots
	bucket *bucket
}

// run is one job being driven by this process.
type run struct {
	id   string
	done chan struct{}

	mu         sync.Mutex
	job        library.Job   // latest record
	changed    chan struct{} // closed and replaced on every change
	saved      time.Time     // last write of a progress-only change
	slot       bool          // holds a concurrency slot of its provider
	cancel     chan struct{} // closed when a cancel was asked
	cancelOnce sync.Once
	cancelNote string // set when the provider could not cancel
	note       string // the latest message for people (a missing key, a refused cancel)
}

// New makes a runner. Call Resume to pick up unfinished jobs and Close when done.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	if cfg.Store == nil || cfg.Providers == nil {
		return nil, errors.New("jobs: a runner needs a store and a provider registry")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PublishEvery <= 0 {
		cfg.PublishEvery = DefaultPublishEvery
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.SaveProgressEvery <= 0 {
		cfg.SaveProgressEvery = DefaultSaveProgressEvery
	}
	if cfg.DownloadAttempts <= 0 {
		cfg.DownloadAttempts = DefaultDownloadAttempts
	}
	rctx, stop := context.WithCancel(ctx)
	return &Runner{
		store: cfg.Store, keys: cfg.Keys, providers: cfg.Providers, cfg: cfg,
		log: cfg.Log, publishEvery: cfg.PublishEvery,
		ctx: rctx, stop: stop,
		pools:  map[string]*pool{},
		pins:   map[string]provider.Provider{},
		active: map[string]*run{},
		notes:  map[string]string{},
		subs:   map[*subscriber]struct{}{},
	}, nil
}

// Close stops driving jobs and waits for the drivers to return. Every job
// stays where its record says; Resume in a later process picks it up.
// Creates already sent are waited for (up to CreateTimeout) so their task
// IDs are recorded.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.submits.Wait()
	r.stop()
	r.wg.Wait()
}

// ErrClosed is returned by Start, Resume, Submit and Retry after Close: the
// library's own error, so one check serves both (a runner is closed when
// its library moves or Meshdrop quits).
var ErrClosed = library.ErrClosed

// beginSubmit admits one Submit, ended by the returned func, unless the
// runner is closed.
func (r *Runner) beginSubmit() (end func(), err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	r.submits.Add(1)
	return r.submits.Done, nil
}

// Store returns the store the runner writes to.
func (r *Runner) Store() Store { return r.store }

func (r *Runner) pool(providerID string) *pool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.pools[providerID]; ok {
		return p
	}
	l := r.limitsLocked(providerID)
	p := &pool{limits: l, slots: newSlots(l.MaxConcurrent), bucket: newBucket(l.RatePerSecond)}
	r.pools[providerID] = p
	return p
}

// Resume starts driving the given jobs, or every unfinished job when no ID is
// given, each from where its record says it stopped. It returns the IDs it
// started. Unknown IDs are an error (wrapping ErrNoJob).
func (r *Runner) Resume(ids ...string) ([]string, error) {
	if len(ids) == 0 {
		all, err := r.store.List()
		if err != nil {
			return nil, fmt.Errorf("read the job history: %w", err)
		}
		for _, j := range all {
			if !j.State.Finished() && j.Provider != "" && j.Provider != "local" {
				ids = append(ids, j.ID)
			}
		}
	}
	var started []string
	for _, id := range ids {
		j, err := r.store.Get(id)
		if err != nil {
			return started, fmt.Errorf("job %s: %w", id, err)
		}
		if j.State.Finished() {
			continue
		}
		if err := r.Start(id); err != nil {
			return started, fmt.Errorf("cannot resume job %s: %w", id, err)
		}
		started = append(started, id)
	}
	return started, nil
}

// Start drives a job in the background if this process is not already
// driving it. Safe to call many times. After Close it refuses (ErrClosed).
func (r *Runner) Start(id string) error {
	return r.start(id, false)
}

// start is Start; admitted (a Submit admitted before Close) starts the
// job even when Close is waiting for that Submit: Close stops it next.
func (r *Runner) start(id string, admitted bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed && !admitted {
		return ErrClosed
	}
	if _, ok := r.active[id]; ok {
		return nil
	}
	rn := &run{id: id, done: make(chan struct{}), changed: make(chan struct{}), cancel: make(chan struct{})}
	r.active[id] = rn
	delete(r.notes, id)
	r.wg.Add(1)
	go r.runJob(rn)
	return nil
}

// runJob takes the job's lock (waiting while another process drives it),
// drives it, and lets go.
func (r *Runner) runJob(rn *run) {
	defer r.wg.Done()
	defer func() {
		r.mu.Lock()
		delete(r.active, rn.id)
		r.mu.Unlock()
		close(rn.done)
	}()
	// One lock file per job, held while this process drives it, so that two
	// Meshdrop processes (the window and a CLI) never drive the same job.
	var lock *fsutil.Lock
	for r.cfg.LockDir != "" {
		l, busy, err := fsutil.TryLock(filepath.Join(r.cfg.LockDir, rn.id+".lock"), true)
		if err != nil {
			r.log.Warn("job lock", "job", rn.id, "err", err)
			break // drive anyway: a lock file we cannot make must not stop work
		}
		if !busy {
			lock = l
			break
		}
		// Another Meshdrop process drives it: follow its record until it
		// ends or the other process lets go.
		if j, err := r.store.Get(rn.id); err == nil {
			rn.set(j)
			r.publish(j)
			if j.State.Finished() {
				return
			}
		}
		if sleep(r.ctx, lockedPollEvery) != nil {
			return
		}
	}
	defer lock.Unlock()
	j, err := r.store.Get(rn.id)
	if err != nil {
		r.log.Error("job vanished", "job", rn.id, "err", err)
		return
	}
	rn.set(j)
	if j.CancelRequested || r.cancelMarked(rn.id) {
		rn.cancelOnce.Do(func() { close(rn.cancel) })
	}
	r.drive(r.ctx, rn)
	r.unpin(rn.current())
	if rn.current().State.Finished() && r.cfg.LockDir != "" {
		// Nothing drives a finished job again (a reconcile makes a new lock),
		// so its files go rather than pile up one per job ever run.
		os.Remove(r.cancelMarker(rn.id))
		if lock != nil {
			os.Remove(filepath.Join(r.cfg.LockDir, rn.id+".lock"))
		}
	}
	if rn.slot {
		r.pool(j.Provider).slots.release()
		rn.slot = false
	}
}

// Wait blocks until the job is finished, ctx ends or the runner closes, and
// returns its latest record. It starts driving the job if it is unfinished.
func (r *Runner) Wait(ctx context.Context, id string) (library.Job, error) {
	return r.WaitUntil(ctx, id, func(j library.Job) bool { return j.State.Finished() })
}

// ErrStopped: the job stopped being driven before the awaited state (the
// runner closed, or its record could not be written).
var ErrStopped = errors.New("the job is not being driven")

// Accepted reports whether a job's create has been answered (it has a task
// at the provider) or the job is finished: the moment "generate" without
// --wait may print the ID and leave.
func Accepted(j library.Job) bool {
	if j.State.Finished() {
		return true
	}
	return j.State != library.StateDraft && j.State != library.StateSubmitting
}

// WaitUntil blocks until ok(job) holds, the job stops being driven, ctx ends
// or the runner closes, and returns the latest record.
func (r *Runner) WaitUntil(ctx context.Context, id string, ok func(library.Job) bool) (library.Job, error) {
	j, err := r.store.Get(id)
	if err != nil {
		return j, err
	}
	if ok(j) {
		return j, nil
	}
	if err := r.Start(id); err != nil {
		return j, fmt.Errorf("cannot follow job %s: %w", id, err)
	}
	r.mu.Lock()
	rn := r.active[id]
	r.mu.Unlock()
	if rn == nil { // finished between Get and Start
		return r.store.Get(id)
	}
	for {
		rn.mu.Lock()
		cur, ch := rn.job, rn.changed
		rn.mu.Unlock()
		// "unknown" is provisional while the driver is still at work: it
		// looks the lost task up right away where the provider can.
		if cur.ID != "" && ok(cur) && cur.State != library.StateUnknown {
			return cur, nil
		}
		select {
		case <-ch:
		case <-rn.done:
			j, err := r.store.Get(id)
			if err == nil && !ok(j) {
				return j, fmt.Errorf("job %s stopped %s: %w", id, j.State, ErrStopped)
			}
			return j, err
		case <-ctx.Done():
			j, _ := r.store.Get(id)
			return j, ctx.Err()
		}
	}
}

// Note returns the latest message for people about a job this process
// drives and whose record cannot say it: a cancel the provider refused ("the
// provider may still charge"), a key that went missing. "" when none.
func (r *Runner) Note(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.notes[id]
}

// Active lists the IDs of the jobs this process is driving.
func (r *Runner) Active() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.active))
	for id := range r.active {
		out = append(out, id)
	}
	return out
}

// cloneJob copies a record deeply enough that changing the copy's slices
// and maps leaves the original as it was (a failed write changes nothing).
func cloneJob(j library.Job) library.Job {
	j.Inputs = slices.Clone(j.Inputs)
	j.Outputs = slices.Clone(j.Outputs)
	j.Tags = slices.Clone(j.Tags)
	j.Options = maps.Clone(j.Options)
	j.Stages = slices.Clone(j.Stages)
	for i := range j.Stages {
		j.Stages[i].Remote = slices.Clone(j.Stages[i].Remote)
		j.Stages[i].Ref.Extra = maps.Clone(j.Stages[i].Ref.Extra)
	}
	if j.Error != nil {
		e := *j.Error
		j.Error = &e
	}
	return j
}

func (rn *run) set(j library.Job) {
	rn.mu.Lock()
	rn.job = j
	close(rn.changed)
	rn.changed = make(chan struct{})
	rn.mu.Unlock()
}

func (rn *run) current() library.Job {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.job
}

func (rn *run) cancelAsked() bool {
	select {
	case <-rn.cancel:
		return true
	default:
		return rn.current().CancelRequested
	}
}

// update changes the job's record: it applies fn to a copy of the record
// this process holds, writes it, and only then returns, so the caller's next
// action is guarded by what is on disk. Only the driving process writes a
// running job's record (a cancel from elsewhere travels as a marker), and
// the library keeps people's newer edits (tags, rating) by UserRev, so the
// record need not be read back first.
func (r *Runner) update(rn *run, fn func(j *library.Job)) (library.Job, error) {
	rn.mu.Lock()
	j := cloneJob(rn.job)
	fn(&j)
	j.Updated = time.Now().UTC()
	if err := r.store.Put(j); err != nil {
		rn.mu.Unlock()
		return j, fmt.Errorf("could not write job %s's record; it stays %s: %w", j.ID, rn.job.State, err)
	}
	rn.job = j
	rn.saved = j.Updated
	close(rn.changed)
	rn.changed = make(chan struct{})
	rn.mu.Unlock()
	r.publish(j)
	return j, nil
}
