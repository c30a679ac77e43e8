package library

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPutGetListAndReopen(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Config{})
	for i := range 5 {
		if err := l.Put(testJob(i)); err != nil {
			t.Fatal(err)
		}
	}
	j, err := l.Get(testJob(3).ID)
	if err != nil {
		t.Fatal(err)
	}
	want := testJob(3)
	want.Schema = SchemaVersion
	if !reflect.DeepEqual(j, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", j, want)
	}
	all, err := l.List()
	if err != nil || len(all) != 5 {
		t.Fatalf("List: %d jobs, %v", len(all), err)
	}
	for i, j := range all {
		if j.ID != testJob(i).ID {
			t.Fatalf("List order: %d is %s", i, j.ID)
		}
	}
	if _, err := l.Get("20261123-000000-ffffffffffff"); !errors.Is(err, ErrNoJob) {
		t.Fatalf("missing job: %v", err)
	}
	if _, err := l.Get("../etc"); !errors.Is(err, ErrNoJob) {
		t.Fatalf("bad ID: %v", err)
	}
	if err := l.Put(Job{ID: "../x", State: StateDone}); err == nil {
		t.Fatal("Put accepted a path as an ID")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, IndexFile)); err != nil {
		t.Fatalf("no index after Close: %v", err)
	}
	l2 := openT(t, dir, Config{})
	if l2.Len() != 5 || len(l2.Problems()) != 0 {
		t.Fatalf("reopen: %d jobs, problems %v", l2.Len(), l2.Problems())
	}
	s, ok := l2.Summary(testJob(2).ID)
	if !ok || s.Prompt != testJob(2).Prompt || s.Model != "model.glb" {
		t.Fatalf("summary after reopen: %+v", s)
	}
}

func TestIndexRebuiltWhenMissingStaleOrDamaged(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Config{})
	for i := range 4 {
		if err := l.Put(testJob(i)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	idxPath := filepath.Join(dir, IndexFile)

	// Stale: another process changed a job, added one and deleted one.
	j := testJob(1)
	j.Prompt = "changed behind the index's back"
	other := openT(t, dir, Config{})
	if err := other.Put(j); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, testJob(2).ID)); err != nil {
		t.Fatal(err)
	}
	// Write a new job's file directly, as a crash before the index write would leave it.
	raw := testJob(9)
	raw.Schema = SchemaVersion
	l9 := openT(t, t.TempDir(), Config{})
	l9.Put(raw)
	data, _ := os.ReadFile(jobPath(l9, raw.ID))
	os.MkdirAll(filepath.Join(dir, raw.ID), 0o700)
	os.WriteFile(filepath.Join(dir, raw.ID, JobFile), data, 0o600)

	l2 := openT(t, dir, Config{})
	if s, _ := l2.Summary(testJob(1).ID); s.Prompt != j.Prompt {
		t.Fatalf("stale entry kept: %q", s.Prompt)
	}
	if _, ok := l2.Summary(testJob(2).ID); ok {
		t.Fatal("deleted job still listed")
	}
	if _, ok := l2.Summary(raw.ID); !ok {
		t.Fatal("job written without an index update not found")
	}
	l2.Close()

	good, err := os.ReadFile(idxPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(good), "\n")
	for name, content := range map[string]string{
		"missing":       "",
		"torn":          string(good[:len(good)*2/3]),
		"lines lost":    lines[0] + lines[1] + lines[2], // the header says 4
		"garbage":       "\x00\x01binary",
		"other version": `{"version":99,"schema":1,"count":0}` + "\n",
		"stale stamp":   strings.Replace(string(good), testJob(0).Prompt, "lie", 1) + "",
	} {
		if name == "stale stamp" {
			// The entry's stamp no longer matches job.json: rewrite it.
			content = strings.Replace(content, `"stamp":{"size":`, `"stamp":{"size":1`, 1)
		}
		if content == "" {
			os.Remove(idxPath)
		} else {
			os.WriteFile(idxPath, []byte(content), 0o600)
		}
		l3, err := Open(dir, Config{})
		if err != nil {
			t.Fatalf("%s index: %v", name, err)
		}
		if l3.Len() != 4 || len(l3.Problems()) != 0 {
			t.Fatalf("%s index: %d jobs, %v", name, l3.Len(), l3.Problems())
		}
		if s, _ := l3.Summary(testJob(0).ID); s.Prompt != testJob(0).Prompt {
			t.Fatalf("%s index trusted over job.json: %q", name, s.Prompt)
		}
		l3.Close()
		if _, err := decodeIndexFile(idxPath); err != nil {
			t.Fatalf("%s index not rewritten: %v", name, err)
		}
	}
}

