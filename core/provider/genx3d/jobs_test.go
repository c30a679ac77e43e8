package genx3d_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"meshdrop/core/jobs"
	"meshdrop/core/jobs/jobstest"
	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/meshio/meshiotest"
	"meshdrop/core/provider"
	"meshdrop/core/provider/genx3d"
	"meshdrop/core/provider/genx3d/genx3dtest"
	"meshdrop/core/provider/httpx"
)

// A genX3D job through the real job engine and library: the exported STL is
// kept as it came, and the model joins the gallery as a valid GLB.
func TestGenX3DJobEndsInTheGallery(t *testing.T) {
	srv, secret := genx3dtest.New()
	defer srv.Close()
	g, err := genx3d.New(genx3d.Config{BaseURL: srv.BaseURL(), HTTP: httpx.Config{Backoff: httpx.Backoff{Base: time.Millisecond, Attempts: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	ks := jobstest.NewKeys()
	ks.Add(keys.Key{ID: "k1", Name: "workshop", Provider: provider.GenX3D, Source: keys.SourceSession}, secret)
	lib, err := library.Open(filepath.Join(t.TempDir(), "library"), library.Config{IndexDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	r, err := jobs.New(context.Background(), jobs.Config{Store: lib, Keys: ks, Providers: provider.NewRegistry(g), RetryBase: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	j, err := r.Submit(context.Background(), jobs.Spec{Provider: provider.GenX3D, Prompt: "Create a 25mm cube"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j, err = r.Wait(ctx, j.ID)
	if err != nil || j.State != library.StateDone {
		t.Fatalf("job %s %v (%+v)", j.State, err, j.Error)
	}
	files := map[string]library.File{}
	for _, f := range j.Outputs {
		files[f.Kind] = f
	}
	model, raw := files[string(provider.OutModel)], files[string(provider.OutOther)]
	if model.Format != "glb" || raw.Format != "stl" {
		t.Fatalf("outputs %+v", j.Outputs)
	}
	glb, err := os.ReadFile(filepath.Join(lib.JobDir(j.ID), model.File))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := meshiotest.Inspect(glb)
	if err != nil || sum.Triangles != 12 || sum.Max[1]-sum.Min[1] != 25 {
		t.Fatalf("%+v %v", sum, err)
	}
	if srv.Hits("POST /chat") != 1 || srv.Hits("POST /models") != 1 {
		t.Fatalf("creates sent: chat %d, models %d", srv.Hits("POST /chat"), srv.Hits("POST /models"))
	}
	meshiotest.AssertValid(t, filepath.Join(lib.JobDir(j.ID), model.File))
}
