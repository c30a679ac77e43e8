package provider

import (
	"fmt"
	"sort"
	"sync"
)

// Registry holds the configured providers by ID. Safe for concurrent use:
// Replace swaps a provider's adapter while the app runs (a base URL changed
// in Settings); callers holding the old adapter keep a working one.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Provider
}

// NewRegistry makes a registry of the given providers.
func NewRegistry(ps ...Provider) *Registry {
	r := &Registry{m: map[string]Provider{}}
	for _, p := range ps {
		r.m[p.ID()] = p
	}
	return r
}

// Get returns a provider by ID.
func (r *Registry) Get(id string) (Provider, error) {
	r.mu.RLock()
	p, ok := r.m[id]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown provider %q (known: %v)", id, r.IDs())
	}
	return p, nil
}

// Replace puts ps in place of the providers with the same IDs (adding any
// new one). Later Gets return the new adapters; one already handed out
// keeps working as it was built (a job's task stays at the host that
// created it).
func (r *Registry) Replace(ps ...Provider) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range ps {
		r.m[p.ID()] = p
	}
}

// IDs lists the registered providers in display order.
func (r *Registry) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.idsLocked()
}

func (r *Registry) idsLocked() []string {
	var out []string
	for _, id := range IDs {
		if _, ok := r.m[id]; ok {
			out = append(out, id)
		}
	}
	var rest []string
	for id := range r.m {
		if !contains(out, id) {
			rest = append(rest, id)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// All lists the providers in display order.
func (r *Registry) All() []Provider {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Provider
	for _, id := range r.idsLocked() {
		out = append(out, r.m[id])
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
