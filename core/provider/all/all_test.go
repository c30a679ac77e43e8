package all

import (
	"context"
	"strings"
	"testing"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/meshy/meshytest"
	"meshdrop/core/provider/rodin/rodintest"
	"meshdrop/core/provider/tripo"
	"meshdrop/core/provider/tripo/triptest"
	"meshdrop/core/settings"
)

// The environment override reaches the adapter: a balance read goes to the
// loopback server named by MESHDROP_RODIN_URL, not to the documented host.
func TestEnvURLOverrideReachesTheAdapter(t *testing.T) {
	srv := rodintest.New("rodin-key-123")
	defer srv.Close()
	t.Setenv(settings.EnvURL(provider.Rodin), srv.BaseURL())
	reg, err := Registry(settings.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Get(provider.Rodin)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Balance(context.Background(), provider.Credential{Name: "k", Secret: keys.NewSecret("rodin-key-123")})
	if err != nil || b.Credits != srv.Balance {
		t.Fatalf("balance %+v err %v", b, err)
	}
}

// A base URL that would send keys over plain http to another machine is
// refused with an error naming the provider.
func TestPlainHTTPBaseURLIsRefused(t *testing.T) {
	s := settings.Default()
	s.Providers = map[string]settings.Provider{provider.Rodin: {BaseURL: "http://proxy.example.com/api"}}
	t.Setenv(settings.EnvURL(provider.Rodin), "")
	_, err := Registry(s, nil)
	if err == nil || !strings.Contains(err.Error(), "Rodin") || !strings.Contains(err.Error(), "https") {
		t.Fatalf("err = %v", err)
	}
}

// Every built provider reports its own ID and options that pass their own checks.
func TestEveryProviderIsConsistent(t *testing.T) {
	reg, err := Registry(settings.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.All()) != len(builders(options{})) {
		t.Fatalf("%d providers for %d builders", len(reg.All()), len(builders(options{})))
	}
	for _, p := range reg.All() {
		c := p.Capabilities()
		if len(c.Modes) == 0 {
			t.Errorf("%s has no modes", p.ID())
		}
		for _, m := range c.Modes {
			if err := c.ValidateOptions(p.DisplayName(), m, c.Defaults(m)); err != nil {
				t.Errorf("%s: its own defaults fail for %s: %v", p.ID(), m, err)
			}
		}
	}
}

func TestMeshyEnvURLOverride(t *testing.T) {
	srv := meshytest.New(t, "msy_abcdefghijklmnopqrstuvwxyz0123456789")
	t.Setenv(settings.EnvURL(provider.Meshy), srv.BaseURL())
	reg, err := Registry(settings.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Get(provider.Meshy)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Balance(context.Background(), provider.Credential{Name: "k", Secret: keys.NewSecret("msy_abcdefghijklmnopqrstuvwxyz0123456789")})
	if err != nil || b.Credits != srv.Balance {
		t.Fatalf("balance %+v err %v", b, err)
	}
}

func TestTripoRegionSetting(t *testing.T) {
	t.Setenv(settings.EnvURL(provider.Tripo), "")
	s := settings.Default()
	s.Providers = map[string]settings.Provider{provider.Tripo: {Region: tripo.RegionChina}}
	reg, err := Registry(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := reg.Get(provider.Tripo)
	if got := p.(*tripo.Tripo).BaseURL(); got != tripo.ChinaBaseURL {
		t.Fatalf("china region: %s", got)
	}
	// The environment override wins over the region.
	srv := triptest.New(t, "tsk_key")
	t.Setenv(settings.EnvURL(provider.Tripo), srv.BaseURL())
	reg, err = Registry(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ = reg.Get(provider.Tripo)
	b, err := p.Balance(context.Background(), provider.Credential{Name: "k", Secret: keys.NewSecret("tsk_key")})
	if err != nil || b.Credits != srv.Balance {
		t.Fatalf("balance %+v %v", b, err)
	}
	s.Providers[provider.Tripo] = settings.Provider{Region: "atlantis"}
	t.Setenv(settings.EnvURL(provider.Tripo), "")
	if _, err := Registry(s, nil); err == nil {
		t.Fatal("unknown region accepted")
	}
}