func decodeIndexFile(p string) (map[string]*entry, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return decodeIndex(data)
}

func TestDamagedJobFilesAreMovedAsideAndTheRestLoads(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Config{})
	for i := range 9 {
		if err := l.Put(testJob(i)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	good, _ := os.ReadFile(jobPath(l, testJob(0).ID))
	damage := map[int][]byte{
		1: good[:len(good)/2], // torn write
		2: {},                 // empty
		3: []byte("\x00\x00\x00\x00garbage"),
		4: bytes.Replace(good, []byte(testJob(0).ID), []byte(testJob(8).ID), 1), // names another job
		5: bytes.Replace(good, []byte(`"file": "model.glb"`), []byte(`"file": "../../../etc/passwd"`), 1),
		6: bytes.Replace(good, []byte(`"state": "done"`), []byte(`"state": "exploded"`), 1),
		7: append(bytes.Repeat([]byte(" "), maxRecordSize), good...), // too large to be a record
	}
	for i, b := range damage {
		if err := os.WriteFile(jobPath(l, testJob(i).ID), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l2, err := Open(dir, Config{})
	if err != nil {
		t.Fatalf("damaged files stopped Open: %v", err)
	}
	defer l2.Close()
	if l2.Len() != 2 {
		t.Fatalf("want the 2 good jobs, got %d", l2.Len())
	}
	probs := l2.Problems()
	if len(probs) != len(damage) {
		t.Fatalf("want %d problems, got %v", len(damage), probs)
	}
	for _, p := range probs {
		if p.MovedTo == "" || !strings.HasSuffix(p.MovedTo, BadSuffix) {
			t.Fatalf("not moved aside: %+v", p)
		}
		if _, err := os.Stat(p.MovedTo); err != nil {
			t.Fatalf("moved file missing: %v", err)
		}
		if _, err := os.Stat(p.Path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("damaged file still in place: %s", p.Path)
		}
		if !strings.Contains(p.String(), "moved aside") {
			t.Fatalf("problem text: %s", p)
		}
	}
	// The job named in the wrong folder's own record is unharmed.
	if _, err := l2.Get(testJob(8).ID); err != nil {
		t.Fatal(err)
	}
	// A third open: nothing new to report, the good jobs still load.
	l3 := openT(t, dir, Config{})
	if l3.Len() != 2 || len(l3.Problems()) != 0 {
		t.Fatalf("third open: %d jobs, %v", l3.Len(), l3.Problems())
	}
	// Damage after opening: Get moves it aside and reports ErrNoJob.
	os.WriteFile(jobPath(l3, testJob(0).ID), []byte(`{"id":`), 0o600)
	if _, err := l3.Get(testJob(0).ID); !errors.Is(err, ErrNoJob) {
		t.Fatalf("Get of a damaged record: %v", err)
	}
	if l3.Len() != 1 || len(l3.Problems()) != 1 {
		t.Fatalf("after damaged Get: %d jobs, %v", l3.Len(), l3.Problems())
	}
}

func TestCrashLeftoversAreCleanedAndRecordsSurvive(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Config{})
	running := testJob(1)
	running.State = StateDownloading
	for _, j := range []Job{testJob(0), running} {
		if err := l.Put(j); err != nil {
			t.Fatal(err)
		}
	}
	glb := testGLB(t)
	writeGLBOutput(t, l, running.ID, glb)
	l.Close()
	jd := filepath.Join(dir, running.ID)
	// A process killed mid-write leaves: a half-written job.json temp, a
	// half-downloaded model, a half-written index, a half-deleted job.
	old := time.Now().Add(-time.Hour)
	leftovers := []string{
		filepath.Join(jd, ".job.json.tmp-12345"),
		filepath.Join(jd, ".model.glb.part-678"),
		filepath.Join(dir, ".index.json.tmp-99"),
	}
	for _, p := range leftovers {
		os.WriteFile(p, []byte(`{"id":"half`), 0o600)
		os.Chtimes(p, old, old)
	}
	fresh := filepath.Join(jd, ".model.glb.part-live") // another process writing now
	os.WriteFile(fresh, []byte("glTF"), 0o600)
	trash := filepath.Join(dir, trashPrefix+testJob(5).ID+"-1")
	os.MkdirAll(trash, 0o700)
	os.WriteFile(filepath.Join(trash, JobFile), []byte("{}"), 0o600)

	l2 := openT(t, dir, Config{})
	for _, p := range append(leftovers, trash) {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("leftover %s not removed", filepath.Base(p))
		}
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a live temp file was removed: %v", err)
	}
	if l2.Len() != 2 || len(l2.Problems()) != 0 {
		t.Fatalf("after crash: %d jobs, %v", l2.Len(), l2.Problems())
	}
	got, err := l2.Get(running.ID)
	if err != nil || got.State != StateDownloading {
		t.Fatalf("running job after crash: %+v %v", got, err)
	}
	b, _ := os.ReadFile(filepath.Join(jd, "model.glb"))
	if !bytes.Equal(b, glb) {
		t.Fatal("saved model damaged")
	}
}

func TestPutRefusesAnOversizedRecord(t *testing.T) {
	l := openT(t, t.TempDir(), Config{})
	j := testJob(0)
	l.Put(j)
	if err := l.SetNote(j.ID, strings.Repeat("n", maxRecordSize)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("oversized note: %v", err)
	}
	if g, err := l.Get(j.ID); err != nil || g.Note != "" {
		t.Fatalf("record after refused write: %v", err)
	}
}

func TestPutKeepsTheOldRecordWhenTheWriteFails(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Config{})
	j := testJob(0)
	if err := l.Put(j); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(jobPath(l, j.ID))
	// A full disk cannot be made here without mount rights and tests run
	// as root (read-only folders do not stop root), so the write is made
	// to fail by putting a file where the job's folder should be.
	j.Prompt = "changed"
	blocker := filepath.Join(dir, j.ID)
	os.Rename(blocker, blocker+".moved")
	os.WriteFile(blocker, []byte("not a folder"), 0o600)
	if err := l.Put(j); err == nil || !strings.Contains(err.Error(), "previous record is kept") {
		t.Fatalf("Put into an impossible place: %v", err)
	}
	os.Remove(blocker)
	os.Rename(blocker+".moved", blocker)
	after, _ := os.ReadFile(jobPath(l, j.ID))
	if !bytes.Equal(before, after) {
		t.Fatal("old record changed by a failed Put")
	}
	if s, _ := l.Summary(j.ID); s.Prompt != testJob(0).Prompt {
		t.Fatal("summary updated by a failed Put")
	}
}

