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
	"regexp"

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

// DamagedError is Load's error for a settings file that could not be
// decoded: it was moved aside (to Bad) and defaults are used, except the
// library's place when it could still be read from the damaged file.
type DamagedError struct {
	Path, Bad string
	// LibraryDir is library_dir read from the damaged file ("" when it could
	// not be): a moved library must not silently open as the empty default.
	LibraryDir string
	// SaveErr is why the defaults with LibraryDir could not be written as
	// the new settings file (the next start then salvages it again).
	SaveErr error
	Err     error
}

func (e *DamagedError) Error() string {
	msg := fmt.Sprintf("settings file %s was damaged; it was moved to %s and defaults are used", e.Path, e.Bad)
	if e.LibraryDir != "" {
		msg += fmt.Sprintf(", except the library's place (%s), which could still be read from it", e.LibraryDir)
	}
	if e.SaveErr != nil {
		msg += fmt.Sprintf(" (the new settings file could not be written: %v)", e.SaveErr)
	}
	return msg + ": " + e.Err.Error()
}

func (e *DamagedError) Unwrap() error { return e.Err }

// Load reads settings from dir; a missing file gives the defaults. A corrupt
// file is moved aside (settings.json.bad) and reported as a *DamagedError,
// and defaults are used; library_dir is salvaged from it when it can still
// be read, and written with the defaults as the new settings file.
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
		s := Default()
		s.LibraryDir = salvageLibraryDir(b)
		derr := &DamagedError{Path: p, Bad: p + ".bad", LibraryDir: s.LibraryDir, Err: err}
		if rerr := os.Rename(p, derr.Bad); rerr == nil && s.LibraryDir != "" {
			// Without this the next start finds no file and the default
			// library again.
			derr.SaveErr = Save(dir, s)
		}
		return s, derr
	}
	if s.Version == 0 {
		s.Version = CurrentVersion
	}
	return s, nil
}

// RecordedLibraryDir reads library_dir alone from the settings file in dir,
// as it is now (another Meshdrop process may have moved the library since
// this one loaded its settings); "" when the file or the field is missing.
// Unlike Load it leaves a damaged file where it is: the error then says
// so, and the value is what could be salvaged.
func RecordedLibraryDir(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read settings: %w", err)
	}
	var s struct {
		LibraryDir string `json:"library_dir"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return salvageLibraryDir(b), fmt.Errorf("settings file %s is damaged: %w", filepath.Join(dir, FileName), err)
	}
	return s.LibraryDir, nil
}

// libraryDirField matches library_dir with its string value anywhere in a
// damaged file (a key inside a JSON string has its quotes escaped, so it
// does not match).
var libraryDirField = regexp.MustCompile(`"library_dir"\s*:\s*("(?:[^"\\\x00-\x1f]|\\.)*")`)

// salvageLibraryDir reads library_dir from a settings file that does not
// decode (cut short, garbled elsewhere): the last complete, decodable,
// absolute value, as json.Unmarshal takes the last of repeated keys; ""
// when there is none.
func salvageLibraryDir(b []byte) string {
	ms := libraryDirField.FindAllSubmatch(b, -1)
	for i := len(ms) - 1; i >= 0; i-- {
		var v string
		if json.Unmarshal(ms[i][1], &v) == nil && filepath.IsAbs(v) {
			return filepath.Clean(v)
		}
	}
	return ""
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
