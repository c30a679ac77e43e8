package all

import (
	"fmt"
	"log/slog"

	"meshdrop/core/provider"
	"meshdrop/core/settings"
)

// inputs is what an adapter is built from in the settings (see the builders):
// the base URL as the user set it (or MESHDROP_<ID>_URL), Tripo's region, the
// request rate and the response size caps. While they are unchanged the
// adapter is kept, with whatever it holds (open connections, a rate
// limiter's state).
type inputs struct {
	baseURL string
	region  string
	rate    float64
	maxJSON int64
	maxFile int64
}

// noSettings are the providers whose adapter reads nothing from the
// settings (buildSandbox): a settings change never rebuilds them.
var noSettings = map[string]bool{provider.Sandbox: true}

func inputsOf(s settings.Settings, id string) inputs {
	if noSettings[id] {
		return inputs{}
	}
	ps := s.Providers[id]
	return inputs{
		baseURL: s.BaseURL(id, ""), // "": the documented default, resolved by the builder
		region:  ps.Region,
		rate:    ps.RatePerSecond,
		maxJSON: s.MaxJSONBytes,
		maxFile: s.MaxFileBytes,
	}
}

// Changed builds the adapters of every provider whose settings differ
// between old and new, for provider.Registry.Replace. Every adapter is built
// from new first, so a wrong setting (a base URL that is not https to a
// non-loopback host, an unknown Tripo region) is an error naming the
// provider and nothing is returned: the caller keeps the registry it has.
func Changed(old, new settings.Settings, log *slog.Logger, opts ...Option) ([]provider.Provider, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var out []provider.Provider
	for _, b := range builders(optionsOf(opts)) {
		p, err := b(new, log)
		if err != nil {
			return nil, fmt.Errorf("provider settings: %w", err)
		}
		if inputsOf(old, p.ID()) != inputsOf(new, p.ID()) {
			out = append(out, p)
		}
	}
	return out, nil
}
