package ui

import (
	"context"
	"errors"
	"time"

	"meshdrop/core/app"
	"meshdrop/core/jobs"
	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
)

// keyVault is what the screens need from the key vault. *keys.Vault
// satisfies it; the secret is fetched only to test a key with its provider.
type keyVault interface {
	List() []keys.Key
	Get(id string) (keys.Key, bool)
	ForProvider(provider string) []keys.Key
	Secret(id string) (keys.Secret, error)
	Add(provider, name string, secret keys.Secret, opts keys.AddOptions) (keys.Key, error)
	Rename(id, newName string) (keys.Key, error)
	Replace(id string, secret keys.Secret) (keys.Key, error)
	SetRotateBy(id string, t time.Time) (keys.Key, error)
	Delete(id string) error
}

var _ keyVault = (*keys.Vault)(nil)

// jobRunner is the part of the job runner the window uses. *jobs.Runner
// satisfies it.
type jobRunner interface {
	Submit(ctx context.Context, s jobs.Spec) (library.Job, error)
	Retry(ctx context.Context, id string) (library.Job, error)
	Cancel(ctx context.Context, id string) (jobs.CancelResult, error)
	Reconcile(ctx context.Context, id string) (found bool, err error)
	Subscribe(fn func(library.Job)) (unsubscribe func())
	Active() []string
	Resume(ids ...string) ([]string, error)
}

var _ jobRunner = (*jobs.Runner)(nil)

// services are the core's stores as the screens see them. They are opened in
// the background (opening the library reads the disk; the window never waits
// on it); each is nil until it is open, and its error says why it is not.
type services struct {
	Core *app.App
	Ctx  context.Context

	Vault     keyVault
	VaultErr  error
	Registry  *provider.Registry
	RegErr    error
	Library   *library.Library
	LibErr    error
	Runner    jobRunner
	RunnerErr error
}

// libraryWatchEvery is how often the window looks for library changes made
// by other processes: an idle look is two stats (library.Watcher).
const libraryWatchEvery = 2 * time.Second

// errNotInBuild says a store's getter has not landed in core/app yet.
var errNotInBuild = errors.New("not available in this build yet")

// The core's typed getters (core/app/keys.go, providers.go, library.go,
// runner.go). They are looked up by interface so this package builds before
// and after each lands.
type (
	vaultGetter    interface{ Vault() (*keys.Vault, error) }
	registryGetter interface {
		Providers() (*provider.Registry, error)
	}
	libraryGetter interface {
		Library() (*library.Library, error)
	}
	runnerGetter interface{ Runner() (*jobs.Runner, error) }
)

// openServices opens every store from the core; call it off the UI goroutine.
func openServices(core *app.App) *services {
	s := &services{Core: core, Ctx: context.Background()}
	if core == nil {
		s.VaultErr, s.RegErr, s.LibErr, s.RunnerErr = errNotInBuild, errNotInBuild, errNotInBuild, errNotInBuild
		return s
	}
	s.Ctx = core.Ctx
	var c any = core
	if g, ok := c.(registryGetter); ok {
		s.Registry, s.RegErr = g.Providers()
	} else {
		s.RegErr = errNotInBuild
	}
	if g, ok := c.(vaultGetter); ok {
		v, err := g.Vault()
		if err == nil && v != nil {
			s.Vault = v
		}
		s.VaultErr = err
	} else {
		s.VaultErr = errNotInBuild
	}
	if g, ok := c.(libraryGetter); ok {
		s.Library, s.LibErr = g.Library()
		if s.Library != nil {
			// Jobs written by another process (a CLI "generate" or "import"
			// while the window is open) reach OnChange subscribers without a
			// refresh. It stops with the core's context or when the library
			// is closed (a library move reopens it elsewhere: watch that one
			// too when the screens are handed the new one).
			go s.Library.Watch(s.Ctx, libraryWatchEvery)
		}
	} else {
		s.LibErr = errNotInBuild
	}
	if g, ok := c.(runnerGetter); ok {
		r, err := g.Runner()
		if err == nil && r != nil {
			s.Runner = r
			// The window picks up unfinished jobs (the CLI does not).
			if _, rerr := r.Resume(); rerr != nil {
				core.Log.Warn("resume jobs", "err", rerr)
			}
		}
		s.RunnerErr = err
	} else {
		s.RunnerErr = errNotInBuild
	}
	return s
}

// keysFor lists a provider's keys, none when the vault is not open.
func (s *services) keysFor(providerID string) []keys.Key {
	if s == nil || s.Vault == nil {
		return nil
	}
	return s.Vault.ForProvider(providerID)
}

// allKeys lists every key, none when the vault is not open.
func (s *services) allKeys() []keys.Key {
	if s == nil || s.Vault == nil {
		return nil
	}
	return s.Vault.List()
}

// providers lists the registered providers in display order.
func (s *services) providers() []provider.Provider {
	if s == nil || s.Registry == nil {
		return nil
	}
	return s.Registry.All()
}

// provider returns a provider by ID, nil when unknown.
func (s *services) provider(id string) provider.Provider {
	if s == nil || s.Registry == nil {
		return nil
	}
	p, err := s.Registry.Get(id)
	if err != nil {
		return nil
	}
	return p
}
