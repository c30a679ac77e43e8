// Package settings loads and saves Meshdrop's user settings (settings.json in
// the config folder, written atomically). Environment variables such as
// MESHDROP_MESHY_URL override what the file says for one run.
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"meshdrop/core/fsutil"
)

// FileName is the settings file's name in the config folder.
const FileName = "settings.json"

// Provider holds one provider's settings.
type Provider struct {
	BaseURL       string  `json:"base_url,omitempty"`       // empty: the documented default
	Region        string  `json:"region,omitempty"`         // Tripo: "international" or "china"
	MaxConcurrent int     `json:"max_concurrent,omitempty"` // 0: the provider's default
	RatePerSecond float64 `json:"rate_per_second,omitempty"`
}

// Settings are the user's choices.
type Settings struct {
	Version         int                          `json:"version"`
	DefaultProvider string                       `json:"default_provider,omitempty"`
	DefaultOptions  map[string]map[string]string `json:"default_options,omitempty"`
	Providers       map[string]Provider          `json:"providers,omitempty"`
	ThumbSize       int                          `json:"thumb_size,omitempty"`
	Notifications   *bool                        `json:"notifications,omitempty"`
	MaxJSONBytes    int64                        `json:"max_json_bytes,omitempty"`
	MaxFileBytes    int64                        `json:"max_file_bytes,omitempty"`
	// LibraryDir is where the library lives when it was moved (an absolute
	// path; empty: <data>/library). core/app's MoveLibrary sets it.
	LibraryDir string `json:"library_dir,omitempty"`
}

// CurrentVersion is the schema version written by this build.
const CurrentVersion = 1

// Default settings for a new user.
func Default() Settings {
	return Settings{Version: CurrentVersion, DefaultProvider: "sandbox", ThumbSize: 256}
}

// EnvURL is the environment variable that overrides a provider's base URL.
func EnvURL(provider string) string {
	up := []byte(provider)
	for i, c := range up {
		if c >= 'a' && c <= 'z' {
			up[i] = c - 32
		}
	}
	return "MESHDROP_" + string(up) + "_URL"
}

// BaseURL returns the base URL for a provider: the environment override, then
// the settings file, then def (the documented default).
func (s Settings) BaseURL(provider, def string) string {
	if v := os.Getenv(EnvURL(provider)); v != "" {
		return v
	}
	if p, ok := s.Providers[provider]; ok && p.BaseURL != "" {
		return p.BaseURL
	}
	return def
}

// NotificationsOn reports whether desktop notifications are wanted (default on).
func (s Settings) NotificationsOn() bool { return s.Notifications == nil || *s.Notifications }

// Load reads settings from dir; a missing file gives the defaults. A corrupt
// file is moved aside (settings.json.bad) and reported, and defaults are used.
func Load(dir string) (Settings, error) {
	p := filepath.Join(dir, FileName)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return Default(), fmt.Errorf("read settings: %w", err)
	}
	s := Default()
	if err := json.Unmarshal(b, &s); err != nil {
		_ = os.Rename(p, p+".bad")
		return Default(), fmt.Errorf("settings file %s was damaged; it was moved to %s.bad and defaults are used: %w", p, p, err)
	}
	if s.Version == 0 {
		s.Version = CurrentVersion
	}
	return s, nil
}

// Save writes settings atomically.
func Save(dir string, s Settings) error {
	s.Version = CurrentVersion
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, FileName), b, 0o600)
}