func TestSaveOutputChecksAndLeavesNothingOnFailure(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Config{MaxOutputSize: 1 << 20})
	j := testJob(0)
	l.Put(j)
	glb := testGLB(t)
	f := writeGLBOutput(t, l, j.ID, glb)
	sum := sha256.Sum256(glb)
	if f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(glb)) || f.File != "model.glb" || f.Kind != KindModel {
		t.Fatalf("entry: %+v", f)
	}
	jd := filepath.Join(dir, j.ID)
	before := ls(t, jd)

	put := func(name, format string, data []byte, n int64, werr error) error {
		_, err := l.SaveOutput(j.ID, name, KindModel, format, func(w io.Writer) (int64, error) {
			if _, err := w.Write(data); err != nil {
				return 0, err
			}
			return n, werr
		})
		return err
	}
	wrongLen := bytes.Clone(glb)
	wrongLen[8]++
	notJSON := bytes.Clone(glb)
	notJSON[16] = 'X'
	cases := map[string]error{
		"truncated GLB":           put("a.glb", "glb", glb[:len(glb)-10], int64(len(glb)-10), nil),
		"declared length differs": put("b.glb", "glb", wrongLen, int64(len(wrongLen)), nil),
		"first chunk not JSON":    put("c.glb", "GLB", notJSON, int64(len(notJSON)), nil),
		"not a GLB":               put("d.glb", "glb", []byte("<html>error page</html> padding"), 31, nil),
		"download broke":          put("e.glb", "glb", glb[:100], 100, io.ErrUnexpectedEOF),
		"short count":             put("f.glb", "glb", glb, int64(len(glb)+1), nil),
		"empty":                   put("g.png", "png", nil, 0, nil),
		"too large":               put("h.bin", "bin", make([]byte, 2<<20), 2<<20, nil),
		"path in name":            put("../x.glb", "glb", glb, int64(len(glb)), nil),
		"job.json":                put(JobFile, "json", []byte("{}"), 2, nil),
		"hidden name":             put(".x", "bin", []byte("x"), 1, nil),
	}
	for name, err := range cases {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if after := ls(t, jd); !slices.Equal(before, after) {
		t.Fatalf("failed saves left files: %v → %v", before, after)
	}
	// Other formats are saved without the GLB check.
	if err := put("preview.png", "png", []byte("\x89PNG\r\n\x1a\nrest"), 12, nil); err != nil {
		t.Fatal(err)
	}
}

