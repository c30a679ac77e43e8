// Package paths decides where Meshdrop keeps its configuration, data, library
// and logs. MESHDROP_HOME moves all of them under one folder (portable use and
// tests); otherwise the operating system's user config and data folders are used.
package paths

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// EnvHome is the environment variable that moves every Meshdrop folder under one root.
const EnvHome = "MESHDROP_HOME"

// Dirs are the folders Meshdrop writes to.
type Dirs struct {
	Config  string // settings.json, keys.json (metadata only, never secrets)
	Data    string // history index, logs
	Library string // one folder per job: model, inputs, thumbnail, job.json
	Logs    string
}

// Resolve works out the folders from the environment without creating them.
func Resolve() (Dirs, error) {
	if root := os.Getenv(EnvHome); root != "" {
		abs, err := filepath.Abs(root)
		if err != nil {
			return Dirs{}, err
		}
		return under(filepath.Join(abs, "config"), filepath.Join(abs, "data")), nil
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		return Dirs{}, errors.New("cannot find your user config folder; set MESHDROP_HOME to a folder Meshdrop may use")
	}
	data, err := userDataDir()
	if err != nil {
		return Dirs{}, err
	}
	return under(filepath.Join(cfg, "meshdrop"), filepath.Join(data, "meshdrop")), nil
}

func under(config, data string) Dirs {
	return Dirs{
		Config:  config,
		Data:    data,
		Library: filepath.Join(data, "library"),
		Logs:    filepath.Join(data, "logs"),
	}
}

// Ensure creates every folder (private to the user).
func (d Dirs) Ensure() error {
	for _, p := range []string{d.Config, d.Data, d.Library, d.Logs} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return err
		}
	}
	return nil
}

func userDataDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return d, nil
		}
	case "darwin":
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, "Library", "Application Support"), nil
		}
	default:
		if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return d, nil
		}
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, ".local", "share"), nil
		}
	}
	return "", errors.New("cannot find your user data folder; set MESHDROP_HOME to a folder Meshdrop may use")
}
