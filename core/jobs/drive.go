package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"meshdrop/core/library"
	"meshdrop/core/provider"
)

// Local error kinds stored in library.JobError.Kind next to provider.ErrKind.
const (
	KindCrashedSubmitting = "submission_unknown" // same words as provider.ErrSubmissionUnknown
	KindNoKey             = "no_key"
	KindBudget            = "over_budget"
	KindDownload          = "download_failed"
	KindStore             = "store_failed"
)

// errStop ends a job's drive without changing its record: the runner is
// closing, or another process finished the job.
var errStop = errors.New("stop driving")

// drive runs the job's state machine from where its record stands until the
// job finishes, the runner closes or something outside this process takes
// the job over. Every transition is written before the action it guards.
func (r *Runner) drive(ctx context.Context, rn *run) {
	p, err := r.providerFor(rn.current())
	if err != nil {
		r.fail(rn, "unknown_provider", err.Error())
		return
	}
	// A record that says "submitting" when we start was left by a process
	// that stopped mid-create: the request may have been sent and charged.
	// It is never sent again.
	if rn.current().State == library.StateSubmitting {
		if _, err := r.update(rn, func(j *library.Job) {
			j.State = library.StateUnknown
			j.Finished = time.Now().UTC()
			j.Error = &library.JobError{Kind: KindCrashedSubmitting, At: time.Now().UTC(),
				Message: fmt.Sprintf("Meshdrop stopped while sending the request to %s: it may have been accepted and charged. "+
					"It is not sent again; reconcile the job to look for it (meshdrop jobs reconcile %s).", p.DisplayName(), rn.id)}
		}); err != nil {
			r.log.Error("record unknown submission", "job", rn.id, "err", err)
			return
		}
		r.autoReconcile(ctx, rn, p)
		return
	}
	for ctx.Err() == nil {
		j := rn.current()
		// A task stays with the adapter that created it; a draft takes the
		// registry's current one (live.go).
		if cur, err := r.providerFor(j); err == nil {
			p = cur
		}
		var err error
		switch j.State {
		case library.StateDraft:
			err = r.submit(ctx, rn, p)
		case library.StateQueued, library.StateRunning:
			err = r.follow(ctx, rn, p)
		case library.StateDownloading:
			err = r.download(ctx, rn, p)
		default:
			return // finished, or a state this build does not drive
		}
		if errors.Is(err, errStop) || ctx.Err() != nil {
			return
		}
		if err != nil {
			// Most often the record could not be written (a full disk): the
			// job stays where its record says and resumes on the next start.
			r.log.Error("job", "job", rn.id, "state", j.State, "err", err)
			r.publishNote(rn, fmt.Sprintf("%v. The job was stopped where its record says (%s) and carries on when Meshdrop starts again (or 'meshdrop jobs wait %s').", err, rn.current().State, rn.id))
			return
		}
	}
}

// fail writes the job as failed with a typed error.
func (r *Runner) fail(rn *run, kind, msg string) {
	if _, err := r.update(rn, func(j *library.Job) {
		j.State = library.StateFailed
		j.Finished = time.Now().UTC()
		j.Error = &library.JobError{Kind: kind, Message: msg, At: time.Now().UTC()}
	}); err != nil {
		r.log.Error("record failure", "job", rn.id, "err", err)
	}
}

// failErr writes the job as failed with err's provider kind (or fallback).
func (r *Runner) failErr(rn *run, fallback string, err error) {
	kind := string(provider.KindOf(err))
	if kind == "" {
		kind = fallback
	}
	r.fail(rn, kind, err.Error())
}

func (r *Runner) cancelled(rn *run) error {
	_, err := r.update(rn, func(j *library.Job) {
		j.State = library.StateCancelled
		j.Finished = time.Now().UTC()
		j.CancelRequested = true
	})
	if err != nil {
		return err
	}
	return errStop
}

