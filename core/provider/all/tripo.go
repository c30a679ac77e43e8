package all

import (
	"log/slog"

	"meshdrop/core/provider"
	"meshdrop/core/provider/tripo"
	"meshdrop/core/settings"
)

// buildTripo picks the host by the region setting (international or China);
// a base URL in the settings or MESHDROP_TRIPO_URL still wins over both.
func buildTripo(s settings.Settings, log *slog.Logger) (provider.Provider, error) {
	def, err := tripo.BaseURLFor(s.Providers[provider.Tripo].Region)
	if err != nil {
		return nil, err
	}
	return tripo.New(tripo.Config{
		BaseURL: s.BaseURL(provider.Tripo, def),
		Log:     log,
		HTTP:    HTTPConfig(s, provider.Tripo),
	})
}
