package all

import (
	"context"
	"testing"
	"time"

	"meshdrop/core/jobs"
	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/provider/meshy"
	"meshdrop/core/provider/meshy/meshytest"
	"meshdrop/core/provider/tripo/triptest"
	"meshdrop/core/settings"
)

// oneKey is a key source holding one key per provider, in memory.
type oneKey map[string]string // provider → secret

func (k oneKey) key(p string) keys.Key {
	return keys.Key{ID: p + "-key", Name: p + " key", Provider: p}
}
func (k oneKey) Get(id string) (keys.Key, bool) {
	for p := range k {
		if k.key(p).ID == id {
			return k.key(p), true
		}
	}
	return keys.Key{}, false
}
func (k oneKey) Find(p, name string) (keys.Key, bool) {
	if _, ok := k[p]; ok && (name == "" || name == k.key(p).Name || name == k.key(p).ID) {
		return k.key(p), true
	}
	return keys.Key{}, false
}
func (k oneKey) ForProvider(p string) []keys.Key {
	if _, ok := k[p]; ok {
		return []keys.Key{k.key(p)}
	}
	return nil
}
func (k oneKey) Secret(id string) (keys.Secret, error) {
	for p, s := range k {
		if k.key(p).ID == id {
			return keys.NewSecret(s), nil
		}
	}
	return keys.Secret{}, keys.ErrNotFound
}

// The real job runner drives the Meshy and Tripo adapters, built by
// Registry, against their loopback servers: Meshy's text job goes through
// both stages (or stops at the preview when asked), Tripo's in one, and the
// results land in the library.
func TestJobsRunOnTheAdapters(t *testing.T) {
	msrv := meshytest.New(t, "msy_abcdefghijklmnopqrstuvwxyz0123456789")
	tsrv := triptest.New(t, "tsk_key")
	t.Setenv(settings.EnvURL(provider.Meshy), msrv.BaseURL())
	t.Setenv(settings.EnvURL(provider.Tripo), tsrv.BaseURL())
	reg, err := Registry(settings.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := library.Open(t.TempDir(), library.Config{IndexDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // only bounds a failure; CI is loaded
	defer cancel()
	r, err := jobs.New(ctx, jobs.Config{Store: lib, Providers: reg, RetryBase: 10 * time.Millisecond,
		Keys:   oneKey{provider.Meshy: "msy_abcdefghijklmnopqrstuvwxyz0123456789", provider.Tripo: "tsk_key"},
		Limits: map[string]jobs.Limits{provider.Meshy: {MaxConcurrent: 2}, provider.Tripo: {MaxConcurrent: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	run := func(s jobs.Spec) library.Job {
		t.Helper()
		j, err := r.Submit(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		r.Start(j.ID)
		j, err = r.Wait(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	j := run(jobs.Spec{Provider: provider.Meshy, Prompt: "a brass owl"})
	if j.State != library.StateDone || len(j.Stages) != 2 || j.Stages[0].Name != meshy.StagePreview || j.Stages[1].Name != meshy.StageRefine {
		t.Fatalf("meshy job %s, stages %+v, error %+v", j.State, j.Stages, j.Error)
	}
	if !hasModelFile(j) || msrv.Creates() != 2 {
		t.Fatalf("meshy outputs %+v, creates %d", j.Outputs, msrv.Creates())
	}
	j = run(jobs.Spec{Provider: provider.Meshy, Prompt: "a chair", Options: map[string]string{meshy.OptStopAtPreview: "true"}})
	if j.State != library.StateDone || len(j.Stages) != 1 || !hasModelFile(j) || msrv.Creates() != 3 {
		t.Fatalf("stop at preview: %s stages %+v creates %d", j.State, j.Stages, msrv.Creates())
	}
	j = run(jobs.Spec{Provider: provider.Tripo, Prompt: "a clay teapot"})
	if j.State != library.StateDone || !hasModelFile(j) || tsrv.Creates() != 1 {
		t.Fatalf("tripo job %s %+v error %+v", j.State, j.Outputs, j.Error)
	}
	if msrv.CDN.AuthSeen.Load() != 0 || tsrv.CDN.AuthSeen.Load() != 0 {
		t.Fatal("a key reached a result host")
	}
}

func hasModelFile(j library.Job) bool {
	for _, f := range j.Outputs {
		if f.Kind == "model" && f.Format == "glb" {
			return true
		}
	}
	return false
}