// credential fetches the job's key for one use. A job with no key ID uses
// no key (providers that need none).
func (r *Runner) credential(j library.Job) (provider.Credential, error) {
	if j.KeyID == "" {
		return provider.Credential{}, nil
	}
	if r.keys == nil {
		return provider.Credential{}, fmt.Errorf("the key '%s' (%s) is needed but no key vault is open", j.KeyName, j.KeyFP)
	}
	k, ok := r.keys.Get(j.KeyID)
	if !ok {
		return provider.Credential{}, fmt.Errorf("the key '%s' (%s) used by job %s is no longer in Keys; add it again, then run 'meshdrop jobs wait %s'", j.KeyName, j.KeyFP, j.ID, j.ID)
	}
	s, err := r.keys.Secret(j.KeyID)
	if err != nil {
		return provider.Credential{}, fmt.Errorf("cannot read the key '%s' (%s) from the keychain: %w", k.Name, k.Fingerprint, err)
	}
	return provider.Credential{KeyID: k.ID, Name: k.Name, Secret: s}, nil
}

// request rebuilds the provider request from the job's record and its
// stored inputs (the same bytes on every resume).
func (r *Runner) request(j library.Job) (provider.Request, error) {
	req := provider.Request{Mode: provider.Mode(j.Mode), Prompt: j.Prompt, Options: j.Options}
	for _, in := range j.Inputs {
		data, err := r.store.ReadInput(j.ID, in)
		if err != nil {
			return req, fmt.Errorf("cannot read input %s of job %s: %w", in.File, j.ID, err)
		}
		req.Images = append(req.Images, provider.Image{Name: path.Base(in.File), Slot: in.Slot, MIME: in.MIME, Data: data})
	}
	return req, nil
}

