package app

import (
	"meshdrop/core/provider"
	"meshdrop/core/provider/all"
)

const providersName = "providers"

// Providers returns the provider registry, built once from the settings (base
// URLs, MESHDROP_<ID>_URL overrides, size caps).
func (a *App) Providers() (*provider.Registry, error) {
	v, err := a.Once(providersName, func() (any, func(), error) {
		a.mu.Lock()
		s := a.Settings
		a.mu.Unlock()
		r, err := all.Registry(s, a.Log)
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
