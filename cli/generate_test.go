package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meshdrop/core/app"
	"meshdrop/core/jobs"
	"meshdrop/core/jobs/jobstest"
	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/paths"
	"meshdrop/core/provider"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/rodin"
	"meshdrop/core/provider/rodin/rodintest"
)

const rodinTestKey = "rdn_cli_test_secret_4242"

// rodinEnv is a CLI environment over temporary folders whose runner talks
// to a fake Rodin on loopback with one stored key.
func rodinEnv(t *testing.T, tune func(*rodintest.Server, *httpx.Config)) (*Env, *bytes.Buffer, *bytes.Buffer, *rodintest.Server) {
	t.Helper()
	srv := rodintest.New(rodinTestKey)
	t.Cleanup(srv.Close)
	hc := httpx.Config{Backoff: httpx.Backoff{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond}}
	if tune != nil {
		tune(srv, &hc)
	}
	e, out, errb := rodinEnvAt(t, context.Background(), t.TempDir(), srv, hc)
	return e, out, errb, srv
}

// rodinEnvAt is one Meshdrop process over the folders in root: a second
// call with the same root is the same user starting Meshdrop again.
func rodinEnvAt(t *testing.T, ctx context.Context, root string, srv *rodintest.Server, hc httpx.Config) (*Env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	dirs := paths.Dirs{Config: filepath.Join(root, "config"), Data: filepath.Join(root, "data"),
		Library: filepath.Join(root, "data", "library"), Logs: filepath.Join(root, "logs")}
	ap, err := app.NewAt(ctx, dirs, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ap.Close)
	var out, errb bytes.Buffer
	e := &Env{App: ap, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	a, err := rodin.New(rodin.Config{BaseURL: srv.BaseURL(), PollEvery: 5 * time.Millisecond, AllowFastPoll: true, HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	lib, err := e.Library()
	if err != nil {
		t.Fatal(err)
	}
	ks := jobstest.NewKeys()
	ks.Add(keys.Key{ID: "rk1", Name: "studio", Provider: provider.Rodin, Source: keys.SourceSession}, rodinTestKey)
	r, err := jobs.New(ctx, jobs.Config{Store: lib, Keys: ks, Providers: provider.NewRegistry(a),
		Limits:  map[string]jobs.Limits{provider.Rodin: {MaxConcurrent: 2, RatePerSecond: 200}},
		LockDir: filepath.Join(root, "data", "locks"), PublishEvery: 5 * time.Millisecond, RetryBase: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "data", "locks"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := e.UseRunner(r); err != nil {
		t.Fatal(err)
	}
	return e, &out, &errb
}

func TestGenerateWaitPutsModelInLibrary(t *testing.T) {
	e, out, errb, srv := rodinEnv(t, nil)
	code := Run(e, []string{"generate", "--provider", "rodin", "--prompt", "red wooden cube", "--set", "quality=low", "--wait"})
	if code != ExitOK {
		t.Fatalf("exit %d; stderr: %s", code, errb)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	id, _, _ := strings.Cut(lines[0], " ")
	lib, _ := e.Library()
	j, err := lib.Get(id)
	if err != nil {
		t.Fatalf("first line %q is not a job: %v", lines[0], err)
	}
	if j.State != library.StateDone {
		t.Fatalf("job %s", j.State)
	}
	m, ok := library.ModelFile(j)
	if !ok {
		t.Fatalf("no model in %+v", j.Outputs)
	}
	data, err := os.ReadFile(filepath.Join(lib.JobDir(id), m.File))
	if err != nil || !bytes.Equal(data, rodintest.TriangleGLB()) {
		t.Fatalf("model file: %v", err)
	}
	if !strings.Contains(out.String(), "done") {
		t.Fatalf("no done line in %q", out)
	}
	if srv.Creates() != 1 {
		t.Fatalf("%d creates", srv.Creates())
	}
	if strings.Contains(out.String()+errb.String(), rodinTestKey) {
		t.Fatal("the secret was printed")
	}
}

func TestGenerateJSONAndNoWait(t *testing.T) {
	e, out, errb, _ := rodinEnv(t, func(s *rodintest.Server, _ *httpx.Config) { s.StepsPerJob = 50 })
	code := Run(e, []string{"generate", "--provider", "rodin", "--prompt", "a pillar", "--json"})
	if code != ExitOK {
		t.Fatalf("exit %d; stderr: %s", code, errb)
	}
	evs := jsonLines[jobEvent](t, out.Bytes())
	if len(evs) != 1 || (evs[0].State != library.StateQueued && evs[0].State != library.StateRunning) {
		t.Fatalf("events %+v: want one, for a job the provider has taken", evs)
	}
	lib, _ := e.Library()
	j, err := lib.Get(evs[0].ID)
	if err != nil || len(j.Stages) != 1 || j.Stages[0].Ref.ID == "" {
		t.Fatalf("job %+v %v: want a recorded provider task", j, err)
	}
	out.Reset()
	if code := Run(e, []string{"jobs", "wait", evs[0].ID, "--json"}); code != ExitOK {
		t.Fatalf("jobs wait exit %d: %s", code, errb)
	}
	evs = jsonLines[jobEvent](t, out.Bytes())
	if last := evs[len(evs)-1]; last.State != library.StateDone || last.ID != j.ID {
		t.Fatalf("last event %+v", last)
	}
}

func TestGenerateUsageAndKeys(t *testing.T) {
	e, _, errb, srv := rodinEnv(t, nil)
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"generate", "--provider", "rodin"}, ExitUsage, "--prompt"},
		{[]string{"generate", "--provider", "rodin", "--prompt", "x", "--set", "quality=ultra"}, ExitUsage, "quality"},
		{[]string{"generate", "--provider", "rodin", "--prompt", "x", "--key", "nope"}, ExitNoKey, "no Rodin"},
		{[]string{"generate", "--provider", "nosuch", "--prompt", "x"}, ExitUsage, "unknown provider"},
		{[]string{"generate", "--provider", "rodin", "--image", "/nonexistent.png"}, ExitNotFound, "cannot read image"},
	}
	for _, c := range cases {
		errb.Reset()
		if code := Run(e, c.args); code != c.code || !strings.Contains(errb.String(), c.says) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errb, c.code, c.says)
		}
	}
	if srv.Creates() != 0 {
		t.Fatalf("a refused command sent %d creates", srv.Creates())
	}
}

// A create whose answer never comes: exit 5, the job is unknown, and
// reconcile explains that Rodin cannot look it up.
func TestGenerateLostAnswerExitsUnknown(t *testing.T) {
	e, out, errb, srv := rodinEnv(t, func(s *rodintest.Server, hc *httpx.Config) {
		s.HangCreate.Store(true)
		// Long enough to dial and write the create on a loaded machine (a
		// timeout before the write is "not sent", another outcome).
		hc.RequestTimeout, hc.HeaderTimeout = 3*time.Second, 3*time.Second
	})
	code := Run(e, []string{"generate", "--provider", "rodin", "--prompt", "a bell", "--wait"})
	if code != ExitUnknown || !strings.Contains(errb.String(), "submission unknown") {
		t.Fatalf("exit %d, stderr %q", code, errb)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(out.String()), " ")
	errb.Reset()
	if code := Run(e, []string{"jobs", "reconcile", id}); code != ExitFailure || !strings.Contains(errb.String(), "no task list") {
		t.Fatalf("reconcile exit %d, stderr %q", code, errb)
	}
	if code := Run(e, []string{"jobs", "cancel", id}); code != ExitFailure {
		t.Fatalf("cancel of an unknown job exit %d", code)
	}
	if srv.Creates() != 1 {
		t.Fatalf("%d creates, want 1", srv.Creates())
	}
}

func TestJobsCancelRodinKeepsWatching(t *testing.T) {
	e, out, errb, _ := rodinEnv(t, func(s *rodintest.Server, _ *httpx.Config) { s.StepsPerJob = 40 })
	if code := Run(e, []string{"generate", "--provider", "rodin", "--prompt", "a cone"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	id := strings.TrimSpace(out.String())
	out.Reset()
	code := Run(e, []string{"jobs", "cancel", id})
	if code != ExitUnknown || !strings.Contains(out.String(), "may still charge") {
		t.Fatalf("cancel exit %d, out %q, err %q", code, out, errb)
	}
	lib, _ := e.Library()
	j, _ := lib.Get(id)
	if !j.CancelRequested {
		t.Fatal("cancel not recorded")
	}
}

// Tried as a new user would: the real App wiring (library, vault, provider
// registry, runner) and the offline Sandbox put a model and its thumbnail in
// the library, and 'jobs list' shows the job.
func TestGenerateSandboxEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("the Sandbox takes a few seconds per model")
	}
	// The registry puts the Sandbox's state under MESHDROP_HOME's data
	// folder, not the App's: keep it out of the real one.
	t.Setenv("MESHDROP_HOME", t.TempDir())
	e, out, errb := libEnv(t)
	code := Run(e, []string{"generate", "--provider", "sandbox", "--prompt", "red wooden cube", "--wait"})
	if code != ExitOK {
		t.Fatalf("exit %d\nout %s\nerr %s", code, out, errb)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(out.String()), " ")
	lib, _ := e.Library()
	j, err := lib.Get(id)
	if err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	m, ok := library.ModelFile(j)
	if !ok || j.State != library.StateDone {
		t.Fatalf("job %s outputs %+v", j.State, j.Outputs)
	}
	if err := library.CheckGLBFile(filepath.Join(lib.JobDir(id), m.File)); err != nil {
		t.Fatal(err)
	}
	var thumb bool
	for _, f := range j.Outputs {
		if f.Kind == library.KindThumbnail {
			data, err := os.ReadFile(filepath.Join(lib.JobDir(id), f.File))
			thumb = err == nil && bytes.HasPrefix(data, []byte("\x89PNG"))
		}
	}
	if !thumb {
		t.Fatalf("no PNG thumbnail in %+v", j.Outputs)
	}
	out.Reset()
	if code := Run(e, []string{"jobs", "list"}); code != ExitOK || !strings.Contains(out.String(), id) || !strings.Contains(out.String(), "done") {
		t.Fatalf("jobs list: %d %q", code, out)
	}
}

// A provider with a cancel (the Sandbox) cancels the task: the job ends
// cancelled and nothing is downloaded.
func TestJobsCancelSandbox(t *testing.T) {
	t.Setenv("MESHDROP_HOME", t.TempDir()) // the Sandbox records the cancel under it
	e, out, errb := libEnv(t)
	if code := Run(e, []string{"generate", "--provider", "sandbox", "--prompt", "a blue sphere"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	id := strings.TrimSpace(out.String())
	out.Reset()
	if code := Run(e, []string{"jobs", "cancel", id}); code != ExitOK || !strings.Contains(out.String(), "cancelled") {
		t.Fatalf("cancel exit %d, out %q, err %q", code, out, errb)
	}
	lib, _ := e.Library()
	j, _ := lib.Get(id)
	if j.State != library.StateCancelled || len(j.Outputs) != 0 || !j.CancelRequested {
		t.Fatalf("job %s, outputs %v", j.State, j.Outputs)
	}
}

// 'generate' without --wait leaves once the provider has the task; a later
// process's 'jobs wait' (no IDs: every unfinished job) picks it up and
// finishes it without a second create.
func TestJobsWaitResumesInANewProcess(t *testing.T) {
	srv := rodintest.New(rodinTestKey)
	defer srv.Close()
	srv.StepsPerJob = 20
	hc := httpx.Config{Backoff: httpx.Backoff{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond}}
	root := t.TempDir()
	e1, out1, errb1 := rodinEnvAt(t, context.Background(), root, srv, hc)
	if code := Run(e1, []string{"generate", "--provider", "rodin", "--prompt", "a tall vase"}); code != ExitOK {
		t.Fatalf("generate exit %d: %s", code, errb1)
	}
	id := strings.TrimSpace(out1.String())
	e1.App.Close()

	e2, out2, errb2 := rodinEnvAt(t, context.Background(), root, srv, hc)
	if code := Run(e2, []string{"jobs", "wait"}); code != ExitOK {
		t.Fatalf("jobs wait exit %d: %s", code, errb2)
	}
	if !strings.Contains(out2.String(), id+" done") {
		t.Fatalf("jobs wait printed %q", out2)
	}
	if srv.Creates() != 1 {
		t.Fatalf("%d creates", srv.Creates())
	}
	// The job's goroutine removes its files just after publishing "done",
	// which is what 'jobs wait' returns on: give it a moment on a loaded
	// machine (the runner's Close waits for it in a real process).
	lockFiles, _ := filepath.Glob(filepath.Join(root, "data", "locks", "*"))
	for deadline := time.Now().Add(30 * time.Second); len(lockFiles) != 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		lockFiles, _ = filepath.Glob(filepath.Join(root, "data", "locks", "*"))
	}
	if len(lockFiles) != 0 {
		t.Fatalf("lock files left for a finished job: %v", lockFiles)
	}
	out2.Reset()
	if code := Run(e2, []string{"jobs", "wait"}); code != ExitOK || !strings.Contains(errb2.String(), "No unfinished jobs") {
		t.Fatalf("second wait: %d %q", code, errb2)
	}
}