// submit sends the job's create: budget, a concurrency slot, a rate permit,
// the intent written, then the request, sent once.
func (r *Runner) submit(ctx context.Context, rn *run, p provider.Provider) error {
	j := rn.current()
	if rn.cancelAsked() {
		return r.cancelled(rn)
	}
	cred, err := r.credential(j)
	if err != nil {
		r.fail(rn, KindNoKey, err.Error())
		return errStop
	}
	req, err := r.request(j)
	if err != nil {
		r.fail(rn, KindStore, err.Error())
		return errStop
	}
	pl := r.pool(j.Provider)
	// The slot is given back only after the record says the job has left
	// the provider, so no reader ever sees more jobs there than the cap.
	defer r.releaseUnlessAtProvider(rn, pl)
	for attempt := 0; ; attempt++ {
		// The rate permit first, then the concurrency slot: a slot is not
		// held while the job waits its turn to be sent. Both waits end on a
		// cancel: a waiting draft can be cancelled.
		wctx, stopWait := r.cancelContext(ctx, rn)
		err := pl.bucket.wait(wctx)
		if err == nil && !rn.slot {
			if err = pl.slots.acquire(wctx); err == nil {
				rn.slot = true
			}
		}
		stopWait()
		if err != nil {
			if rn.cancelAsked() {
				return r.cancelled(rn)
			}
			return errStop
		}
		// The settings may have moved the provider (a new base URL or
		// region) while this draft waited: its create goes where they say
		// now, and the job keeps that adapter for the task's life.
		if cur, err := r.providers.Get(j.Provider); err == nil {
			p = cur
		}
		// Budgets are checked right before sending, against today's spend.
		estimate := r.estimate(p, req)
		if j.KeyID != "" {
			if err := r.store.CheckBudget(j.KeyID, estimate); err != nil {
				r.fail(rn, KindBudget, err.Error())
				return errStop
			}
		}
		stage := library.Stage{Name: stageName(p, 0), Submitted: time.Now().UTC()}
		if rn.cancelAsked() || r.cancelMarked(rn.id) {
			return r.cancelled(rn)
		}
		cancelledMeanwhile := false
		if _, err := r.update(rn, func(j *library.Job) {
			if j.CancelRequested {
				cancelledMeanwhile = true
				return
			}
			j.State = library.StateSubmitting
			j.Estimate = estimate
			j.Stages = append(j.Stages[:0:0], stage)
			j.Error = nil
		}); err != nil {
			return err // nothing was sent: the job stays a draft
		}
		if cancelledMeanwhile {
			return r.cancelled(rn)
		}
		// The create runs on a context shutting down does not cancel: an
		// interrupted create would turn an accepted, paid task into
		// "submission unknown".
		pl.bucket.gate()
		r.pin(rn.id, p)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CreateTimeout)
		r.inFlight.Add(1)
		ref, err := p.Create(cctx, cred, req)
		r.inFlight.Add(-1)
		cancel()
		if err == nil {
			_, uerr := r.update(rn, func(j *library.Job) {
				j.State = library.StateQueued
				s := &j.Stages[len(j.Stages)-1]
				s.Ref, s.Accepted, s.State = ref, time.Now().UTC(), provider.StateQueued
				if ref.Stage != "" {
					s.Name = ref.Stage
				}
			})
			if uerr != nil {
				// The task exists but its ID could not be written: keep it in
				// memory and follow it; the next write records it.
				r.log.Error("record accepted task", "job", rn.id, "task", ref.ID, "err", uerr)
				rn.mu.Lock()
				rn.job.State = library.StateQueued
				rn.job.Stages[len(rn.job.Stages)-1].Ref = ref
				rn.mu.Unlock()
			}
			return nil
		}
		switch kind := provider.KindOf(err); {
		case kind == provider.ErrSubmissionUnknown:
			if _, uerr := r.update(rn, func(j *library.Job) {
				j.State = library.StateUnknown
				j.Finished = time.Now().UTC()
				j.Error = &library.JobError{Kind: string(kind), Message: err.Error(), At: time.Now().UTC()}
			}); uerr != nil {
				return uerr
			}
			r.autoReconcile(ctx, rn, p)
			return errStop
		case kind == provider.ErrRateLimited || kind == provider.ErrQueueFull || kind == provider.ErrUnavailable && !errors.Is(err, context.DeadlineExceeded):
			// Declined, not accepted: back to draft and try again later. A
			// 429 pauses every create of this provider.
			at := retryAtOf(err)
			if at.IsZero() {
				at = time.Now().Add(backoff(r.cfg.RetryBase, min(attempt, 5)))
			}
			if kind == provider.ErrRateLimited {
				pl.bucket.pause(at)
			}
			if _, uerr := r.update(rn, func(j *library.Job) {
				j.State = library.StateDraft
				j.Stages = nil
				j.Error = &library.JobError{Kind: string(kind), Message: err.Error(), At: time.Now().UTC()}
			}); uerr != nil {
				return uerr
			}
			if kind != provider.ErrRateLimited {
				wctx, stopWait := r.cancelContext(ctx, rn)
				serr := sleep(wctx, time.Until(at))
				stopWait()
				if serr != nil {
					if rn.cancelAsked() {
						return r.cancelled(rn)
					}
					return errStop
				}
			}
			continue
		case ctx.Err() == nil && errors.Is(err, context.Canceled):
			// Not sent (httpx says so when the context ended first).
			_, _ = r.update(rn, func(j *library.Job) { j.State, j.Stages = library.StateDraft, nil })
			return errStop
		default:
			r.failErr(rn, string(provider.ErrInvalidInput), err)
			return errStop
		}
	}
}

// estimate asks the provider for a price when it publishes one.
func (r *Runner) estimate(p provider.Provider, req provider.Request) float64 {
	if e, ok := p.(Estimator); ok {
		return e.Estimate(req)
	}
	return 0
}

func stageName(p provider.Provider, i int) string {
	if st := p.Capabilities().Stages; i < len(st) {
		return st[i]
	}
	return "generate"
}

func retryAtOf(err error) time.Time {
	var pe *provider.Error
	if errors.As(err, &pe) {
		return pe.RetryAt
	}
	return time.Time{}
}

// cancelContext is ctx, also ended when a cancel is asked for the job.
func (r *Runner) cancelContext(ctx context.Context, rn *run) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-rn.cancel:
			cancel()
		case <-c.Done():
		}
	}()
	return c, cancel
}

