package app

import (
	"sync"

	"meshdrop/core/jobs"
	"meshdrop/core/provider"
	"meshdrop/core/provider/all"
	"meshdrop/core/settings"
)

const providersName = "providers"

// Providers returns the provider registry, built once from the settings (base
// URLs, MESHDROP_<ID>_URL overrides, size caps). SaveSettings swaps the
// adapters whose settings changed in place, so the registry handed out stays
// the one to use.
func (a *App) Providers() (*provider.Registry, error) {
	v, err := a.Once(providersName, func() (any, func(), error) {
		r, err := all.Registry(a.Current(), a.Log, all.DataDir(a.Dirs.Data))
		if err != nil {
			return nil, nil, err
		}
		return r, nil, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*provider.Registry), nil
}

// settingsMu makes SaveSettings one at a time, so the adapters and limits
// in force are always those of the settings saved last.
var settingsMu sync.Mutex

// changedProviders builds the adapters whose settings differ between old
// and new; an error (a setting that would send a key where it must not go)
// means the settings are not saved.
func (a *App) changedProviders(old, new settings.Settings) ([]provider.Provider, error) {
	return all.Changed(old, new, a.Log, all.DataDir(a.Dirs.Data))
}

// applySettings puts saved settings in force in the stores already open
// (or being opened: it waits for them, since they may have read the
// settings before the save). Stores opened later read them anyway.
//   - The registry gets the rebuilt adapters: the next Get, so the next
//     create of a new job, goes to the new base URL or region. A job whose
//     task exists keeps the adapter that created it while this process
//     drives it (jobs/live.go), so its polls and downloads stay with the
//     host that holds the task.
//   - The runner gets the new concurrency caps and create rates for the
//     next job to take a slot or a permit; running jobs are never stopped.
func (a *App) applySettings(s settings.Settings, changed []provider.Provider) {
	if v, ok := a.opened(providersName); ok && len(changed) > 0 {
		v.(*provider.Registry).Replace(changed...)
		ids := make([]string, len(changed))
		for i, p := range changed {
			ids[i] = p.ID()
		}
		a.Log.Info("settings: providers rebuilt", "providers", ids)
	}
	if v, ok := a.opened(runnerName); ok {
		v.(*jobs.Runner).SetSettings(s.Providers)
	}
}

// opened returns the store kept under name when it is open, waiting for it
// while it is being made; ok=false when it was never opened (or failed), or
// while MoveLibrary holds it closed: nothing is being made then, and the
// store made after the move reads the settings in force. (Waiting there
// would deadlock: SaveSettings holds settingsMu, which the move needs to
// record the library's new place before it lets the store go.)
func (a *App) opened(name string) (any, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.waitWhileMade(name, func() bool { _, ok := a.cache[name]; return ok || a.held[name] })
	v, ok := a.cache[name]
	return v, ok
}