func TestThumbnailRenderedOnceAndRemadeWhenModelIsNewer(t *testing.T) {
	dir := t.TempDir()
	r := &pngThumbnailer{}
	l := openT(t, dir, Config{Thumbnail: r.render, ThumbnailSize: 32})
	j := testJob(0)
	l.Put(j)
	if _, err := l.Thumbnail(j.ID); err == nil {
		t.Fatal("thumbnail without a model file")
	}
	j.Outputs = []File{writeGLBOutput(t, l, j.ID, testGLB(t))}
	l.Put(j)
	f, err := l.Thumbnail(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != KindThumbnail || f.File != ThumbnailFile || f.Size == 0 || r.calls.Load() != 1 {
		t.Fatalf("thumbnail %+v after %d renders", f, r.calls.Load())
	}
	if _, err := l.Thumbnail(j.ID); err != nil || r.calls.Load() != 1 {
		t.Fatalf("rendered again although up to date: %v, %d", err, r.calls.Load())
	}
	later := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(dir, j.ID, "model.glb"), later, later)
	if _, err := l.Thumbnail(j.ID); err != nil || r.calls.Load() != 2 {
		t.Fatalf("not remade for a newer model: %v, %d", err, r.calls.Load())
	}
	os.Remove(filepath.Join(dir, j.ID, ThumbnailFile))
	if _, err := l.Thumbnail(j.ID); err != nil || r.calls.Load() != 3 {
		t.Fatalf("not remade when missing: %v, %d", err, r.calls.Load())
	}

	// A renderer that writes no PNG leaves nothing behind.
	os.Remove(filepath.Join(dir, j.ID, ThumbnailFile))
	bad := openT(t, dir, Config{Thumbnail: func(_, p string, _ int) error { return os.WriteFile(p, []byte("GIF89a"), 0o600) }})
	before := ls(t, filepath.Join(dir, j.ID))
	if _, err := bad.Thumbnail(j.ID); err == nil {
		t.Fatal("accepted a non-PNG thumbnail")
	}
	if after := ls(t, filepath.Join(dir, j.ID)); !slices.Equal(before, after) {
		t.Fatalf("failed thumbnail left files: %v", after)
	}
	none := openT(t, dir, Config{})
	if _, err := none.Thumbnail(j.ID); !errors.Is(err, ErrNoThumbnailer) {
		t.Fatalf("no renderer: %v", err)
	}
}