// follow watches the job's current task until it ends, then starts the next
// stage or moves to downloading.
func (r *Runner) follow(ctx context.Context, rn *run, p provider.Provider) error {
	j := rn.current()
	if len(j.Stages) == 0 || j.Stages[len(j.Stages)-1].Ref.ID == "" {
		r.fail(rn, string(provider.ErrBadResponse), "the job's record has no provider task to follow")
		return errStop
	}
	pl := r.pool(j.Provider)
	if !rn.slot {
		pl.slots.force() // the task is already at the provider
		rn.slot = true
	}
	defer r.releaseUnlessAtProvider(rn, pl)
	cred, err := r.credential(j)
	if err != nil {
		// The task stays at the provider; the job resumes once the key is back.
		r.log.Error("job key", "job", rn.id, "err", err)
		r.publishNote(rn, err.Error())
		return errStop
	}
	ref := j.Stages[len(j.Stages)-1].Ref
	cancelTried := false
	for attempt := 0; ; {
		if rn.cancelAsked() && !cancelTried {
			cancelTried = true
			if _, err := r.update(rn, func(j *library.Job) { j.CancelRequested = true }); err != nil {
				return err
			}
			done, err := r.providerCancel(ctx, rn, p, cred, ref)
			if done || err != nil {
				return errStop
			}
		}
		wctx, stopWatch := r.cancelContext(ctx, rn)
		if cancelTried {
			// Already asked and refused: keep watching to the end.
			stopWatch()
			wctx, stopWatch = context.WithCancel(ctx)
		}
		go r.watchRecord(wctx, rn)
		st, err := p.Watch(wctx, cred, ref, func(st provider.Status) { r.progress(rn, st) })
		stopWatch()
		if ctx.Err() != nil {
			return errStop
		}
		if err != nil {
			if rn.cancelAsked() && !cancelTried {
				continue // the watch was stopped to cancel
			}
			kind := provider.KindOf(err)
			if kind == provider.ErrRateLimited || kind == provider.ErrUnavailable || kind == provider.ErrBadResponse || kind == "" {
				d := backoff(r.cfg.RetryBase, min(attempt, 5))
				if at := retryAtOf(err); time.Until(at) > d {
					d = time.Until(at)
				}
				attempt++
				if sleep(ctx, d) != nil {
					return errStop
				}
				continue
			}
			r.failErr(rn, string(provider.ErrTaskFailed), err)
			return errStop
		}
		attempt = 0
		if !st.State.Terminal() {
			continue
		}
		return r.ended(ctx, rn, p, cred, st)
	}
}

// ended records a task that ended and decides what comes next.
func (r *Runner) ended(ctx context.Context, rn *run, p provider.Provider, cred provider.Credential, st provider.Status) error {
	switch st.State {
	case provider.StateFailed:
		msg := st.Message
		kind := string(provider.ErrTaskFailed)
		if st.Err != nil {
			msg = st.Err.Error()
			if k := provider.KindOf(st.Err); k != "" {
				kind = string(k)
			}
		}
		_, err := r.update(rn, func(j *library.Job) {
			setStage(j, st)
			j.State = library.StateFailed
			j.Finished = time.Now().UTC()
			j.Error = &library.JobError{Kind: kind, Message: msg, At: time.Now().UTC()}
		})
		if err != nil {
			return err
		}
		return errStop
	case provider.StateCancelled:
		_, err := r.update(rn, func(j *library.Job) {
			setStage(j, st)
			j.State = library.StateCancelled
			j.Finished = time.Now().UTC()
		})
		if err != nil {
			return err
		}
		return errStop
	}
	// Succeeded. A further paid stage (Meshy's refine) is a create like the
	// first: its intent is written before it is sent.
	j := rn.current()
	if caps := p.Capabilities(); len(caps.Stages) > len(j.Stages) && !rn.cancelAsked() {
		req, err := r.request(j)
		if err != nil {
			r.fail(rn, KindStore, err.Error())
			return errStop
		}
		prev := j.Stages[len(j.Stages)-1].Ref
		if _, err := r.update(rn, func(j *library.Job) {
			setStage(j, st)
			j.State = library.StateSubmitting
			j.Stages = append(j.Stages, library.Stage{Name: caps.Stages[len(j.Stages)], Submitted: time.Now().UTC()})
		}); err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CreateTimeout)
		r.inFlight.Add(1)
		next, ok, err := p.NextStage(cctx, cred, req, prev)
		r.inFlight.Add(-1)
		cancel()
		switch {
		case err != nil && provider.KindOf(err) == provider.ErrSubmissionUnknown:
			_, uerr := r.update(rn, func(j *library.Job) {
				j.State = library.StateUnknown
				j.Finished = time.Now().UTC()
				j.Error = &library.JobError{Kind: string(provider.ErrSubmissionUnknown), Message: err.Error(), At: time.Now().UTC()}
			})
			if uerr != nil {
				return uerr
			}
			r.autoReconcile(ctx, rn, p)
			return errStop
		case err != nil:
			r.failErr(rn, string(provider.ErrTaskFailed), err)
			return errStop
		case ok:
			_, err := r.update(rn, func(j *library.Job) {
				j.State = library.StateQueued
				s := &j.Stages[len(j.Stages)-1]
				s.Ref, s.Accepted, s.State = next, time.Now().UTC(), provider.StateQueued
			})
			return err
		}
		// No further stage after all: drop the placeholder and download.
		_, err = r.update(rn, func(j *library.Job) { j.Stages = j.Stages[:len(j.Stages)-1] })
		if err != nil {
			return err
		}
	}
	_, err := r.update(rn, func(j *library.Job) {
		setStage(j, st)
		j.State = library.StateDownloading
		j.Progress = 100
		j.QueuePosition = 0
	})
	return err
}

