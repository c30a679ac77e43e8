package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"meshdrop/core/jobs"
	"meshdrop/core/library"
	"meshdrop/core/provider"
)

// makeModels runs Sandbox jobs to the end through the real runner.
func makeModels(t *testing.T, svc *services, prompts ...string) []library.Job {
	t.Helper()
	r := svc.Runner.(*jobs.Runner)
	var out []library.Job
	for _, p := range prompts {
		j, err := r.Submit(context.Background(), jobs.Spec{Provider: provider.Sandbox, Prompt: p})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		j, err = r.Wait(ctx, j.ID)
		cancel()
		if err != nil || j.State != library.StateDone {
			t.Fatalf("job %q: state %s, err %v", p, j.State, err)
		}
		out = append(out, j)
	}
	return out
}

func TestJobsEmptyState(t *testing.T) {
	svc := realServices(t)
	mw, w := newTestWindow(t, svc)
	mw.show(screenJobs)
	if mw.jobs.stack.Objects[0] != mw.jobs.empty {
		t.Fatal("no jobs, but the empty state is not shown")
	}
	assertMaster(t, "jobs_empty.xml", w)
}

func TestJobsLiveProgressCancelAndRetry(t *testing.T) {
	svc := realServicesPaced(t, time.Hour) // still running when Cancel is tapped
	mw, _ := newTestWindow(t, svc)
	r := svc.Runner.(*jobs.Runner)
	j, err := r.Submit(context.Background(), jobs.Spec{Provider: provider.Sandbox, Prompt: "a blue sphere"})
	if err != nil {
		t.Fatal(err)
	}
	// The runner's updates reach the list without a reload.
	eventually(t, 30*time.Second, "the running job listed", func() bool {
		var ok bool
		fyne.DoAndWait(func() { ok = len(mw.jobs.rows) == 1 && !mw.jobs.rows[0].State.Finished() })
		return ok
	})
	if mw.jobs.runningCount() != 1 || !strings.HasPrefix(mw.status.Text, "1 job running") {
		t.Fatalf("running=%d status=%q", mw.jobs.runningCount(), mw.status.Text)
	}
	fyne.DoAndWait(func() { mw.jobs.list.Select(0) })
	cancel := findButton(mw.jobs.detail, "Cancel")
	if cancel == nil {
		t.Fatalf("no Cancel for a running job; detail: %v", labelsIn(mw.jobs.detail))
	}
	test.Tap(cancel)
	eventually(t, 30*time.Second, "the job cancelled", func() bool {
		got, err := svc.Library.Get(j.ID)
		return err == nil && got.State == library.StateCancelled
	})
	eventually(t, 30*time.Second, "the row cancelled and the Retry button", func() bool {
		var b *widget.Button
		fyne.DoAndWait(func() { b = findButton(mw.jobs.detail, "Retry as a new job") })
		return b != nil
	})
	fyne.DoAndWait(func() { test.Tap(findButton(mw.jobs.detail, "Retry as a new job")) })
	eventually(t, 30*time.Second, "the retry job", func() bool { return svc.Library.Len() == 2 })
	page, _ := svc.Library.Query(library.Query{})
	var retry library.Job
	for _, s := range page {
		if s.ID != j.ID {
			retry, _ = svc.Library.Get(s.ID)
		}
	}
	if retry.RetryOf != j.ID || retry.Prompt != "a blue sphere" {
		t.Fatalf("retry = %+v", retry)
	}
}

func TestJobLineSaysStateProgressAndETA(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 40, 0, time.UTC)
	j := library.Job{Provider: provider.Meshy, State: library.StateRunning, Progress: 40, QueuePosition: 0,
		Created: now.Add(-40 * time.Second)}
	if got, want := jobLine(j, now), "Meshy · generating 40% · 40s · about 1m 00s left"; got != want {
		t.Fatalf("jobLine = %q, want %q", got, want)
	}
	j = library.Job{Provider: provider.Tripo, State: library.StateQueued, QueuePosition: 3, Created: now.Add(-5 * time.Second)}
	if got, want := jobLine(j, now), "Tripo · queued · 3 jobs ahead at Tripo · 5s"; got != want {
		t.Fatalf("jobLine = %q, want %q", got, want)
	}
	j.QueuePosition = 1
	if got, want := jobLine(j, now), "Tripo · queued · 1 job ahead at Tripo · 5s"; got != want {
		t.Fatalf("jobLine = %q, want %q", got, want)
	}
}

func TestJobsShowPlainWordErrors(t *testing.T) {
	svc := realServices(t)
	// A failed job as the runner stores it, with the provider's own message.
	perr := &provider.Error{Kind: provider.ErrUnauthorized, Provider: "Meshy", KeyName: "Client A", KeyFP: "msy_…9f3a"}
	now := time.Now().UTC()
	j := library.Job{Schema: library.SchemaVersion, ID: library.NewID(), Provider: provider.Meshy, Mode: "text", Prompt: "a lamp",
		State: library.StateFailed, Created: now, Updated: now, Finished: now,
		Error: &library.JobError{Kind: string(perr.Kind), Message: perr.Error(), At: now}}
	if err := svc.Library.Put(j); err != nil {
		t.Fatal(err)
	}
	mw, _ := newTestWindow(t, svc)
	mw.jobs.list.Select(0)
	eventually(t, 30*time.Second, "the error shown", func() bool {
		var ok bool
		fyne.DoAndWait(func() {
			ok = anyContains(labelsIn(mw.jobs.detail), "Meshy rejected the key 'Client A' (msy_…9f3a): invalid or revoked. Replace it in Keys.")
		})
		return ok
	})
}

// findButton finds a button by its text under o.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	switch v := o.(type) {
	case *widget.Button:
		if v.Text == text {
			return v
		}
	case *fyne.Container:
		for _, c := range v.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}
