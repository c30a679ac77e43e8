package cli

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meshdrop/core/library"
	"meshdrop/core/provider/httpx"
	"meshdrop/core/provider/rodin/rodintest"
)

const batchCSV = `prompt,quality,tags
a red cube,low,toys;red
a blue sphere,,toys
"a stone pillar, tall",medium,
a clay pot,low,
a brass bell,,
`

// A batch stopped halfway and started again finishes every row, and the
// provider saw exactly one create per row.
func TestBatchStopAndRestartSendsEachRowOnce(t *testing.T) {
	srv := rodintest.New(rodinTestKey)
	defer srv.Close()
	// The first run's tasks never finish: with the cap of 2 at the provider
	// it can send only 2 creates, however late the stop below lands.
	srv.StepsPerJob = 1 << 30
	hc := httpx.Config{Backoff: httpx.Backoff{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond}}
	root := t.TempDir()
	file := filepath.Join(t.TempDir(), "prompts.csv")
	if err := os.WriteFile(file, []byte(batchCSV), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx1, stop := context.WithCancel(context.Background())
	e1, _, _ := rodinEnvAt(t, ctx1, root, srv, hc)
	code1 := make(chan int, 1)
	go func() { code1 <- Run(e1, []string{"batch", file, "--provider", "rodin"}) }()
	for deadline := time.Now().Add(30 * time.Second); srv.Creates() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the first run never sent two creates")
		}
		time.Sleep(2 * time.Millisecond)
	}
	stop()
	if c := <-code1; c != ExitUnknown {
		t.Fatalf("stopped batch exit %d, want %d (unfinished)", c, ExitUnknown)
	}
	e1.App.Close()
	sentFirst := srv.Creates()
	if sentFirst >= 5 {
		t.Fatalf("the first run sent all %d creates before it was stopped; the test proves nothing", sentFirst)
	}

	srv.StepsPerJob = 2
	e2, out2, errb2 := rodinEnvAt(t, context.Background(), root, srv, hc)
	if c := Run(e2, []string{"batch", file, "--provider", "rodin"}); c != ExitOK {
		t.Fatalf("second run exit %d: %s", c, errb2)
	}
	if n := srv.Creates(); n != 5 {
		t.Fatalf("server saw %d creates for 5 rows (first run %d)", n, sentFirst)
	}
	if !strings.Contains(out2.String(), "Batch: 5 jobs: 5 done") {
		t.Fatalf("summary: %q", out2)
	}
	lib, _ := e2.Library()
	all, _ := lib.List()
	if len(all) != 5 {
		t.Fatalf("%d jobs in the library, want 5", len(all))
	}
	var cube library.Job
	for _, j := range all {
		if j.State != library.StateDone {
			t.Fatalf("job %s %s", j.ID, j.State)
		}
		if j.Prompt == "a red cube" {
			cube = j
		}
	}
	if cube.Options["quality"] != "low" || strings.Join(cube.Tags, ",") != "toys,red" {
		t.Fatalf("row options/tags not carried: %+v %v", cube.Options, cube.Tags)
	}

	// A third run has nothing left to send.
	out2.Reset()
	if c := Run(e2, []string{"batch", file, "--json"}); c != ExitOK {
		t.Fatalf("third run exit %d", c)
	}
	if n := srv.Creates(); n != 5 {
		t.Fatalf("third run sent creates again: %d", n)
	}
	sums := jsonLines[batchSummary](t, []byte(lastLine(out2.String())))
	if len(sums) != 1 || !sums[0].Summary || sums[0].States[library.StateDone] != 5 {
		t.Fatalf("json summary %q", lastLine(out2.String()))
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestBatchParsing(t *testing.T) {
	rows, err := parseBatch("x.jsonl", []byte(`{"prompt":"a","options":{"quality":"low"}}

# comment
{"images":["front=f.png","b.png"],"tags":["t"]}
`))
	if err != nil || len(rows) != 2 || rows[0].Options["quality"] != "low" || rows[1].Line != 4 || len(rows[1].Images) != 2 {
		t.Fatalf("jsonl: %+v %v", rows, err)
	}
	if _, err := parseBatch("x.jsonl", []byte(`{"promt":"typo"}`)); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("unknown field accepted: %v", err)
	}
	if _, err := parseBatch("x.csv", []byte("colour,size\nred,1\n")); err == nil {
		t.Fatal("CSV without prompt or images accepted")
	}
	rows, err = parseBatch("x.csv", []byte("\ufeffprompt,images,set.seed\ncube,,7\n,a.png;b.png,\n"))
	if err != nil || len(rows) != 2 || rows[0].Options["seed"] != "7" || len(rows[1].Images) != 2 || rows[1].Line != 3 {
		t.Fatalf("csv: %+v %v", rows, err)
	}
	a, b := batchRow{Line: 2, Prompt: "x"}, batchRow{Line: 2, Prompt: "y"}
	if a.rowKey() == b.rowKey() || a.rowKey() != (batchRow{Line: 2, Prompt: "x"}).rowKey() {
		t.Fatal("row keys must follow the row's content")
	}
}

// Images are read relative to the batch file; a row whose image is missing
// is refused and reported, the others run, and the exit code says so.
func TestBatchImagesAndRefusedRow(t *testing.T) {
	e, out, errb, srv := rodinEnv(t, nil)
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "front.png"), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "rows.jsonl")
	rows := `{"images":["front.png"],"provider":"rodin"}
{"images":["missing.png"],"provider":"rodin"}
{"prompt":"a cube","provider":"rodin","tags":["x"]}
`
	if err := os.WriteFile(file, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	code := Run(e, []string{"batch", file})
	if code != ExitFailure || !strings.Contains(errb.String(), "line 2") || !strings.Contains(out.String(), "Batch: 2 jobs: 2 done") {
		t.Fatalf("exit %d\nout %s\nerr %s", code, out, errb)
	}
	if srv.Creates() != 2 {
		t.Fatalf("%d creates", srv.Creates())
	}
	_, images := srv.LastForm()
	lib, _ := e.Library()
	all, _ := lib.List()
	var withImage int
	for _, j := range all {
		if len(j.Inputs) == 1 && j.Inputs[0].Size == int64(buf.Len()) {
			withImage++
		}
	}
	if withImage != 1 || images > 1 {
		t.Fatalf("image row not carried: %d jobs with the input", withImage)
	}
}

// FuzzParseBatch: any file either parses into rows that each have a line
// and a prompt or images, or is refused with an error; it never panics.
func FuzzParseBatch(f *testing.F) {
	f.Add("x.csv", []byte(batchCSV))
	f.Add("x.csv", []byte("\ufeffprompt,images,set.seed\ncube,,7\n,a.png;b.png,\n"))
	f.Add("x.csv", []byte("prompt\n\"unterminated\n"))
	f.Add("x.jsonl", []byte(`{"prompt":"a","options":{"q":"low"}}`+"\n# c\n"+`{"images":["f=a.png"]}`))
	f.Add("x.txt", []byte(`{"prompt":"b"}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		rows, err := parseBatch(name, data)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Line <= 0 || (r.Prompt == "" && len(r.Images) == 0) {
				t.Fatalf("row %+v has no line or no input", r)
			}
			_ = r.rowKey()
		}
	})
}
