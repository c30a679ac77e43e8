package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meshdrop/core/jobs"
	"meshdrop/core/jobs/jobstest"
	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/meshy"
	"meshdrop/core/provider/meshy/meshytest"
	"meshdrop/core/provider/tripo"
	"meshdrop/core/settings"
)

const meshyKey = "msy_abcdefghijklmnopqrstuvwxyz0123456789"

func meshyBalance(t *testing.T, reg *provider.Registry) float64 {
	t.Helper()
	p, err := reg.Get(provider.Meshy)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Balance(context.Background(), provider.Credential{Name: "k", Secret: keys.NewSecret(meshyKey)})
	if err != nil {
		t.Fatal(err)
	}
	return b.Credits
}

// Saved settings apply to the open registry and runner without a restart:
// Meshy's base URL moves from loopback host A to B (the key test and the
// next job's create go to B), Tripo's region moves the host, the Sandbox
// adapter (whose settings did not change) is kept, and a new concurrency
// cap reaches the runner. A base URL that would send the key over plain
// http to another machine is refused and nothing changes.
func TestSaveSettingsAppliesWithoutRestart(t *testing.T) {
	t.Setenv(settings.EnvURL(provider.Meshy), "")
	t.Setenv(settings.EnvURL(provider.Tripo), "")
	srvA, srvB := meshytest.New(t, meshyKey), meshytest.New(t, meshyKey)
	srvA.Balance, srvB.Balance = 111, 222
	a := testApp(t)

	s := a.Current()
	s.Providers = map[string]settings.Provider{provider.Meshy: {BaseURL: srvA.BaseURL()}}
	if err := a.SaveSettings(s); err != nil { // nothing open yet: only saved
		t.Fatal(err)
	}
	reg, err := a.Providers()
	if err != nil {
		t.Fatal(err)
	}
	if got := meshyBalance(t, reg); got != 111 {
		t.Fatalf("balance %v, want host A's 111", got)
	}
	sandboxBefore, _ := reg.Get(provider.Sandbox)
	lib, err := a.Library()
	if err != nil {
		t.Fatal(err)
	}
	ks := jobstest.NewKeys()
	ks.Add(keys.Key{ID: "m1", Name: "main", Provider: provider.Meshy}, meshyKey)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // bounds a failure only
	defer cancel()
	r, err := jobs.New(ctx, jobs.Config{Store: lib, Keys: ks, Providers: reg, Settings: a.Current().Providers, RetryBase: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.UseRunner(r); err != nil {
		t.Fatal(err)
	}
	if l := r.LimitsOf(provider.Sandbox); l.MaxConcurrent == 1 {
		t.Fatalf("test needs a Sandbox default cap other than 1: %+v", l)
	}

	s = a.Current()
	s.Providers = map[string]settings.Provider{
		provider.Meshy:   {BaseURL: srvB.BaseURL()},
		provider.Tripo:   {Region: tripo.RegionChina},
		provider.Sandbox: {MaxConcurrent: 1},
	}
	if err := a.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	if got := meshyBalance(t, reg); got != 222 {
		t.Fatalf("balance %v after the change, want host B's 222", got)
	}
	if p, _ := reg.Get(provider.Tripo); p.(*tripo.Tripo).BaseURL() != tripo.ChinaBaseURL {
		t.Fatalf("tripo host %s after choosing the China region", p.(*tripo.Tripo).BaseURL())
	}
	if p, _ := reg.Get(provider.Sandbox); p != sandboxBefore {
		t.Fatal("the Sandbox adapter was rebuilt though its settings did not change")
	}
	if l := r.LimitsOf(provider.Sandbox); l.MaxConcurrent != 1 {
		t.Fatalf("sandbox limits %+v after saving cap 1", l)
	}
	j, err := r.Submit(ctx, jobs.Spec{Provider: provider.Meshy, Prompt: "a brass owl", Options: map[string]string{meshy.OptStopAtPreview: "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if j, err = r.WaitUntil(ctx, j.ID, jobs.Accepted); err != nil || j.State.Finished() {
		t.Fatalf("new job: %s %+v %v", j.State, j.Error, err)
	}
	if srvB.Creates() != 1 || srvA.Creates() != 0 {
		t.Fatalf("the new job's create: %d at B (want 1), %d at A (want 0)", srvB.Creates(), srvA.Creates())
	}

	// Refused: plain http to another machine. Nothing is written or swapped.
	saved, _ := os.ReadFile(filepath.Join(a.Dirs.Config, settings.FileName))
	bad := a.Current()
	bad.Providers = map[string]settings.Provider{provider.Meshy: {BaseURL: "http://proxy.example.com/openapi"}}
	err = a.SaveSettings(bad)
	if err == nil || !strings.Contains(err.Error(), "Meshy") || !strings.Contains(err.Error(), "https") {
		t.Fatalf("plain-http base URL: err = %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(a.Dirs.Config, settings.FileName)); string(now) != string(saved) {
		t.Fatal("refused settings were written")
	}
	if a.Current().Providers[provider.Meshy].BaseURL != srvB.BaseURL() {
		t.Fatal("refused settings became the current ones")
	}
	if got := meshyBalance(t, reg); got != 222 {
		t.Fatalf("balance %v after a refused change, want host B's 222", got)
	}
}
