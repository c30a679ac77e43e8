// Package all builds the provider registry: every adapter Meshdrop ships,
// each with its base URL from the settings (or MESHDROP_<ID>_URL) and the
// response size caps the user chose. It is the one place that knows the list.
package all

import (
	"fmt"
	"log/slog"

	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/meshy"
	"meshdrop/core/provider/rodin"
	"meshdrop/core/settings"
)

// Builder makes one provider from the settings. log is never nil.
type Builder func(s settings.Settings, log *slog.Logger) (provider.Provider, error)

// builders is the list of providers. To add one, append a line (and, if it
// has settings, a small func below or in its own file in this package).
func builders(o options) []Builder {
	return []Builder{
		buildMeshy,
		buildTripo,
		buildRodin,
		sandboxBuilder(o.dataDir),
		buildGenX3D,
	}
}

// Option changes how Registry and Changed build the adapters.
type Option func(*options)

type options struct {
	dataDir string // "": paths.Resolve's data folder
}

// DataDir is the data folder adapters keep state in (the Sandbox's image
// tasks, in <dir>/sandbox): the App's Dirs.Data, so an App on other folders
// (a test's temporary ones) writes nothing in the user's data folder.
// Without it the folder paths.Resolve finds is used.
func DataDir(dir string) Option { return func(o *options) { o.dataDir = dir } }

func optionsOf(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Registry builds every provider. A provider whose settings are wrong (a base
// URL that is not https, say) is an error naming it: the user must fix the
// setting rather than have Meshdrop quietly talk to another host.
func Registry(s settings.Settings, log *slog.Logger, opts ...Option) (*provider.Registry, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bs := builders(optionsOf(opts))
	ps := make([]provider.Provider, 0, len(bs))
	for _, b := range bs {
		p, err := b(s, log)
		if err != nil {
			return nil, fmt.Errorf("provider settings: %w", err)
		}
		ps = append(ps, p)
	}
	return provider.NewRegistry(ps...), nil
}

// HTTPConfig is the part of every adapter's HTTP client that comes from the
// settings: size caps and the provider's request-rate limit.
func HTTPConfig(s settings.Settings, id string) httpx.Config {
	return httpx.Config{
		MaxJSONBytes:  s.MaxJSONBytes,
		MaxFileBytes:  s.MaxFileBytes,
		RatePerSecond: s.Providers[id].RatePerSecond,
	}
}

func buildRodin(s settings.Settings, log *slog.Logger) (provider.Provider, error) {
	return rodin.New(rodin.Config{
		BaseURL: s.BaseURL(provider.Rodin, rodin.DefaultBaseURL),
		Log:     log,
		HTTP:    HTTPConfig(s, provider.Rodin),
	})
}

func buildMeshy(s settings.Settings, log *slog.Logger) (provider.Provider, error) {
	return meshy.New(meshy.Config{
		BaseURL: s.BaseURL(provider.Meshy, meshy.DefaultBaseURL),
		Log:     log,
		HTTP:    HTTPConfig(s, provider.Meshy),
	})
}
