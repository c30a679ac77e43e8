package keys

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Secret is an API key's secret value. It never prints itself: String,
// GoString, JSON and slog all give the fingerprint. Use Reveal only where the
// secret must go on the wire (an Authorization header) or into the keychain.
type Secret struct{ v string }

// NewSecret wraps a secret value.
func NewSecret(s string) Secret { return Secret{v: s} }

// Reveal returns the raw secret. Call it only to put it in an Authorization
// header or the keychain.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// Fingerprint is safe to show: the prefix (up to and including the first _ or -,
// at most 4 characters) and the last four characters, e.g. "msy_…9f3a".
func (s Secret) Fingerprint() string { return Fingerprint(s.v) }

// String implements fmt.Stringer with the fingerprint.
func (s Secret) String() string { return s.Fingerprint() }

// GoString implements fmt.GoStringer with the fingerprint.
func (s Secret) GoString() string { return "keys.Secret(" + s.Fingerprint() + ")" }

// Format makes every fmt verb (%v, %s, %q, %x, %+v, %#v) print the fingerprint.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.Fingerprint())
}

// MarshalJSON gives the fingerprint, never the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.Fingerprint()) }

// LogValue makes slog print the fingerprint.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.Fingerprint()) }

// Fingerprint of a raw secret for display.
func Fingerprint(v string) string {
	if v == "" {
		return "(empty)"
	}
	prefix := ""
	for i := 0; i < len(v) && i < 4; i++ {
		if v[i] == '_' || v[i] == '-' {
			prefix = v[:i+1]
			break
		}
	}
	if len(v) <= 8 {
		return prefix + "…"
	}
	return prefix + "…" + v[len(v)-4:]
}
