package jobstest

import (
	"sync"

	"meshdrop/core/keys"
)

// Keys is a jobs.KeySource over keys held in memory: the seam the vault
// fills in the application, for tests that must not touch a keychain.
type Keys struct {
	mu      sync.Mutex
	keys    map[string]keys.Key
	secrets map[string]string
	reads   int
}

// NewKeys makes an empty key source.
func NewKeys() *Keys { return &Keys{keys: map[string]keys.Key{}, secrets: map[string]string{}} }

// Add stores a key with its secret; the fingerprint is computed.
func (m *Keys) Add(k keys.Key, secret string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k.Fingerprint = keys.Fingerprint(secret)
	m.keys[k.ID], m.secrets[k.ID] = k, secret
}

// Get implements jobs.KeySource.
func (m *Keys) Get(id string) (keys.Key, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[id]
	return k, ok
}

// Find implements jobs.KeySource.
func (m *Keys) Find(p, name string) (keys.Key, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.keys {
		if k.Provider == p && k.Name == name {
			return k, true
		}
	}
	return keys.Key{}, false
}

// ForProvider implements jobs.KeySource.
func (m *Keys) ForProvider(p string) []keys.Key {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []keys.Key
	for _, k := range m.keys {
		if k.Provider == p {
			out = append(out, k)
		}
	}
	return out
}

// Secret implements jobs.KeySource and counts the reads.
func (m *Keys) Secret(id string) (keys.Secret, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.secrets[id]
	if !ok {
		return keys.Secret{}, keys.ErrNotFound
	}
	m.reads++
	return keys.NewSecret(s), nil
}

// SecretReads counts Secret calls.
func (m *Keys) SecretReads() int { m.mu.Lock(); defer m.mu.Unlock(); return m.reads }
