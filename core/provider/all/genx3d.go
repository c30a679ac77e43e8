package all

import (
	"log/slog"

	"meshdrop/core/provider"
	"meshdrop/core/provider/genx3d"
	"meshdrop/core/settings"
)

// buildGenX3D makes the genX3D adapter. Its base URL is the user's server
// (settings or MESHDROP_GENX3D_URL); the docs' localhost example otherwise.
func buildGenX3D(s settings.Settings, log *slog.Logger) (provider.Provider, error) {
	return genx3d.New(genx3d.Config{
		BaseURL: s.BaseURL(provider.GenX3D, genx3d.DefaultBaseURL),
		Log:     log,
		HTTP:    HTTPConfig(s, provider.GenX3D),
	})
}
