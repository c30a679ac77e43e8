package jobs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
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

// Environment of the child process in the SIGKILL test.
const (
	envKillChild = "MESHDROP_JOBS_KILL_CHILD"
	envKillURL   = "MESHDROP_JOBS_KILL_URL"
)

// createCounter sits in front of the fake Rodin API and counts creates per
// prompt, so the test can say which job's create was sent how often.
type createCounter struct {
	next http.Handler
	mu   sync.Mutex
	n    map[string]int
}

func (c *createCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/api/v2/rodin" {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		probe := r.Clone(r.Context())
		probe.Body = io.NopCloser(bytes.NewReader(body))
		if probe.ParseMultipartForm(1<<20) == nil {
			c.mu.Lock()
			c.n[probe.FormValue("prompt")]++
			c.mu.Unlock()
		}
	}
	c.next.ServeHTTP(w, r)
}

// The process driving a batch is killed with SIGKILL at random moments and
// started again, several times, then left to finish. Afterwards: no create
// was sent twice, every job is there and ended (done, or "submission
// unknown" where a kill fell between the intent and the answer), and every
// model on disk is whole and matches its recorded sha256.
func TestSIGKILLDuringBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	srv := rodintest.New(testSecret)
	defer srv.Close()
	srv.StepsPerJob = 3
	counter := &createCounter{next: srv.API.Config.Handler, n: map[string]int{}}
	front := httptest.NewServer(counter)
	defer front.Close()

	dir := t.TempDir()
	lib, err := library.Open(filepath.Join(dir, "library"), library.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 24
	now := time.Now().UTC()
	prompts := map[string]string{}
	for i := 0; i < n; i++ {
		j := library.Job{ID: NewID(), Provider: provider.Rodin, KeyID: "k1", KeyName: "main", Mode: "text",
			Prompt: fmt.Sprintf("batch item %02d", i), State: library.StateDraft, Created: now, Updated: now}
		if err := lib.Put(j); err != nil {
			t.Fatal(err)
		}
		prompts[j.ID] = j.Prompt
	}
	lib.Close()

	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILLChild$", "-test.v")
		cmd.Env = append(os.Environ(), envKillChild+"="+dir, envKillURL+"="+front.URL+"/api")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	kills := 0
	for round := 0; round < 8; round++ {
		cmd := child()
		time.Sleep(time.Duration(20+rand.IntN(120)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err == nil {
			kills++
		}
		_ = cmd.Wait()
	}
	cmd := child()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the last run failed: %v\n%s", err, cmd.Stdout.(*bytes.Buffer))
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the last run did not finish\n%s", cmd.Stdout.(*bytes.Buffer))
	}

	lib, err = library.Open(filepath.Join(dir, "library"), library.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	if p := lib.Problems(); len(p) > 0 {
		t.Fatalf("damaged records after kills: %v", p)
	}
	all, err := lib.List()
	if err != nil || len(all) != n {
		t.Fatalf("%d jobs after the kills (%v), want %d", len(all), err, n)
	}
	counter.mu.Lock()
	defer counter.mu.Unlock()
	var doneN, unknownN int
	for _, j := range all {
		sent := counter.n[prompts[j.ID]]
		if sent > 1 {
			t.Errorf("job %s (%q): create sent %d times", j.ID, j.Prompt, sent)
		}
		switch j.State {
		case library.StateDone:
			doneN++
			if sent != 1 {
				t.Errorf("job %s is done but its create was sent %d times", j.ID, sent)
			}
			m, ok := library.ModelFile(j)
			if !ok {
				t.Errorf("job %s done without a model", j.ID)
				continue
			}
			p := filepath.Join(lib.JobDir(j.ID), m.File)
			data, err := os.ReadFile(p)
			if err != nil || sha(data) != m.SHA256 || int64(len(data)) != m.Size {
				t.Errorf("job %s: model on disk does not match its record (%v)", j.ID, err)
			}
			if err := library.CheckGLBFile(p); err != nil {
				t.Errorf("job %s: %v", j.ID, err)
			}
		case library.StateUnknown:
			unknownN++
		default:
			t.Errorf("job %s ended %s (%+v)", j.ID, j.State, j.Error)
		}
	}
	total := 0
	for _, c := range counter.n {
		total += c
	}
	t.Logf("%d kills; %d done, %d submission unknown; %d creates for %d jobs", kills, doneN, unknownN, total, n)
	if doneN == 0 {
		t.Fatal("no job finished")
	}
}

// TestSIGKILLChild is the process TestSIGKILLDuringBatch kills: it resumes
// every unfinished job in the library and waits for them all.
func TestSIGKILLChild(t *testing.T) {
	dir := os.Getenv(envKillChild)
	if dir == "" {
		t.Skip("run by TestSIGKILLDuringBatch")
	}
	lib, err := library.Open(filepath.Join(dir, "library"), library.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	a, err := rodin.New(rodin.Config{BaseURL: os.Getenv(envKillURL), PollEvery: 5 * time.Millisecond, AllowFastPoll: true,
		HTTP: httpx.Config{Backoff: httpx.Backoff{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	ks := jobstest.NewKeys()
	ks.Add(keys.Key{ID: "k1", Name: "main", Provider: provider.Rodin}, testSecret)
	locks := filepath.Join(dir, "locks")
	os.MkdirAll(locks, 0o700)
	r, err := New(context.Background(), Config{Store: lib, Keys: ks, Providers: provider.NewRegistry(a), LockDir: locks,
		Limits:    map[string]Limits{provider.Rodin: {MaxConcurrent: 4, RatePerSecond: 100}},
		RetryBase: 5 * time.Millisecond, SaveProgressEvery: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ids, err := r.Resume()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	for _, id := range ids {
		if _, err := r.Wait(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
}
