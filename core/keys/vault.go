package keys

import (
	"errors"
	"time"
)

// STUB: the exported shape of the vault, agreed between packages. The keys
// work fills in the bodies; other packages may rely on these signatures.

// Source says where a key lives.
type Source string

const (
	SourceKeychain    Source = "keychain"
	SourceEnvironment Source = "environment"
	SourceSession     Source = "session-only"
)

// Key is a key's metadata. It never holds the secret.
type Key struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Provider    string    `json:"provider"`
	Fingerprint string    `json:"fingerprint"`
	Source      Source    `json:"source"`
	Created     time.Time `json:"created"`
	LastUsed    time.Time `json:"last_used,omitzero"`
	Rotated     time.Time `json:"rotated,omitzero"`
	RotateBy    time.Time `json:"rotate_by,omitzero"`
	Note        string    `json:"note,omitempty"`
	TestMode    bool      `json:"test_mode,omitempty"`
}

// ErrNotFound: no key with that ID or name.
var ErrNotFound = errors.New("key not found")

// Vault is the named-key store.
type Vault struct{}

// Open opens the vault whose metadata lives in dir, using the OS keychain.
func Open(dir string) (*Vault, error) { return nil, errors.New("keys: not implemented yet") }

// List returns every key (keychain, environment and session-only), sorted by provider then name.
func (v *Vault) List() []Key { return nil }

// Get returns a key's metadata by ID.
func (v *Vault) Get(id string) (Key, bool) { return Key{}, false }

// Find returns the key of provider with the given name.
func (v *Vault) Find(provider, name string) (Key, bool) { return Key{}, false }

// ForProvider lists a provider's keys.
func (v *Vault) ForProvider(provider string) []Key { return nil }

// Secret fetches a key's secret for use and records the use.
func (v *Vault) Secret(id string) (Secret, error) { return Secret{}, ErrNotFound }