// setStage copies a status into the job's current stage.
func setStage(j *library.Job, st provider.Status) {
	if len(j.Stages) == 0 {
		return
	}
	s := &j.Stages[len(j.Stages)-1]
	s.State = st.State
	if len(st.Outputs) > 0 {
		s.Remote = st.Outputs
	}
	if st.Credits > 0 {
		j.Credits = st.Credits
	}
	if !st.ExpiresAt.IsZero() {
		j.ExpiresAt = st.ExpiresAt
	}
}

// progress takes one status reading: state changes are written at once,
// progress alone at most every SaveProgressEvery; subscribers hear of all.
func (r *Runner) progress(rn *run, st provider.Status) {
	state := library.StateQueued
	if st.State == provider.StateRunning {
		state = library.StateRunning
	}
	if st.State.Terminal() {
		return // ended handles it
	}
	rn.mu.Lock()
	cur := rn.job
	due := time.Since(rn.saved) >= r.cfg.SaveProgressEvery
	rn.mu.Unlock()
	apply := func(j *library.Job) {
		j.State = state
		if st.Progress > j.Progress || state != cur.State {
			j.Progress = st.Progress
		}
		j.QueuePosition = st.QueuePosition
		if len(j.Stages) > 0 {
			j.Stages[len(j.Stages)-1].State = st.State
		}
		if st.Credits > 0 {
			j.Credits = st.Credits
		}
	}
	if state != cur.State || due {
		if _, err := r.update(rn, apply); err != nil {
			r.log.Warn("record progress", "job", rn.id, "err", err)
		}
		return
	}
	rn.mu.Lock()
	j := cloneJob(rn.job) // subscribers may still hold the previous one
	apply(&j)
	rn.job = j
	close(rn.changed)
	rn.changed = make(chan struct{})
	rn.mu.Unlock()
	r.publish(j)
}

// watchRecord re-reads the job's record while a task is watched, so a
// cancel asked by another process (the CLI while the window drives the job)
// is seen within a few seconds.
func (r *Runner) watchRecord(ctx context.Context, rn *run) {
	t := time.NewTicker(recordPollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if r.cancelMarked(rn.id) {
			rn.cancelOnce.Do(func() { close(rn.cancel) })
			return
		}
	}
}

// cancelMarked reports whether a cancel for the job was asked by any
// process: a marker file next to the job's lock. A marker, not a field
// written into the record, because the process driving the job writes the
// record and a second writer could lose its update in between.
func (r *Runner) cancelMarked(id string) bool {
	if r.cfg.LockDir == "" {
		return false
	}
	_, err := os.Stat(r.cancelMarker(id))
	return err == nil
}

func (r *Runner) cancelMarker(id string) string {
	return filepath.Join(r.cfg.LockDir, id+".cancel")
}

