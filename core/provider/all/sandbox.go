package all

import (
	"log/slog"
	"path/filepath"

	"meshdrop/core/paths"
	"meshdrop/core/provider"
	"meshdrop/core/provider/sandbox"
	"meshdrop/core/settings"
)

// sandboxBuilder makes the offline Sandbox. Its tasks' input images live in
// <data>/sandbox so an image task resumes after a restart: data is the
// App's data folder (DataDir), or "" for the one paths.Resolve finds; when
// there is none they are kept in memory (text tasks resume anyway).
func sandboxBuilder(data string) Builder {
	return func(_ settings.Settings, log *slog.Logger) (provider.Provider, error) {
		cfg := sandbox.Config{}
		if data == "" {
			if d, err := paths.Resolve(); err == nil {
				data = d.Data
			} else {
				log.Warn("sandbox: no data folder; image tasks will not survive a restart", "err", err)
			}
		}
		if data != "" {
			cfg.StateDir = filepath.Join(data, "sandbox")
		}
		return sandbox.New(cfg), nil
	}
}
