package app

import (
	"meshdrop/core/keys"
)

const vaultName = "vault"

// Vault returns the named-key vault, opened once: metadata in Dirs.Config
// (keys.json), secrets in the OS keychain, environment keys read-only.
// Opening does not touch the keychain, so it works without one (listing,
// environment and session-only keys); problems met while opening (a damaged
// key list moved aside) are logged here and available from Vault().Warnings.
func (a *App) Vault() (*keys.Vault, error) {
	v, err := a.Once(vaultName, func() (any, func(), error) {
		v, err := keys.Open(a.Dirs.Config)
		if err != nil {
			return nil, nil, err
		}
		for _, w := range v.Warnings() {
			a.Log.Warn("keys", "problem", w)
		}
		return v, nil, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*keys.Vault), nil
}
