package keys

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Provider IDs that take keys. They must equal the constants in
// meshdrop/core/provider (provider.Meshy, …): core/provider imports this
// package, so this package cannot import it back. keys_test checks they match.
const (
	providerMeshy  = "meshy"
	providerTripo  = "tripo"
	providerRodin  = "rodin"
	providerGenX3D = "genx3d"
)

// KeyedProviders lists the providers that take API keys (the Sandbox needs none).
var KeyedProviders = []string{providerMeshy, providerTripo, providerRodin, providerGenX3D}

// MeshyTestModeKey is Meshy's documented test-mode key: valid on every
// endpoint, spends nothing, always returns the same sample task.
const MeshyTestModeKey = "msy_dummy_api_key_for_test_mode_12345678"

// Name rules.
const (
	MaxNameLen = 64 // characters, after trimming
)

// Validation errors (errors.Is-able; the wrapping message says what to do).
var (
	ErrInvalidName     = errors.New("invalid key name")
	ErrInvalidSecret   = errors.New("invalid secret")
	ErrNameTaken       = errors.New("a key with that name already exists")
	ErrUnknownProvider = errors.New("unknown provider")
	ErrReadOnly        = errors.New("the key is read-only")
)

// formats are the documented key prefixes (core docs/providers.md). Rodin's
// keys have no documented prefix, so every Rodin secret is accepted silently.
var formats = map[string][]string{
	providerMeshy:  {"msy_", "msy-"},
	providerTripo:  {"tsk_"},
	providerGenX3D: {"sk-"},
}

var providerLabels = map[string]string{
	providerMeshy: "Meshy", providerTripo: "Tripo", providerRodin: "Rodin", providerGenX3D: "genX3D",
}

// CheckProvider refuses providers that take no key.
func CheckProvider(provider string) error {
	if slices.Contains(KeyedProviders, provider) {
		return nil
	}
	return fmt.Errorf("%w %q: keys are for %s", ErrUnknownProvider, provider, strings.Join(KeyedProviders, ", "))
}

// CleanName trims a key name and checks it: 1–64 characters, no control characters.
func CleanName(name string) (string, error) {
	n := strings.TrimSpace(name)
	switch {
	case n == "":
		return "", fmt.Errorf("%w: the name is empty; give the key a name such as \"Client A\"", ErrInvalidName)
	case !utf8.ValidString(n):
		return "", fmt.Errorf("%w: the name is not valid UTF-8", ErrInvalidName)
	case utf8.RuneCountInString(n) > MaxNameLen:
		return "", fmt.Errorf("%w: the name has %d characters; use at most %d", ErrInvalidName, utf8.RuneCountInString(n), MaxNameLen)
	case strings.IndexFunc(n, unicode.IsControl) >= 0:
		return "", fmt.Errorf("%w: the name contains a control character (a tab or line break?); use plain text", ErrInvalidName)
	}
	return n, nil
}

// CheckSecret validates a secret for provider. Surrounding spaces are trimmed
// (a common paste mistake); an empty or whitespace-only secret, or one with
// control characters (line breaks, tabs, escapes) anywhere, is refused. A
// secret that does not look like the provider's documented format is
// accepted with a warning (providers change formats). testMode is true for
// Meshy's test-mode key. Messages never quote the secret.
func CheckSecret(provider string, s Secret) (clean Secret, warning string, testMode bool, err error) {
	v := s.Reveal()
	if strings.TrimSpace(v) == "" {
		return Secret{}, "", false, fmt.Errorf("%w: the secret is empty; paste the API key from the provider's dashboard", ErrInvalidSecret)
	}
	v = strings.Trim(v, " ")
	if !utf8.ValidString(v) {
		return Secret{}, "", false, fmt.Errorf("%w: the secret is not valid text; copy the API key again", ErrInvalidSecret)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return Secret{}, "", false, fmt.Errorf("%w: the secret contains a control character (a line break, tab or escape); copy the API key again without it", ErrInvalidSecret)
	}
	if provider == providerMeshy && v == MeshyTestModeKey {
		return NewSecret(v), "", true, nil
	}
	if provider == providerTripo && strings.HasPrefix(v, "tcli_") {
		return NewSecret(v), "this looks like a Tripo Client ID (tcli_…), not an API key (tsk_…); Tripo will likely answer 401", false, nil
	}
	if prefixes, ok := formats[provider]; ok && !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(v, p) }) {
		warning = fmt.Sprintf("this does not look like a %s key (they start with %s); it was kept in case the format changed",
			providerLabels[provider], strings.Join(prefixes, " or "))
	}
	return NewSecret(v), warning, false, nil
}
