package ui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"meshdrop/core/jobs"
	"meshdrop/core/keys"
	"meshdrop/core/library"
	"meshdrop/core/provider"
	"meshdrop/core/provider/meshy"
	"meshdrop/core/provider/meshy/meshytest"
	"meshdrop/core/provider/sandbox"
)

// Rendering masters of every screen in use (the first-run and empty
// screens have theirs next to their tests). The markup Fyne's test driver
// draws (positions, sizes, texts, colours, which image is shown) is
// compared with testdata/<screen>_*.xml; on a difference the new markup is
// written to testdata/failed/ to diff against. After a deliberate change to
// a screen, rewrite the masters with
//
//	go test ./ui/ -update
//
// inside a keychain session (the recipe in TEAM.md: the Generate, Keys and
// Settings masters need the keychain and skip without one), and look at
// the diff before committing it.
var updateMasters = flag.Bool("update", false, "rewrite the rendering masters in ui/testdata instead of comparing with them")

// masterNow is the time the screens are drawn at, and masterDay the day
// the fixed jobs of the masters were made: nothing in a master depends on
// when or where the test runs.
var (
	masterNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	masterDay = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
)

func TestMain(m *testing.M) {
	// The screens show dates in local time; the masters must not depend on
	// the machine's zone. Set before any test starts a goroutine.
	time.Local = time.UTC
	os.Exit(m.Run())
}

