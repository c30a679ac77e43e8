package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
)

// Spec is a new job as people ask for it.
type Spec struct {
	// ID, when set, is the new job's ID (a batch records it before the job
	// exists, so a batch stopped and started again never makes a job twice);
	// it must be a valid, unused ID. "" makes a new one.
	ID       string
	Provider string
	// Key is the key's ID or name; "" picks the provider's only key (or
	// none for providers that need none).
	Key     string
	Prompt  string
	Images  []provider.Image
	Options map[string]string
	Tags    []string
	Name    string // display name; "" shows the prompt
	RetryOf string
}

// Errors people can act on.
var (
	ErrNeedKey     = errors.New("no key")
	ErrChooseKey   = errors.New("several keys")
	ErrBadRequest  = errors.New("bad request")
	ErrNotCancel   = errors.New("job already finished")
	ErrNotUnknown  = errors.New("job is not 'submission unknown'")
	ErrNoReconcile = errors.New("provider cannot look tasks up")
)

// chooseKey finds the key a spec asks for.
func (r *Runner) chooseKey(p provider.Provider, name string) (keys.Key, error) {
	needs := p.Capabilities().NeedsKey
	if r.keys == nil {
		if name != "" || needs {
			return keys.Key{}, fmt.Errorf("%s needs a key and the key vault is not open: %w", p.DisplayName(), ErrNeedKey)
		}
		return keys.Key{}, nil
	}
	if name != "" {
		if k, ok := r.keys.Get(name); ok && k.Provider == p.ID() {
			return k, nil
		}
		if k, ok := r.keys.Find(p.ID(), name); ok {
			return k, nil
		}
		return keys.Key{}, fmt.Errorf("no %s key named %q; see 'meshdrop keys list': %w", p.DisplayName(), name, ErrNeedKey)
	}
	ks := r.keys.ForProvider(p.ID())
	switch {
	case len(ks) == 1:
		return ks[0], nil
	case len(ks) == 0 && !needs:
		return keys.Key{}, nil
	case len(ks) == 0:
		return keys.Key{}, fmt.Errorf("%s needs an API key and none is stored; add one with 'meshdrop keys add %s': %w", p.DisplayName(), p.ID(), ErrNeedKey)
	}
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.Name
	}
	return keys.Key{}, fmt.Errorf("%s has %d keys (%s); choose one with --key: %w", p.DisplayName(), len(ks), strings.Join(names, ", "), ErrChooseKey)
}

