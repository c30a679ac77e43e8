package jobs

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"meshdrop/core/jobs/jobstest"
	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/rodin"
	"meshdrop/core/provider/rodin/rodintest"
)

const testSecret = "rdn_test_0123456789abcdef"

// rig is a fake Rodin on loopback, an adapter pointed at it, a key, and a
// file-backed store in a temporary folder that outlives any one runner.
type rig struct {
	t      *testing.T
	srv    *rodintest.Server
	rodin  *rodin.Rodin
	keys   *jobstest.Keys
	lib    *library.Library
	store  *jobstest.Recorder
	dir    string
	limits map[string]Limits
	httpc  httpx.Config
	extra  []provider.Provider // more providers for runner(g.extra...)
}

func newRig(t *testing.T) *rig {
	t.Helper()
	srv := rodintest.New(testSecret)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	g := &rig{t: t, srv: srv, dir: dir, keys: jobstest.NewKeys()}
	g.keys.Add(keys.Key{ID: "k1", Name: "main", Provider: provider.Rodin, Source: keys.SourceSession}, testSecret)
	g.httpc = httpx.Config{Backoff: httpx.Backoff{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond}}
	g.reopenStore()
	g.rebuildAdapter()
	return g
}

func (g *rig) rebuildAdapter() {
	a, err := rodin.New(rodin.Config{BaseURL: g.srv.BaseURL(), PollEvery: 5 * time.Millisecond, AllowFastPoll: true, HTTP: g.httpc})
	if err != nil {
		g.t.Fatal(err)
	}
	g.rodin = a
}

// reopenStore opens the library folder again, as a new process would.
func (g *rig) reopenStore() {
	if g.lib != nil {
		g.lib.Close()
	}
	lib, err := library.Open(filepath.Join(g.dir, "library"), library.Config{Thumbnail: pngThumbnail, IndexDelay: time.Millisecond})
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { lib.Close() })
	g.lib = lib
	g.store = jobstest.Wrap(lib)
}

// pngThumbnail stands in for the renderer (whose GLB loader is not in this
// build yet): it checks the model is a GLB and writes a real 8×8 PNG.
func pngThumbnail(glbPath, pngPath string, size int) error {
	data, err := os.ReadFile(glbPath)
	if err != nil {
		return err
	}
	if len(data) < 12 || string(data[:4]) != "glTF" {
		return errors.New("not a GLB")
	}
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return os.WriteFile(pngPath, buf.Bytes(), 0o600)
}

func (g *rig) runner(ctx context.Context, ps ...provider.Provider) *Runner {
	g.t.Helper()
	if len(ps) == 0 {
		ps = []provider.Provider{g.rodin}
	} else {
		ps = append([]provider.Provider{g.rodin}, ps...)
	}
	r, err := New(ctx, Config{
		Store: g.store, Keys: g.keys, Providers: provider.NewRegistry(ps...),
		Limits: g.limits, LockDir: filepath.Join(g.dir, "locks"),
		PublishEvery: 5 * time.Millisecond, RetryBase: 5 * time.Millisecond,
		SaveProgressEvery: 10 * time.Millisecond,
	})
	if err != nil {
		g.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(g.dir, "locks"), 0o700); err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(r.Close)
	return r
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// checkDone asserts a done job with a model that is a whole GLB with the
// recorded sha256, and a thumbnail.
func checkDone(t *testing.T, g *rig, j library.Job) {
	t.Helper()
	if j.State != library.StateDone {
		t.Fatalf("job %s ended %s (error %+v), want done", j.ID, j.State, j.Error)
	}
	var model, thumb bool
	for _, f := range j.Outputs {
		data, err := os.ReadFile(filepath.Join(g.lib.JobDir(j.ID), f.File))
		if err != nil {
			t.Fatalf("output %s: %v", f.File, err)
		}
		if int64(len(data)) != f.Size || sha(data) != f.SHA256 {
			t.Fatalf("output %s: size/sha256 in the record do not match the file", f.File)
		}
		switch f.Kind {
		case string(provider.OutModel):
			model = true
			if string(data) != string(rodintest.TriangleGLB()) {
				t.Fatalf("model %s is not the served GLB", f.File)
			}
		case "thumbnail":
			thumb = true
		}
	}
	if !model || !thumb {
		t.Fatalf("job %s outputs %+v: want a model and a thumbnail", j.ID, j.Outputs)
	}
}
