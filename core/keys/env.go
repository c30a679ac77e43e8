package keys

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// EnvVar ties an environment variable to the provider whose key it holds.
type EnvVar struct {
	Name     string
	Provider string
}

// EnvVars are the only variables read from the environment or a .env file,
// in order. HYPER3D_API_KEY is Rodin's other name; from the environment it is
// used only when RODIN_API_KEY is not set.
var EnvVars = []EnvVar{
	{"MESHY_API_KEY", providerMeshy},
	{"TRIPO_API_KEY", providerTripo},
	{"RODIN_API_KEY", providerRodin},
	{"HYPER3D_API_KEY", providerRodin},
	{"GENX3D_API_KEY", providerGenX3D},
}

// loadEnv makes the read-only environment keys (their ID is "env-" plus the
// variable, stable across runs so jobs can name them).
func (v *Vault) loadEnv(getenv func(string) string) {
	now := v.now()
	for _, ev := range EnvVars {
		raw := getenv(ev.Name)
		if raw == "" || (ev.Name == "HYPER3D_API_KEY" && getenv("RODIN_API_KEY") != "") {
			continue
		}
		clean, warning, testMode, err := CheckSecret(ev.Provider, NewSecret(raw))
		if err != nil {
			v.warnings = append(v.warnings, fmt.Sprintf("the environment variable %s was ignored: %v", ev.Name, err))
			continue
		}
		k := Key{
			ID: "env-" + ev.Name, Name: ev.Name, Provider: ev.Provider, Fingerprint: clean.Fingerprint(),
			Source: SourceEnvironment, Created: now, TestMode: testMode, Warning: warning, Env: ev.Name,
		}
		v.env = append(v.env, k)
		v.envSec[k.ID] = clean
	}
}

// maxDotEnvBytes caps a .env file read for import.
const maxDotEnvBytes = 1 << 20

// DotEnvValue is one provider key found in a .env file.
type DotEnvValue struct {
	Var    string
	Line   int
	Secret Secret
}

// ParseDotEnv reads the provider key variables (EnvVars) from a .env file's
// text: NAME=value lines, an optional "export " in front, values optionally in
// single or double quotes, comments (#) and blank lines skipped. Every other
// variable is ignored without being kept. Errors give line numbers, never
// values.
func ParseDotEnv(r io.Reader) ([]DotEnvValue, error) {
	wanted := map[string]bool{}
	for _, ev := range EnvVars {
		wanted[ev.Name] = true
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxDotEnvBytes)
	var out []DotEnvValue
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !wanted[name] {
			continue
		}
		value, err := dotEnvValue(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %w", n, name, err)
		}
		if value == "" {
			continue
		}
		if prev, dup := seen[name]; dup {
			out[prev] = DotEnvValue{Var: name, Line: n, Secret: NewSecret(value)} // the last one wins, as in a shell
			continue
		}
		seen[name] = len(out)
		out = append(out, DotEnvValue{Var: name, Line: n, Secret: NewSecret(value)})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, errors.New("a line is longer than 1 MiB; this is not a .env file")
		}
		return nil, err
	}
	return out, nil
}

func dotEnvValue(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch q := v[0]; q {
	case '"', '\'':
		end := strings.IndexByte(v[1:], q)
		if end < 0 {
			return "", errors.New("the quote around the value is not closed (multi-line values are not supported)")
		}
		rest := strings.TrimSpace(v[end+2:])
		if rest != "" && !strings.HasPrefix(rest, "#") {
			return "", errors.New("unexpected text after the quoted value")
		}
		return v[1 : end+1], nil
	}
	// Unquoted: a " #" starts a comment.
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v), nil
}

// ImportResult says what happened to one variable of a .env file.
type ImportResult struct {
	Var      string `json:"var"`
	Provider string `json:"provider"`
	Key      Key    `json:"key,omitzero"`
	// Skipped says why nothing was added (already in the keychain, invalid…).
	Skipped string `json:"skipped,omitempty"`
}

// ImportEnvFile copies the provider keys of a .env file into the keychain
// (the file is only read). A key whose secret is already stored for that
// provider is skipped; a new key is named after the provider and the file,
// e.g. "Meshy (.env)". The error is for the file as a whole (unreadable,
// unparsable) or a keychain that cannot be used; per-variable problems are in
// the results.
func (v *Vault) ImportEnvFile(path string) ([]ImportResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDotEnvBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(data) > maxDotEnvBytes {
		return nil, fmt.Errorf("%s is larger than 1 MiB; this is not a .env file", path)
	}
	vals, err := ParseDotEnv(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []ImportResult
	for _, dv := range vals {
		provider := ""
		for _, ev := range EnvVars {
			if ev.Name == dv.Var {
				provider = ev.Provider
			}
		}
		res := ImportResult{Var: dv.Var, Provider: provider}
		clean, _, _, err := CheckSecret(provider, dv.Secret)
		if err != nil {
			res.Skipped = err.Error()
			out = append(out, res)
			continue
		}
		dup, err := v.storedSecretExists(provider, clean)
		if err != nil {
			return out, err
		}
		if dup != "" {
			res.Skipped = fmt.Sprintf("already in the keychain as %q", dup)
			out = append(out, res)
			continue
		}
		base := providerLabels[provider] + " (" + fileLabel(path) + ")"
		for n := 1; ; n++ {
			name := base
			if n > 1 {
				name = fmt.Sprintf("%s %d", base, n)
			}
			if len([]rune(name)) > MaxNameLen {
				name = string([]rune(name)[:MaxNameLen])
			}
			k, err := v.Add(provider, name, clean, AddOptions{Note: "imported from " + dv.Var})
			if errors.Is(err, ErrNameTaken) && n < 100 {
				continue
			}
			if errors.Is(err, ErrNoKeychain) {
				return out, err
			}
			if err != nil {
				res.Skipped = err.Error()
			}
			res.Key = k
			break
		}
		out = append(out, res)
	}
	return out, nil
}

func fileLabel(path string) string {
	b := path
	if i := strings.LastIndexAny(b, `/\`); i >= 0 {
		b = b[i+1:]
	}
	if b == "" {
		b = ".env"
	}
	return b
}

// storedSecretExists returns the name of provider's keychain key holding
// secret, or "". Only keys with the same fingerprint are read from the keychain.
func (v *Vault) storedSecretExists(provider string, secret Secret) (string, error) {
	fp := secret.Fingerprint()
	for _, k := range v.ForProvider(provider) {
		if k.Source != SourceKeychain || k.Fingerprint != fp {
			continue
		}
		s, err := v.kc.get(k.ID)
		if errors.Is(err, ErrSecretMissing) {
			continue
		}
		if err != nil {
			return "", err
		}
		if s.Reveal() == secret.Reveal() {
			return k.Name, nil
		}
	}
	return "", nil
}