// recordPollEvery is how often a watched job's cancel marker is checked.
var recordPollEvery = 3 * time.Second

// providerCancel asks the provider to cancel. done=true: the job is
// cancelled. Where the provider has no cancel, the job keeps being watched.
func (r *Runner) providerCancel(ctx context.Context, rn *run, p provider.Provider, cred provider.Credential, ref provider.TaskRef) (done bool, err error) {
	cerr := p.Cancel(ctx, cred, ref)
	if cerr == nil {
		return true, r.stopErr(r.cancelled(rn))
	}
	note := CancelNote
	if provider.KindOf(cerr) != provider.ErrUnsupported {
		note = fmt.Sprintf("%s could not cancel the task (%v); the provider may still charge. Meshdrop keeps watching it.", p.DisplayName(), cerr)
	}
	rn.mu.Lock()
	rn.cancelNote = note
	rn.mu.Unlock()
	r.publishNote(rn, note)
	return false, nil
}

// releaseUnlessAtProvider gives the job's concurrency slot back once its
// record no longer has it at the provider.
func (r *Runner) releaseUnlessAtProvider(rn *run, pl *pool) {
	switch rn.current().State {
	case library.StateSubmitting, library.StateQueued, library.StateRunning:
		return
	}
	if rn.slot {
		pl.slots.release()
		rn.slot = false
	}
}

