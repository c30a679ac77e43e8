// Package app is the running Meshdrop core that both faces share: folders,
// settings, the log, and the stores and services opened lazily once (the key
// vault, the provider registry, the library and the job runner). The window
// and the command line each hold one App.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"meshdrop/core/logging"
	"meshdrop/core/paths"
	"meshdrop/core/settings"
)

// App is the shared core of one Meshdrop process.
type App struct {
	Ctx      context.Context
	Dirs     paths.Dirs
	Settings settings.Settings
	Log      *slog.Logger
	// Warnings are problems met while opening that people should see
	// (a damaged settings file moved aside, …).
	Warnings []string

	// defaultLibrary is the library's folder when the settings name none
	// (the Dirs.Library given to NewAt).
	defaultLibrary string

	mu     sync.Mutex
	cache  map[string]any
	making map[string]chan struct{} // names whose mk is running
	held   map[string]bool          // names in making held closed by MoveLibrary (hold), no mk running
	close  []func()
}

// New prepares the core from the environment: folders, settings, log.
func New(ctx context.Context, verbose bool) (*App, error) {
	dirs, err := paths.Resolve()
	if err != nil {
		return nil, err
	}
	return NewAt(ctx, dirs, verbose)
}

// NewAt prepares the core in the given folders (tests use temporary ones).
func NewAt(ctx context.Context, dirs paths.Dirs, verbose bool) (*App, error) {
	if err := dirs.Ensure(); err != nil {
		return nil, fmt.Errorf("cannot create Meshdrop's folders (%s): %w", dirs.Data, err)
	}
	log, closer, err := logging.Setup(dirs.Logs, verbose)
	if err != nil {
		return nil, fmt.Errorf("cannot open the log in %s: %w", dirs.Logs, err)
	}
	st, serr := settings.Load(dirs.Config)
	defaultLibrary := dirs.Library
	dirs.Library = libraryDir(dirs, st)
	recovered := recoverPendingMove(&dirs, &st)
	a := &App{Ctx: ctx, Dirs: dirs, Settings: st, Log: log, defaultLibrary: defaultLibrary}
	a.close = append(a.close, func() { closer.Close() })
	if serr != nil {
		msg := serr.Error()
		var damaged *settings.DamagedError
		if errors.As(serr, &damaged) {
			msg += damagedLibraryNote(damaged, dirs)
		}
		a.Warnings = append(a.Warnings, msg)
		log.Warn("settings", "err", serr, "library", dirs.Library)
	}
	if recovered != "" {
		a.Warnings = append(a.Warnings, recovered)
		log.Warn("library move", "problem", recovered)
	}
	return a, nil
}

// damagedLibraryNote says where the library is after the settings file
// was found damaged: the salvaged library_dir, or the default folder with
// how to point Meshdrop back at a library moved elsewhere.
func damagedLibraryNote(d *settings.DamagedError, dirs paths.Dirs) string {
	if d.LibraryDir != "" {
		return fmt.Sprintf(". The library is in %s, as before", dirs.Library)
	}
	return fmt.Sprintf(". The library's place could not be read from it, so the library in the default folder %s is used; if you had moved the library elsewhere, see library_dir in %s, put that line in %s and start Meshdrop again", dirs.Library, d.Bad, d.Path)
}

// Once returns the value made by mk for name, making it on first use; the
// lazily opened stores (vault, registry, library, runner) are kept this way.
// Each store's file in this package defines a typed getter over Once.
// mk runs without the App's lock held, so a getter may call other getters
// (the runner opens the library); callers asking for a name being made
// wait for it. A failed mk is not kept: the next call tries again.
func (a *App) Once(name string, mk func() (any, func(), error)) (any, error) {
	a.mu.Lock()
	if a.waitWhileMade(name, func() bool { _, ok := a.cache[name]; return ok }) {
		v := a.cache[name]
		a.mu.Unlock()
		return v, nil
	}
	if a.making == nil {
		a.making = map[string]chan struct{}{}
	}
	done := make(chan struct{})
	a.making[name] = done
	a.mu.Unlock()

	v, closeFn, err := mk()

	a.mu.Lock()
	delete(a.making, name)
	close(done)
	if err == nil {
		if a.cache == nil {
			a.cache = map[string]any{}
		}
		a.cache[name] = v
		if closeFn != nil {
			a.close = append(a.close, closeFn)
		}
	}
	a.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return v, nil
}

// waitWhileMade waits while name is being made (by Once's mk, or held by
// MoveLibrary's hold), with a.mu held on entry and on return (released
// while waiting). enough, when not nil, is checked first and after each
// wait under a.mu: waitWhileMade returns true as soon as it holds, and
// false once name is not being made.
func (a *App) waitWhileMade(name string, enough func() bool) bool {
	for {
		if enough != nil && enough() {
			return true
		}
		wait, busy := a.making[name]
		if !busy {
			return false
		}
		a.mu.Unlock()
		<-wait
		a.mu.Lock()
	}
}

// Current returns the settings in force (SaveSettings may replace them
// while the window runs).
func (a *App) Current() settings.Settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Settings
}

// SaveSettings writes the settings, keeps them as the current ones and
// applies them to the open provider registry and job runner at once (no
// restart): see applySettings in providers.go. Settings whose adapters
// cannot be built (a plain-http base URL to another machine, an unknown
// Tripo region) are refused before anything is written. The library's
// place (LibraryDir) is kept as it is: only MoveLibrary changes it, and a
// value read before a move would send the next start to the old folder.
func (a *App) SaveSettings(s settings.Settings) error {
	settingsMu.Lock()
	defer settingsMu.Unlock()
	old := a.Current()
	s.LibraryDir = old.LibraryDir
	changed, err := a.changedProviders(old, s)
	if err != nil {
		return err
	}
	if err := settings.Save(a.Dirs.Config, s); err != nil {
		return fmt.Errorf("could not save settings in %s: %w", a.Dirs.Config, err)
	}
	a.mu.Lock()
	a.Settings = s
	a.mu.Unlock()
	a.applySettings(s, changed)
	return nil
}

// Close releases what was opened, newest first.
func (a *App) Close() {
	a.mu.Lock()
	fns := a.close
	a.close = nil
	a.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
