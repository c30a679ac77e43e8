package keys_test

import (
	"slices"
	"testing"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
)

// core/keys cannot import core/provider (provider imports keys), so it keeps
// its own copy of the provider IDs; they must not drift.
func TestProviderIDsMatch(t *testing.T) {
	want := []string{provider.Meshy, provider.Tripo, provider.Rodin, provider.GenX3D}
	if !slices.Equal(keys.KeyedProviders, want) {
		t.Fatalf("keys.KeyedProviders = %v, provider IDs = %v", keys.KeyedProviders, want)
	}
	for _, ev := range keys.EnvVars {
		if !slices.Contains(provider.IDs, ev.Provider) {
			t.Errorf("%s maps to unknown provider %q", ev.Name, ev.Provider)
		}
	}
	if err := keys.CheckProvider(provider.Sandbox); err == nil {
		t.Error("the Sandbox takes no key")
	}
}