func TestUserEditsSurviveARunnerWritingAnOlderCopy(t *testing.T) {
	l := openT(t, t.TempDir(), Config{})
	runnerCopy := testJob(0)
	runnerCopy.State = StateRunning
	runnerCopy.Tags = nil
	l.Put(runnerCopy)
	if err := l.SetTags(runnerCopy.ID, []string{" chair ", "Chair", "", "wood"}); err != nil {
		t.Fatal(err)
	}
	l.SetFavourite(runnerCopy.ID, true)
	l.SetRating(runnerCopy.ID, 4)
	l.SetNote(runnerCopy.ID, "good legs")
	if err := l.SetRating(runnerCopy.ID, 6); err == nil {
		t.Fatal("rating 6 accepted")
	}
	runnerCopy.State = StateDone
	runnerCopy.Progress = 100
	if err := l.Put(runnerCopy); err != nil {
		t.Fatal(err)
	}
	got, _ := l.Get(runnerCopy.ID)
	if got.State != StateDone || got.Progress != 100 {
		t.Fatalf("runner's fields lost: %+v", got)
	}
	if !slices.Equal(got.Tags, []string{"chair", "wood"}) || !got.Favourite || got.Rating != 4 || got.Note != "good legs" {
		t.Fatalf("user's fields lost: tags %v fav %v rating %d note %q", got.Tags, got.Favourite, got.Rating, got.Note)
	}
	// An up-to-date copy may change them.
	got.Tags = []string{"x"}
	l.Put(got)
	if g2, _ := l.Get(got.ID); !slices.Equal(g2.Tags, []string{"x"}) {
		t.Fatalf("current copy's edit ignored: %v", g2.Tags)
	}
}

func TestQueryFiltersSortsAndPages(t *testing.T) {
	l := openT(t, t.TempDir(), Config{})
	for i := range 40 {
		j := testJob(i)
		if i%5 == 0 {
			j.Favourite = true
		}
		if i == 7 {
			j.Name = "A aardvark"
			j.State = StateFailed
		}
		l.Put(j)
	}
	page, total := l.Query(Query{})
	if total != 40 || page[0].ID != testJob(39).ID {
		t.Fatalf("default: %d, first %s", total, page[0].ID)
	}
	page, total = l.Query(Query{Text: "CHAIR  Item1", Sort: SortOldest})
	// Every word must appear: "item1" is in the prompts of 1 and 10–19.
	var want []string
	for i := range 40 {
		if strings.Contains(testJob(i).Prompt, "item1") {
			want = append(want, testJob(i).ID)
		}
	}
	var got []string
	for _, s := range page {
		got = append(got, s.ID)
	}
	if total != len(want) || !slices.Equal(got, want) {
		t.Fatalf("text: got %v want %v", got, want)
	}
	if _, n := l.Query(Query{Text: "set3"}); n != 4 {
		t.Fatalf("tag search: %d", n)
	}
	if _, n := l.Query(Query{Provider: "tripo", KeyID: "key1"}); n != 4 { // i%4==1 && i%3==1: 1, 13, 25, 37
		t.Fatalf("provider+key: %d", n)
	}
	if _, n := l.Query(Query{Text: "chair nothing-like-this"}); n != 0 {
		t.Fatalf("a word that is nowhere matched %d", n)
	}
	if page, n := l.Query(Query{States: []State{StateFailed}}); n != 1 || page[0].ID != testJob(7).ID {
		t.Fatalf("state: %d", n)
	}
	if _, n := l.Query(Query{Favourite: true}); n != 8 {
		t.Fatalf("favourites: %d", n)
	}
	if _, n := l.Query(Query{From: testBase.Add(10 * time.Minute), To: testBase.Add(20 * time.Minute)}); n != 10 {
		t.Fatalf("date range: %d", n)
	}
	if page, _ := l.Query(Query{Sort: SortName}); page[0].Title() != "A aardvark" {
		t.Fatalf("name sort: %s", page[0].Title())
	}
	if page, _ := l.Query(Query{Sort: SortProvider}); page[0].Provider != "meshy" || page[39].Provider != "tripo" {
		t.Fatalf("provider sort: %s … %s", page[0].Provider, page[39].Provider)
	}
	page, total = l.Query(Query{Offset: 35, Limit: 10})
	if total != 40 || len(page) != 5 || page[4].ID != testJob(0).ID {
		t.Fatalf("paging: %d %d", total, len(page))
	}
	if page, _ := l.Query(Query{Offset: 50}); len(page) != 0 {
		t.Fatal("offset past the end")
	}
}