func (r *Runner) stopErr(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// CancelNote is what people are told when a provider has no cancel.
const CancelNote = "cancel requested — the provider may still charge; Meshdrop keeps watching the task until it ends"

// publishNote tells subscribers about a job with a note and no state change.
func (r *Runner) publishNote(rn *run, note string) {
	r.mu.Lock()
	r.notes[rn.id] = note
	r.mu.Unlock()
	rn.mu.Lock()
	rn.note = note
	close(rn.changed)
	rn.changed = make(chan struct{})
	j := rn.job
	rn.mu.Unlock()
	r.publish(j)
}

// download fetches every result file of the last stage into the library,
// with retries, reading the task again when links expire, then renders the
// thumbnail and finishes the job.
func (r *Runner) download(ctx context.Context, rn *run, p provider.Provider) error {
	j := rn.current()
	// A cancel does not stop a download: the task is over and paid for, and
	// the files are fetched so nothing paid for is lost.
	if len(j.Stages) == 0 {
		r.fail(rn, KindDownload, "the job's record has no provider task to download from")
		return errStop
	}
	cred, err := r.credential(j)
	if err != nil {
		r.publishNote(rn, err.Error())
		return errStop
	}
	stage := j.Stages[len(j.Stages)-1]
	remote := stage.Remote
	if len(remote) == 0 {
		st, err := p.Status(ctx, cred, stage.Ref)
		if err != nil {
			return r.retryLater(ctx, rn, err)
		}
		remote = st.Outputs
		if _, err := r.update(rn, func(j *library.Job) { setStage(j, st) }); err != nil {
			return err
		}
	}
	have := map[string]bool{}
	for _, f := range j.Outputs {
		have[f.File] = true
	}
	used := map[string]bool{}
	var got []library.File
	var fresh provider.Status // the last status read for fresh links
	for i := 0; i < len(remote); i++ {
		out := remote[i]
		name := fileName(out, i, used)
		if have[name] {
			continue
		}
		var saved library.File
		var lastErr error
		renewed := false
		for attempt := 0; attempt < r.cfg.DownloadAttempts; attempt++ {
			// Fresh links are used at once; other failures wait a backoff.
			if attempt > 0 && !renewed {
				if sleep(ctx, backoff(r.cfg.RetryBase, attempt-1)) != nil {
					return errStop
				}
			}
			renewed = false
			saved, lastErr = r.store.SaveOutput(rn.id, name, string(out.Kind), outFormat(out), func(w io.Writer) (int64, error) {
				return p.Fetch(ctx, cred, out, w)
			})
			if lastErr == nil {
				break
			}
			if ctx.Err() != nil {
				return errStop
			}
			r.log.Warn("download", "job", rn.id, "file", name, "attempt", attempt+1, "err", lastErr)
			if k := provider.KindOf(lastErr); k == provider.ErrLinkExpired || k == provider.ErrForbidden || k == provider.ErrNotFound {
				// Links expire: read the task again for fresh ones (recorded
				// with the files, below).
				if st, err := p.Status(ctx, cred, stage.Ref); err == nil && len(st.Outputs) > 0 {
					remote, fresh, renewed = st.Outputs, st, true
					if i < len(remote) {
						out = remote[i]
					}
				}
			}
		}
		if lastErr != nil {
			if out.Kind != provider.OutModel {
				// A preview or texture that cannot be fetched does not sink the model.
				r.log.Warn("download skipped", "job", rn.id, "file", name, "err", lastErr)
				continue
			}
			r.failErr(rn, KindDownload, fmt.Errorf("the model could not be downloaded after %d attempts: %w", r.cfg.DownloadAttempts, lastErr))
			return errStop
		}
		got = append(got, saved)
	}
	// One write for all the files: a crash before it costs a download again,
	// never a create.
	if len(got) > 0 {
		if _, err := r.update(rn, func(j *library.Job) {
			if len(fresh.Outputs) > 0 {
				setStage(j, fresh)
			}
			for _, f := range got {
				j.Outputs = appendFile(j.Outputs, f)
			}
		}); err != nil {
			return err
		}
	}
	// The thumbnail is ours: a failure is logged, the model is still good.
	thumb, terr := r.store.Thumbnail(rn.id)
	if terr != nil {
		r.log.Warn("thumbnail", "job", rn.id, "err", terr)
	}
	_, err = r.update(rn, func(j *library.Job) {
		if terr == nil {
			j.Outputs = appendFile(j.Outputs, thumb)
		}
		j.State = library.StateDone
		j.Progress = 100
		j.Finished = time.Now().UTC()
		j.Error = nil
	})
	if err != nil {
		return err
	}
	return errStop
}

// retryLater waits a backoff after a transient failure so the drive loop tries again.
func (r *Runner) retryLater(ctx context.Context, rn *run, err error) error {
	r.log.Warn("job", "job", rn.id, "err", err)
	switch provider.KindOf(err) {
	case provider.ErrRateLimited, provider.ErrUnavailable, provider.ErrBadResponse, "":
		if sleep(ctx, backoff(r.cfg.RetryBase, 3)) != nil {
			return errStop
		}
		return nil
	}
	r.failErr(rn, KindDownload, err)
	return errStop
}

func appendFile(fs []library.File, f library.File) []library.File {
	for i := range fs {
		if fs[i].File == f.File {
			fs[i] = f
			return fs
		}
	}
	return append(fs, f)
}

// outFormat is the stored format of an output: models arrive as GLB when
// the adapter converts, else in the format the user chose.
func outFormat(o provider.Output) string {
	if o.Format != "" {
		return strings.ToLower(o.Format)
	}
	return strings.TrimPrefix(strings.ToLower(path.Ext(o.Name)), ".")
}

// fileName picks a plain, unique file name for an output in the job folder.
// The model is "model.<format>" so every job's folder looks the same.
func fileName(o provider.Output, i int, used map[string]bool) string {
	var name string
	switch o.Kind {
	case provider.OutModel:
		name = "model." + nonEmpty(outFormat(o), "glb")
	case provider.OutPreview:
		name = "preview." + nonEmpty(outFormat(o), "png")
	default:
		name = cleanBase(o.Name)
		if name == "" {
			name = fmt.Sprintf("file%d.%s", i+1, nonEmpty(outFormat(o), "bin"))
		}
	}
	base, ext := strings.TrimSuffix(name, path.Ext(name)), path.Ext(name)
	for n := 2; used[name] || name == "job.json"; n++ {
		name = fmt.Sprintf("%s-%d%s", base, n, ext)
	}
	used[name] = true
	return name
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// cleanBase keeps letters, digits, dot, dash and underscore of a base name.
func cleanBase(n string) string {
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	var b strings.Builder
	for _, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteRune(c)
		default:
			b.WriteRune('_')
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if len(out) > 100 {
		out = out[len(out)-100:]
	}
	return out
}
