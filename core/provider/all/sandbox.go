package all

import (
	"log/slog"
	"path/filepath"

	"meshdrop/core/paths"
	"meshdrop/core/provider"
	"meshdrop/core/provider/sandbox"
	"meshdrop/core/settings"
)

// buildSandbox makes the offline Sandbox. Its tasks' input images live in
// <data>/sandbox so an image task resumes after a restart; when the data
// folder cannot be found they are kept in memory (text tasks resume anyway).
func buildSandbox(_ settings.Settings, log *slog.Logger) (provider.Provider, error) {
	cfg := sandbox.Config{}
	if d, err := paths.Resolve(); err == nil {
		cfg.StateDir = filepath.Join(d.Data, "sandbox")
	} else {
		log.Warn("sandbox: no data folder; image tasks will not survive a restart", "err", err)
	}
	return sandbox.New(cfg), nil
}