func TestBudgets(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.Local)
	cfg := Config{Now: func() time.Time { return now }, Budgets: map[string]Budget{"k1": {PerJob: 50}}}
	l := openT(t, dir, cfg)
	if err := l.CheckBudget("k1", 50); err != nil {
		t.Fatalf("at the cap: %v", err)
	}
	err := l.CheckBudget("k1", 60)
	var be *BudgetError
	if !errors.As(err, &be) || !errors.Is(err, ErrOverBudget) || be.Daily {
		t.Fatalf("per-job: %v", err)
	}
	if !strings.Contains(err.Error(), "60") || !strings.Contains(err.Error(), "50") {
		t.Fatalf("message lacks estimate and cap: %s", err)
	}
	if err := l.CheckBudget("other", 1e9); err != nil {
		t.Fatalf("uncapped key: %v", err)
	}
	if err := l.SetBudget("k1", Budget{PerDay: 100}); err != nil {
		t.Fatal(err)
	}
	add := func(id string, created time.Time, st State, credits, est float64) {
		j := testJob(0)
		j.ID, j.KeyID, j.Created, j.State, j.Credits, j.Estimate = id, "k1", created, st, credits, est
		if err := l.Put(j); err != nil {
			t.Fatal(err)
		}
	}
	add("a", now.Add(-time.Hour), StateDone, 40, 30)
	add("b", now.Add(-2*time.Hour), StateRunning, 0, 30) // in flight: its estimate counts
	add("c", now.Add(-3*time.Hour), StateFailed, 0, 30)  // failed, nothing charged
	add("d", now.Add(-24*time.Hour), StateDone, 500, 0)  // yesterday
	add("e", now.Add(-time.Minute), StateDraft, 0, 30)   // not sent: the check of its own estimate comes on top
	add("f", now.Add(-time.Minute), StateUnknown, 0, 5)  // maybe sent, maybe charged
	if got := l.SpentToday("k1"); got != 75 {
		t.Fatalf("spent today %v, want 75", got)
	}
	if err := l.CheckBudget("k1", 25); err != nil {
		t.Fatalf("75+25 within 100: %v", err)
	}
	err = l.CheckBudget("k1", 31)
	if !errors.As(err, &be) || !be.Daily || be.Spent != 75 || !strings.Contains(err.Error(), "31") || !strings.Contains(err.Error(), "100") {
		t.Fatalf("per-day: %v", err)
	}
	l.Close()
	l2 := openT(t, dir, cfg)
	if b := l2.Budget("k1"); b.PerDay != 100 || b.PerJob != 0 {
		t.Fatalf("budget file not read back: %+v", b)
	}
	os.WriteFile(filepath.Join(dir, BudgetFile), []byte(`{"version":1,"keys":{"k1":{"per_day":`), 0o600)
	l3 := openT(t, dir, cfg)
	if b := l3.Budget("k1"); b.PerJob != 50 {
		t.Fatalf("damaged budget file: config caps should apply, got %+v", b)
	}
	if len(l3.Problems()) != 1 {
		t.Fatalf("damaged budget file not reported: %v", l3.Problems())
	}
}

