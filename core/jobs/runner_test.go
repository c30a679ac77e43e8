package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"

	"meshdrop/core/library"
)

func sha(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func TestGenerateRodinToDone(t *testing.T) {
	g := newRig(t)
	ctx := waitCtx(t)
	r := g.runner(ctx)
	j, err := r.Submit(ctx, Spec{Provider: "rodin", Prompt: "a red wooden cube", Options: map[string]string{"quality": "low"}})
	if err != nil {
		t.Fatal(err)
	}
	if j.KeyID != "k1" || j.KeyName != "main" || j.KeyFP == "" || j.KeyFP == testSecret {
		t.Fatalf("key recorded as %q %q %q", j.KeyID, j.KeyName, j.KeyFP)
	}
	done, err := r.Wait(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, g, done)
	if n := g.srv.Creates(); n != 1 {
		t.Fatalf("server saw %d creates, want 1", n)
	}
	if l := g.srv.Leaks(); len(l) > 0 {
		t.Fatalf("key sent to the result host: %v", l)
	}
	form, _ := g.srv.LastForm()
	if form["quality"][0] != "low" || form["prompt"][0] != "a red wooden cube" {
		t.Fatalf("form sent: %v", form)
	}
	want := []library.State{library.StateDraft, library.StateSubmitting, library.StateQueued, library.StateRunning, library.StateDownloading, library.StateDone}
	if h := g.store.History(j.ID); !slices.Equal(h, want) {
		t.Fatalf("states written %v, want %v", h, want)
	}
	if done.Stages[0].Ref.ID == "" || done.Stages[0].Submitted.IsZero() || done.Stages[0].Accepted.IsZero() {
		t.Fatalf("stage not recorded: %+v", done.Stages)
	}
}
