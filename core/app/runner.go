package app

import (
	"fmt"
	"os"
	"path/filepath"

	"meshdrop/core/jobs"
	"meshdrop/core/keys"
)

const runnerName = "runner"

// LockDirName is the folder in Dirs.Data holding one lock file per job being
// driven, so the window and a CLI never drive the same job at once.
const LockDirName = "locks"

// Runner returns the job runner, made on first use over the library, the key
// vault (when it opens: providers that need no key work without it), the
// provider registry and the limits in Settings. It does not resume anything
// by itself: the window calls Resume at start, "meshdrop jobs wait" calls it
// for the jobs it follows, so a one-shot CLI command never picks up other
// jobs' creates.
func (a *App) Runner() (*jobs.Runner, error) {
	v, err := a.Once(runnerName, func() (any, func(), error) {
		lib, err := a.Library()
		if err != nil {
			return nil, nil, err
		}
		reg, err := a.Providers()
		if err != nil {
			return nil, nil, err
		}
		var ks jobs.KeySource
		if vault, err := a.keyVault(); err != nil {
			a.Log.Warn("runner: no key vault; only providers that need no key can run", "err", err)
		} else if vault != nil {
			ks = vault
		}
		lockDir := filepath.Join(a.Dirs.Data, LockDirName)
		if err := os.MkdirAll(lockDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("cannot create the job lock folder %s: %w", lockDir, err)
		}
		r, err := jobs.New(a.Ctx, jobs.Config{
			Store: lib, Keys: ks, Providers: reg,
			Settings: a.Current().Providers,
			LockDir:  lockDir,
			Log:      a.Log.With("part", "jobs"),
		})
		if err != nil {
			return nil, nil, err
		}
		return r, r.Close, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*jobs.Runner), nil
}

// UseRunner makes r this App's runner (tests over a loopback provider, or a
// face that builds its own). It fails once Runner has made one.
func (a *App) UseRunner(r *jobs.Runner) error {
	made := false
	if _, err := a.Once(runnerName, func() (any, func(), error) { made = true; return r, r.Close, nil }); err != nil {
		return err
	}
	if !made {
		return fmt.Errorf("the job runner is already running")
	}
	return nil
}

// keyVault is the vault as the runner takes it (kept for the vault's test,
// which checks the runner reaches the same vault).
func (a *App) keyVault() (*keys.Vault, error) { return a.Vault() }