func TestDelete(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Config{})
	running := testJob(1)
	running.State = StateRunning
	l.Put(testJob(0))
	l.Put(running)
	var changed []string
	stop := l.OnChange(func(id string) { changed = append(changed, id) })
	if err := l.Delete(running.ID); !errors.Is(err, ErrBusy) {
		t.Fatalf("deleted a running job: %v", err)
	}
	if err := l.Delete(testJob(0).ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, testJob(0).ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("folder left")
	}
	if _, err := l.Get(testJob(0).ID); !errors.Is(err, ErrNoJob) {
		t.Fatal(err)
	}
	if err := l.Delete(testJob(0).ID); !errors.Is(err, ErrNoJob) {
		t.Fatalf("second delete: %v", err)
	}
	stop()
	l.SetNote(running.ID, "x")
	if !slices.Equal(changed, []string{testJob(0).ID}) {
		t.Fatalf("OnChange calls: %v", changed)
	}
	if ents := ls(t, dir); slices.ContainsFunc(ents, func(n string) bool { return strings.HasPrefix(n, trashPrefix) }) {
		t.Fatalf("trash left: %v", ents)
	}
}

func TestSchemaMigrationAndNewerRecords(t *testing.T) {
	dir := t.TempDir()
	id := "20261123-090000-000000000001"
	os.MkdirAll(filepath.Join(dir, id), 0o700)
	os.WriteFile(filepath.Join(dir, id, JobFile), []byte(`{"id":"`+id+`","provider":"meshy","state":"done","prompt":"old"}`), 0o600)
	id2 := "20261123-090000-000000000002"
	os.MkdirAll(filepath.Join(dir, id2), 0o700)
	os.WriteFile(filepath.Join(dir, id2, JobFile), []byte(`{"schema":99,"id":"`+id2+`","provider":"meshy","state":"teleporting","future":1}`), 0o600)
	l := openT(t, dir, Config{})
	j, err := l.Get(id)
	if err != nil || j.Schema != SchemaVersion || j.Prompt != "old" {
		t.Fatalf("schema 0 record: %+v %v", j, err)
	}
	if _, err := l.Get(id2); err != nil {
		t.Fatalf("newer record not loaded: %v", err)
	}
	probs := l.Problems()
	if len(probs) != 1 || probs[0].JobID != id2 || probs[0].MovedTo != "" || !strings.Contains(probs[0].Err, "newer") {
		t.Fatalf("newer record not reported as such: %v", probs)
	}
}

func TestInputsAreCopiedAndChecked(t *testing.T) {
	l := openT(t, t.TempDir(), Config{})
	j := testJob(0)
	data := []byte("\x89PNG\r\n\x1a\nfake image body")
	in, err := l.AddInput(j.ID, "../../My Photo (1).png", "front", "image/png", data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(in.File, "/") || !strings.HasPrefix(in.File, "input-1-") || in.Size != int64(len(data)) {
		t.Fatalf("input entry %+v", in)
	}
	in2, _ := l.AddInput(j.ID, "../../My Photo (1).png", "back", "image/png", data)
	if in2.File == in.File {
		t.Fatal("second input overwrote the first")
	}
	got, err := l.ReadInput(j.ID, in)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadInput: %v", err)
	}
	os.WriteFile(filepath.Join(l.JobDir(j.ID), in.File), []byte("tampered"), 0o600)
	if _, err := l.ReadInput(j.ID, in); err == nil {
		t.Fatal("changed input not noticed")
	}
	if _, err := l.ReadInput(j.ID, Input{File: "../../etc/passwd"}); err == nil {
		t.Fatal("read outside the job")
	}
}

