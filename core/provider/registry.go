package provider

import (
	"fmt"
	"sort"
)

// Registry holds the configured providers by ID.
type Registry struct{ m map[string]Provider }

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
	p, ok := r.m[id]
	if !ok {
		return nil, fmt.Errorf("unknown provider %q (known: %v)", id, r.IDs())
	}
	return p, nil
}

// IDs lists the registered providers in display order.
func (r *Registry) IDs() []string {
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
	var out []Provider
	for _, id := range r.IDs() {
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
