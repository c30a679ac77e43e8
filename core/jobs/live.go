package jobs

import (
	"maps"

	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/settings"
)

// Settings saved while the runner runs (the Settings screen) apply without
// a restart:
//
//   - Limits: SetSettings changes each provider's concurrency cap and create
//     rate for the next job to take a slot or a permit. Jobs holding a slot
//     keep running; a lower cap is reached as they end, a higher one lets
//     waiting jobs go at once.
//   - Base URLs (and Tripo's region): the registry swaps the adapter
//     (provider.Registry.Replace); a job still a draft uses the adapter in
//     the registry when its create is sent, so it goes to the new host. A job
//     whose task already exists keeps the adapter that created it (its
//     "pin") for as long as this process drives it: its polls, refine stage,
//     cancel and downloads go to the host that holds the task, which the new
//     host knows nothing of. The record names only the provider ID, not the
//     host (library.Job has no host field, and one read back from job.json
//     would let an edited file send the key anywhere), so after a restart a
//     job is driven at the host configured then; it is pinned to that one.

// SetSettings replaces the per-provider settings the runner's limits come
// from (Config.Settings) and applies them to every provider's pool now.
// A provider with fixed Config.Limits keeps them.
func (r *Runner) SetSettings(s map[string]settings.Provider) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cfg.Settings = maps.Clone(s)
	for id, p := range r.pools {
		l := r.limitsLocked(id)
		p.limits = l
		p.slots.setCap(l.MaxConcurrent)
		p.bucket.setRate(l.RatePerSecond)
	}
}

// limitsLocked is a provider's limits from the config now. r.mu is held.
func (r *Runner) limitsLocked(providerID string) Limits {
	if fixed, ok := r.cfg.Limits[providerID]; ok {
		return fixed
	}
	if p, err := r.providers.Get(providerID); err == nil {
		return LimitsFor(p.Capabilities(), r.cfg.Settings[providerID])
	}
	return Limits{}
}

// LimitsOf returns the limits the runner applies to a provider now.
func (r *Runner) LimitsOf(providerID string) Limits {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.pools[providerID]; ok {
		return p.limits
	}
	return r.limitsLocked(providerID)
}

// providerFor returns the adapter to drive a job with: the one its task was
// created with when this process knows it, else the registry's current one
// (pinned at once when the job already has a task: from here on its host
// stays put). A draft is not pinned: its create goes wherever the settings
// say when it is sent (see pin in submit).
func (r *Runner) providerFor(j library.Job) (provider.Provider, error) {
	if j.State != library.StateDraft {
		r.mu.Lock()
		p, ok := r.pins[j.ID]
		r.mu.Unlock()
		if ok {
			return p, nil
		}
	}
	p, err := r.providers.Get(j.Provider)
	if err != nil {
		return nil, err
	}
	if j.State != library.StateDraft {
		r.pin(j.ID, p)
	}
	return p, nil
}

// pin records the adapter a job's task lives at (just before its create is
// sent, or the first time this process drives a job with a task).
func (r *Runner) pin(id string, p provider.Provider) {
	r.mu.Lock()
	r.pins[id] = p
	r.mu.Unlock()
}

// unpin forgets a job's adapter once the job has ended, in whatever end
// state (State.Finished: done, failed, cancelled or unknown): unknown ones
// were kept before, and never forgotten, one entry per job for the life of
// the process. A reconcile of an unknown job later asks the registry's
// adapter, as one in a new process always did: the same host unless its
// base URL was changed since. A job whose drive stopped unfinished (a
// refused write) keeps its pin: driven again here, it stays at its host.
func (r *Runner) unpin(j library.Job) {
	if !j.State.Finished() {
		return
	}
	r.mu.Lock()
	delete(r.pins, j.ID)
	r.mu.Unlock()
}

// unpinIdle is unpin for a job this process is not driving (a reconcile
// that found nothing pinned it): a driver running it unpins when it ends.
func (r *Runner) unpinIdle(j library.Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, driving := r.active[j.ID]; !driving {
		delete(r.pins, j.ID)
	}
}