func TestUnfinished(t *testing.T) {
	l := openT(t, t.TempDir(), Config{})
	for i := range 6 {
		j := testJob(i)
		j.State = []State{StateDraft, StateDone, StateRunning, StateFailed, StateUnknown, StateQueued}[i]
		l.Put(j)
	}
	un, err := l.Unfinished()
	if err != nil {
		t.Fatal(err)
	}
	var got []State
	for _, j := range un {
		got = append(got, j.State)
	}
	if !slices.Equal(got, []State{StateDraft, StateRunning, StateQueued}) {
		t.Fatalf("unfinished: %v", got)
	}
}

func TestRefreshSeesAnotherProcesssChanges(t *testing.T) {
	dir := t.TempDir()
	window := openT(t, dir, Config{})
	window.Put(testJob(0))
	window.Put(testJob(1))
	window.Put(testJob(2))
	var heard []string
	window.OnChange(func(id string) { heard = append(heard, id) })

	cli := openT(t, dir, Config{}) // another process's view of the same folder
	cli.Put(testJob(3))
	j := testJob(0)
	j.State = StateFailed
	cli.Put(j)
	cli.Delete(testJob(1).ID)
	os.WriteFile(jobPath(cli, testJob(2).ID), []byte(`{"torn`), 0o600)

	n, err := window.Refresh()
	if err != nil || n != 4 {
		t.Fatalf("refresh: %d changes, %v", n, err)
	}
	if s, _ := window.Summary(testJob(0).ID); s.State != StateFailed {
		t.Fatalf("changed job: %s", s.State)
	}
	if _, ok := window.Summary(testJob(1).ID); ok {
		t.Fatal("deleted job still listed")
	}
	if _, ok := window.Summary(testJob(2).ID); ok || len(window.Problems()) != 1 {
		t.Fatalf("damaged job: listed %v, problems %v", ok, window.Problems())
	}
	if _, ok := window.Summary(testJob(3).ID); !ok {
		t.Fatal("new job not seen")
	}
	slices.Sort(heard)
	want := []string{testJob(0).ID, testJob(1).ID, testJob(2).ID, testJob(3).ID}
	if !slices.Equal(heard, want) {
		t.Fatalf("OnChange heard %v", heard)
	}
	if n, _ := window.Refresh(); n != 0 {
		t.Fatalf("second refresh found %d changes", n)
	}
}

// Writers, readers, user edits, index writes and refreshes at once (run
// with -race): no lost user edit, every record whole.
func TestConcurrentUse(t *testing.T) {
	l := openT(t, t.TempDir(), Config{IndexDelay: time.Millisecond})
	for i := range 4 {
		l.Put(testJob(i))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() { // a runner worker writing its job's progress from its own copy
			defer wg.Done()
			j := testJob(w)
			for p := range 30 {
				j.Progress = float64(p)
				if err := l.Put(j); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := range 30 {
			if err := l.SetNote(testJob(i%4).ID, fmt.Sprint("note ", i)); err != nil {
				t.Error(err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 60 {
			l.Query(Query{Text: "chair"})
			l.Get(testJob(1).ID)
			l.SpentToday("key1")
		}
	}()
	go func() {
		defer wg.Done()
		for range 10 {
			l.Refresh()
			l.Flush()
		}
	}()
	wg.Wait()
	for i := range 4 {
		j, err := l.Get(testJob(i).ID)
		if err != nil || j.Progress != 29 {
			t.Fatalf("job %d: progress %v, %v", i, j.Progress, err)
		}
	}
	if j, _ := l.Get(testJob(1).ID); j.Note != "note 29" {
		t.Fatalf("the last user edit was lost: %q", j.Note)
	}
	if len(l.Problems()) != 0 {
		t.Fatal(l.Problems())
	}
}