// Submit checks a spec, writes it as a draft job (inputs copied into the
// library first) and starts driving it. The create is sent by the driver,
// within the provider's limits; Submit returns once the draft is on disk.
func (r *Runner) Submit(ctx context.Context, s Spec) (library.Job, error) {
	end, err := r.beginSubmit()
	if err != nil {
		return library.Job{}, fmt.Errorf("the job was not made: %w", err)
	}
	defer end()
	p, err := r.providers.Get(s.Provider)
	if err != nil {
		return library.Job{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	caps := p.Capabilities()
	mode := provider.ModeText
	switch {
	case len(s.Images) > 1:
		mode = provider.ModeMultiImage
	case len(s.Images) == 1:
		mode = provider.ModeImage
	}
	if len(s.Images) == 0 && strings.TrimSpace(s.Prompt) == "" {
		return library.Job{}, fmt.Errorf("give a prompt or at least one image: %w", ErrBadRequest)
	}
	if !hasMode(caps.Modes, mode) && !(mode == provider.ModeMultiImage && hasMode(caps.Modes, provider.ModeImage) && caps.MaxImages > 1) {
		return library.Job{}, fmt.Errorf("%s does not take %s requests: %w", p.DisplayName(), mode, ErrBadRequest)
	}
	if caps.MaxImages > 0 && len(s.Images) > caps.MaxImages {
		return library.Job{}, fmt.Errorf("%s takes at most %d images, got %d: %w", p.DisplayName(), caps.MaxImages, len(s.Images), ErrBadRequest)
	}
	if caps.PromptMaxLen > 0 && len([]rune(s.Prompt)) > caps.PromptMaxLen {
		return library.Job{}, fmt.Errorf("%s takes prompts of at most %d characters, got %d: %w", p.DisplayName(), caps.PromptMaxLen, len([]rune(s.Prompt)), ErrBadRequest)
	}
	if err := caps.ValidateOptions(p.DisplayName(), mode, s.Options); err != nil {
		return library.Job{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	k, err := r.chooseKey(p, s.Key)
	if err != nil {
		return library.Job{}, err
	}
	estimate := r.estimate(p, provider.Request{Mode: mode, Prompt: s.Prompt, Images: s.Images, Options: s.Options})
	if k.ID != "" {
		// Refused here, before anything is written or sent; checked again
		// right before the create, against the day's spend by then.
		if err := r.store.CheckBudget(k.ID, estimate); err != nil {
			return library.Job{}, err
		}
	}
	id := s.ID
	if id == "" {
		id = NewID()
	} else if !ValidID(id) {
		return library.Job{}, fmt.Errorf("%q is not a job ID: %w", id, ErrBadRequest)
	} else if _, err := r.store.Get(id); !errors.Is(err, ErrNoJob) {
		return library.Job{}, fmt.Errorf("job %s already exists: %w", id, ErrBadRequest)
	}
	now := time.Now().UTC()
	j := library.Job{
		Schema: library.SchemaVersion, ID: id, Provider: p.ID(), Name: s.Name,
		KeyID: k.ID, KeyName: k.Name, KeyFP: k.Fingerprint,
		Mode: string(mode), Prompt: s.Prompt, Options: s.Options, Estimate: estimate,
		State: library.StateDraft, Created: now, Updated: now,
		Tags: s.Tags, RetryOf: s.RetryOf,
	}
	// The record exists before its inputs so the library has a folder for them.
	if err := r.store.Put(j); err != nil {
		return j, fmt.Errorf("could not record the new job: %w", err)
	}
	for _, im := range s.Images {
		in, err := r.store.AddInput(j.ID, im.Name, im.Slot, im.MIME, im.Data)
		if err != nil {
			j.State, j.Finished = library.StateFailed, time.Now().UTC()
			j.Error = &library.JobError{Kind: KindStore, Message: err.Error(), At: j.Finished}
			_ = r.store.Put(j)
			return j, fmt.Errorf("could not copy %s into the library: %w", im.Name, err)
		}
		j.Inputs = append(j.Inputs, in)
	}
	if len(j.Inputs) > 0 {
		if err := r.store.Put(j); err != nil {
			return j, fmt.Errorf("could not record the new job's inputs: %w", err)
		}
	}
	if err := r.start(j.ID, true); err != nil {
		return j, err
	}
	return j, nil
}

func hasMode(ms []provider.Mode, m provider.Mode) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

// Retry makes a new job from a finished one's prompt, inputs, options and
// key. The old job is left as it is.
func (r *Runner) Retry(ctx context.Context, id string) (library.Job, error) {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return library.Job{}, fmt.Errorf("job %s was not retried: %w", id, ErrClosed)
	}
	old, err := r.store.Get(id)
	if err != nil {
		return library.Job{}, err
	}
	if !old.State.Finished() {
		return library.Job{}, fmt.Errorf("job %s is still %s; retry it once it has ended", id, old.State)
	}
	s := Spec{Provider: old.Provider, Key: old.KeyID, Prompt: old.Prompt, Options: old.Options, Tags: old.Tags, Name: old.Name, RetryOf: old.ID}
	req, err := r.request(old)
	if err != nil {
		return library.Job{}, err
	}
	s.Images = req.Images
	return r.Submit(ctx, s)
}

// CancelResult says what a cancel achieved.
type CancelResult struct {
	Job library.Job
	// Cancelled is true when the job is cancelled; false when the cancel
	// was asked but the provider may still run (and charge) the task.
	Cancelled bool
	Note      string
}

// DownloadingNote is the answer to a cancel that comes after the task ended.
const DownloadingNote = "the task has already ended and is paid for; Meshdrop finishes downloading its files"

// Cancel asks for a job to be cancelled: a draft never sends its create; a
// task at the provider is cancelled where the provider can, otherwise the
// job keeps being watched until the task ends ("the provider may still
// charge"). It waits up to ctx for the driver's answer.
func (r *Runner) Cancel(ctx context.Context, id string) (CancelResult, error) {
	j, err := r.store.Get(id)
	if err != nil {
		return CancelResult{}, err
	}
	if j.State.Finished() {
		return CancelResult{Job: j, Cancelled: j.State == library.StateCancelled}, fmt.Errorf("job %s is already %s: %w", id, j.State, ErrNotCancel)
	}
	if j.State == library.StateDownloading {
		return CancelResult{Job: j, Note: DownloadingNote}, nil
	}
	// The cancel travels as a marker beside the job's lock (seen by whichever
	// process drives the job) and through the run in this process; the
	// driver writes it into the record itself, so no update is lost.
	if r.cfg.LockDir != "" {
		if err := os.WriteFile(r.cancelMarker(id), []byte(time.Now().UTC().Format(time.RFC3339)), 0o600); err != nil {
			return CancelResult{Job: j}, fmt.Errorf("could not record the cancel of job %s: %w", id, err)
		}
	}
	// After Close nothing here drives the job: the marker written above is
	// acted on by whoever drives it next.
	_ = r.Start(id)
	r.mu.Lock()
	rn := r.active[id]
	r.mu.Unlock()
	if rn != nil {
		rn.cancelOnce.Do(func() { close(rn.cancel) })
		for {
			rn.mu.Lock()
			cur, note, ch := rn.job, rn.cancelNote, rn.changed
			rn.mu.Unlock()
			if cur.State.Finished() {
				return CancelResult{Job: cur, Cancelled: cur.State == library.StateCancelled, Note: note}, nil
			}
			if note != "" {
				return CancelResult{Job: cur, Note: note}, nil
			}
			select {
			case <-ch:
				continue
			case <-rn.done:
			case <-ctx.Done():
				return CancelResult{Job: cur, Note: "cancel requested; the Meshdrop process driving the job will act on it"}, nil
			}
			break
		}
	}
	j, err = r.store.Get(id)
	if err != nil {
		return CancelResult{}, err
	}
	res := CancelResult{Job: j, Cancelled: j.State == library.StateCancelled}
	if !res.Cancelled {
		res.Note = "cancel requested; the Meshdrop process driving the job will act on it"
	}
	return res, nil
}

// Reconcile looks for an unknown job's task through the provider's list
// endpoint. Found: the job adopts the task and is driven on. Not found: it
// stays unknown (found=false).
func (r *Runner) Reconcile(ctx context.Context, id string) (found bool, err error) {
	j, err := r.store.Get(id)
	if err != nil {
		return false, err
	}
	if j.State != library.StateUnknown {
		return false, fmt.Errorf("job %s is %s: %w", id, j.State, ErrNotUnknown)
	}
	p, err := r.providerFor(j) // the host the lost create went to, when this process sent it
	if err != nil {
		return false, err
	}
	ref, ok, err := r.lookup(ctx, p, j)
	if err != nil || !ok {
		r.unpinIdle(j)
		return false, err
	}
	if err := r.adopt(j.ID, ref); err != nil {
		return true, err
	}
	if err := r.Start(id); err != nil {
		return true, fmt.Errorf("job %s found its task, but it is not followed here: %w", id, err)
	}
	return true, nil
}

// lookup asks the provider for the task a lost create made.
func (r *Runner) lookup(ctx context.Context, p provider.Provider, j library.Job) (provider.TaskRef, bool, error) {
	if !p.Capabilities().CanList {
		return provider.TaskRef{}, false, fmt.Errorf("%s has no task list, so the lost request cannot be looked up; check the provider's dashboard, then retry the job if no task was made: %w", p.DisplayName(), ErrNoReconcile)
	}
	cred, err := r.credential(j)
	if err != nil {
		return provider.TaskRef{}, false, err
	}
	req, err := r.request(j)
	if err != nil {
		return provider.TaskRef{}, false, err
	}
	at := j.Created
	if len(j.Stages) > 0 && !j.Stages[len(j.Stages)-1].Submitted.IsZero() {
		at = j.Stages[len(j.Stages)-1].Submitted
	}
	ref, ok, err := p.Reconcile(ctx, cred, req, at)
	if err != nil && provider.KindOf(err) == provider.ErrUnsupported {
		return ref, false, fmt.Errorf("%w: %w", ErrNoReconcile, err)
	}
	return ref, ok, err
}

// adopt writes a found task into an unknown job and makes it queued again.
func (r *Runner) adopt(id string, ref provider.TaskRef) error {
	j, err := r.store.Get(id)
	if err != nil {
		return err
	}
	if j.State != library.StateUnknown {
		return fmt.Errorf("job %s is %s: %w", id, j.State, ErrNotUnknown)
	}
	if len(j.Stages) == 0 {
		j.Stages = []library.Stage{{Name: "generate"}}
	}
	s := &j.Stages[len(j.Stages)-1]
	s.Ref, s.Accepted, s.State = ref, time.Now().UTC(), provider.StateQueued
	if ref.Stage != "" {
		s.Name = ref.Stage
	}
	j.State = library.StateQueued
	j.Finished = time.Time{}
	j.Error = nil
	j.Updated = time.Now().UTC()
	if err := r.store.Put(j); err != nil {
		return fmt.Errorf("found the task %s but could not record it in job %s: %w", ref.ID, id, err)
	}
	r.publish(j)
	return nil
}

// autoReconcile tries once, right after a job became unknown, to find its
// task where the provider can list tasks; a found task is adopted and driven.
func (r *Runner) autoReconcile(ctx context.Context, rn *run, p provider.Provider) {
	if !p.Capabilities().CanList {
		return
	}
	j := rn.current()
	ref, ok, err := r.lookup(ctx, p, j)
	if err != nil || !ok {
		if err != nil {
			r.log.Warn("reconcile", "job", rn.id, "err", err)
		}
		return
	}
	if err := r.adopt(rn.id, ref); err != nil {
		r.log.Warn("reconcile", "job", rn.id, "err", err)
		return
	}
	if nj, err := r.store.Get(rn.id); err == nil {
		rn.set(nj)
		r.drive(ctx, rn)
	}
}