// assertMaster compares the window with a master in testdata (or rewrites
// it under -update) and returns the markup for further checks.
func assertMaster(t *testing.T, name string, w fyne.Window) string {
	t.Helper()
	layoutAll(w.Content())
	markup := test.RenderToMarkup(w.Canvas())
	if *updateMasters {
		if err := os.WriteFile(filepath.Join("testdata", name), []byte(markup), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote testdata/%s", name)
	}
	test.AssertRendersToMarkup(t, name, w.Canvas())
	return markup
}

// fixClock makes the screens' clock (now) read at until the test ends.
func fixClock(t *testing.T, at time.Time) {
	t.Helper()
	fixedNow.Store(&at)
	t.Cleanup(func() { fixedNow.Store(nil) })
}

// manualClock is a Sandbox clock the test moves by hand.
type manualClock struct{ at atomic.Pointer[time.Time] }

func (c *manualClock) Now() time.Time   { return *c.at.Load() }
func (c *manualClock) Set(at time.Time) { c.at.Store(&at) }

// redate gives a finished job fixed times (the runner stamps the wall
// clock), keeping how long it took.
func redate(t *testing.T, lib *library.Library, id string, created time.Time, took time.Duration) {
	t.Helper()
	j, err := lib.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	j.Created, j.Updated, j.Finished = created, created.Add(took), created.Add(took)
	if err := lib.Put(j); err != nil {
		t.Fatal(err)
	}
}

// datedVault is the real vault with the dates it stamps from the wall
// clock (added, last used, rotated) fixed, so the Keys master does not
// change every day. Secrets still come from the keychain.
type datedVault struct {
	keyVault
	at time.Time
}

func (v datedVault) date(k keys.Key) keys.Key {
	k.Created = v.at
	if !k.LastUsed.IsZero() {
		k.LastUsed = v.at
	}
	if !k.Rotated.IsZero() {
		k.Rotated = v.at
	}
	return k
}

func (v datedVault) List() []keys.Key {
	ks := v.keyVault.List()
	for i := range ks {
		ks[i] = v.date(ks[i])
	}
	return ks
}

func (v datedVault) ForProvider(p string) []keys.Key {
	ks := v.keyVault.ForProvider(p)
	for i := range ks {
		ks[i] = v.date(ks[i])
	}
	return ks
}

func (v datedVault) Get(id string) (keys.Key, bool) {
	k, ok := v.keyVault.Get(id)
	return v.date(k), ok
}

// meshyServices are the real services with Meshy on a loopback server that
// accepts only good, and a real vault on the keychain.
func meshyServices(t *testing.T, good string) (*services, *keys.Vault) {
	t.Helper()
	srv := meshytest.New(t, good)
	m, err := meshy.New(meshy.Config{BaseURL: srv.BaseURL()})
	if err != nil {
		t.Fatal(err)
	}
	svc := realServicesWith(t, sandbox.New(sandbox.Config{Pace: testPace}), m)
	return svc, withVault(t, svc)
}

// Generate in use: Meshy picked, a key chosen (its credits fetched from the
// loopback Meshy), a prompt typed and an image dropped on the window.
func TestGenerateMasterKeyPromptAndDroppedImage(t *testing.T) {
	const good, revoked = "msy_GOODgoodGOODgood1111", "msy_REVOKEDrevoked2222"
	svc, vault := meshyServices(t, good)
	ka, err := vault.Add(provider.Meshy, "Client A", keys.NewSecret(good), keys.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vault.Add(provider.Meshy, "Old key", keys.NewSecret(revoked), keys.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	fixClock(t, masterNow)
	mw, w := newTestWindow(t, svc)
	g := mw.generate
	g.providerSel.SetSelected("Meshy")
	i := slices.Index(g.keyIDs, ka.ID)
	if i < 0 || len(g.keySel.Options) != 2 {
		t.Fatalf("Meshy's key picker: %v", g.keySel.Options)
	}
	g.keySel.SetSelectedIndex(i)
	w.Canvas().Focus(g.prompt)
	test.Type(g.prompt, "a brass lantern with a glass chimney")
	mw.onDropped(fyne.NewPos(300, 300), []fyne.URI{storage.NewFileURI(pngFile(t, t.TempDir(), "lantern.png"))})
	eventually(t, 30*time.Second, "the dropped image and the key's credits", func() bool {
		return len(g.images) == 1 && strings.Contains(mw.status.Text, "1000 credits")
	})
	if mw.current() != screenGenerate || g.mode() != provider.ModeImage {
		t.Fatalf("screen %q, mode %s", mw.current(), g.mode())
	}
	if g.keySel.Selected != "Client A (msy_…1111)" || g.counter.Text != "36 / 600" {
		t.Fatalf("key %q, counter %q", g.keySel.Selected, g.counter.Text)
	}
	markup := assertMaster(t, "generate_in_use.xml", w)
	for _, s := range []string{good, revoked, "GOOD", "REVOKED"} {
		if strings.Contains(markup, s) {
			t.Fatalf("%q is on screen", s)
		}
	}
}

// Jobs in use: one running on the Sandbox at 40 % (its clock held there),
// one done and one failed with the provider's words, the failed one open.
func TestJobsMasterRunningDoneAndFailed(t *testing.T) {
	clock := &manualClock{}
	clock.Set(masterDay)
	const pace = 100 * time.Second
	svc := realServicesWith(t, sandbox.New(sandbox.Config{Pace: pace, PollEvery: 20 * time.Millisecond, Now: clock.Now}))
	r := svc.Runner.(*jobs.Runner)
	wait := func(id string, what string, cond func(library.Job) bool) library.Job {
		t.Helper()
		var j library.Job
		eventually(t, 30*time.Second, what, func() bool {
			var err error
			j, err = svc.Library.Get(id)
			return err == nil && cond(j)
		})
		return j
	}
	// Done: the Sandbox's clock is moved past the task's end.
	done, err := r.Submit(context.Background(), jobs.Spec{Provider: provider.Sandbox, Prompt: "a golden torus"})
	if err != nil {
		t.Fatal(err)
	}
	wait(done.ID, "the task accepted", func(j library.Job) bool { return j.State == library.StateQueued || j.State == library.StateRunning })
	clock.Set(masterDay.Add(2 * pace))
	wait(done.ID, "the job done", func(j library.Job) bool { return j.State == library.StateDone })
	redate(t, svc.Library, done.ID, masterDay, 42*time.Second)

	// Failed: as the runner stores Meshy refusing a key.
	perr := &provider.Error{Kind: provider.ErrUnauthorized, Provider: "Meshy", KeyName: "Client A", KeyFP: "msy_…9f3a"}
	at := masterDay.Add(30 * time.Minute)
	failed := library.Job{Schema: library.SchemaVersion, ID: "20261120-093000-00000000fa11", Provider: provider.Meshy, Mode: "text",
		Prompt: "a lamp", KeyName: "Client A", KeyFP: "msy_…9f3a", State: library.StateFailed, Created: at, Updated: at.Add(3 * time.Second),
		Finished: at.Add(3 * time.Second), Error: &library.JobError{Kind: string(perr.Kind), Message: perr.Error(), At: at.Add(3 * time.Second)}}
	if err := svc.Library.Put(failed); err != nil {
		t.Fatal(err)
	}

	// Running: 55.5 s into a 100 s task is 40 % past the queue.
	start := masterDay.Add(3 * pace)
	clock.Set(start)
	running, err := r.Submit(context.Background(), jobs.Spec{Provider: provider.Sandbox, Prompt: "a brass lantern"})
	if err != nil {
		t.Fatal(err)
	}
	wait(running.ID, "the running task accepted", func(j library.Job) bool { return j.State == library.StateQueued })
	clock.Set(start.Add(55500 * time.Millisecond))
	running = wait(running.ID, "the job at 40 %", func(j library.Job) bool { return j.State == library.StateRunning && j.Progress == 40 })

	// The screens' clock: 40 s after the running job was created.
	fixClock(t, running.Created.Add(40*time.Second))
	mw, w := newTestWindow(t, svc)
	mw.show(screenJobs)
	j := mw.jobs
	eventually(t, 30*time.Second, "three rows, one running at 40 %", func() bool {
		return len(j.rows) == 3 && j.rows[0].ID == running.ID && j.rows[0].Progress == 40 && j.rows[0].State == library.StateRunning
	})
	if j.rows[1].ID != failed.ID || j.rows[2].ID != done.ID {
		t.Fatalf("rows not newest first: %v, %v", j.rows[1].ID, j.rows[2].ID)
	}
	if got := jobLine(j.rows[0], now()); got != "Sandbox · generating 40% · 40s · about 1m 00s left" {
		t.Fatalf("running line %q", got)
	}
	j.list.Select(1)
	const plain = "Meshy rejected the key 'Client A' (msy_…9f3a): invalid or revoked. Replace it in Keys."
	eventually(t, 30*time.Second, "the failed job's detail", func() bool {
		// The whole record (read in the background) has the key's fingerprint.
		l := labelsIn(j.detail)
		return anyContains(l, plain) && anyContains(l, "Key: Client A (msy_…9f3a)") && findButton(j.detail, "Retry as a new job") != nil
	})
	if mw.status.Text != "1 job running  ·  Sandbox: no key needed" {
		t.Fatalf("status %q", mw.status.Text)
	}
	assertMaster(t, "jobs_in_use.xml", w)
}

// Gallery in use: three Sandbox models with their thumbnails, the first
// selected with its details and statistics.
func TestGalleryMasterGridAndDetail(t *testing.T) {
	svc := realServices(t)
	made := makeModels(t, svc, "a golden torus", "a red wooden crate", "a green cone")
	for i, j := range made {
		redate(t, svc.Library, j.ID, masterDay.Add(time.Duration(i)*time.Hour), 30*time.Second)
	}
	// "Open in Blender" is offered only where Blender is installed.
	t.Setenv("PATH", t.TempDir())
	fixClock(t, masterNow)
	mw, w := newTestWindow(t, svc)
	mw.show(screenGallery)
	g := mw.gallery
	if len(g.items) != 3 || g.items[0].ID != made[2].ID {
		t.Fatalf("%d items, first %q", len(g.items), g.items[0].Prompt)
	}
	eventually(t, 30*time.Second, "the three thumbnails in their cells", func() bool {
		n := 0
		findCells(w.Content(), func(c *galleryCell) {
			if img, ok := g.thumbs.get(c.id); ok && img != nil && c.img.Image == img {
				n++
			}
		})
		return n == 3
	})
	g.grid.Select(0)
	eventually(t, 30*time.Second, "the model's statistics", func() bool { return strings.Contains(g.stats.Text, "triangles") })
	if !anyContains(labelsIn(g.detail), "a green cone") || findButton(g.detail, "Open in Blender") != nil {
		t.Fatalf("detail: %v", labelsIn(g.detail))
	}
	assertMaster(t, "gallery_in_use.xml", w)
}

// Keys in use: two named keys, one open and tested against the loopback
// Meshy, with a rotation reminder; no secret anywhere on screen.
func TestKeysMasterTwoKeysTested(t *testing.T) {
	const good, revoked = "msy_GOODgoodGOODgood1111", "msy_REVOKEDrevoked2222"
	svc, vault := meshyServices(t, good)
	ka, err := vault.Add(provider.Meshy, "Client A", keys.NewSecret(good), keys.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vault.Add(provider.Meshy, "Old key", keys.NewSecret(revoked), keys.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := vault.SetRotateBy(ka.ID, masterNow.AddDate(0, 0, 5)); err != nil {
		t.Fatal(err)
	}
	svc.Vault = datedVault{keyVault: vault, at: masterDay}
	fixClock(t, masterNow)
	mw, w := newTestWindow(t, svc)
	mw.show(screenKeys)
	k := mw.keys
	i := slices.IndexFunc(k.rows, func(x keys.Key) bool { return x.ID == ka.ID })
	if len(k.rows) != 2 || i < 0 {
		t.Fatalf("rows %v", k.rows)
	}
	k.list.Select(i)
	test.Tap(findButton(k.detail, "Test"))
	eventually(t, 30*time.Second, "the test result", func() bool { return strings.Contains(k.message.Text, "works") })
	if k.message.Text != "'Client A' works: 1000 credits left." {
		t.Fatalf("message %q", k.message.Text)
	}
	if !anyContains(labelsIn(k.detail), "rotate by 28 Nov 2026") {
		t.Fatalf("no rotation reminder: %v", labelsIn(k.detail))
	}
	markup := assertMaster(t, "keys_in_use.xml", w)
	if !strings.Contains(markup, "msy_…1111") || !strings.Contains(markup, "msy_…2222") {
		t.Fatal("the fingerprints are not shown")
	}
	for _, s := range []string{good, revoked, "GOOD", "good", "REVOKED", "revoked"} {
		if strings.Contains(markup, s) {
			t.Fatalf("%q is on screen", s)
		}
	}
}
