package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"meshdrop/core/app"
	"meshdrop/core/library"
	"meshdrop/core/meshio"
	"meshdrop/core/paths"
)

// libEnv is a CLI environment over temporary folders.
func libEnv(t *testing.T) (*Env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	root := t.TempDir()
	dirs := paths.Dirs{Config: filepath.Join(root, "config"), Data: filepath.Join(root, "data"),
		Library: filepath.Join(root, "data", "library"), Logs: filepath.Join(root, "logs")}
	a, err := app.NewAt(context.Background(), dirs, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	var out, errb bytes.Buffer
	return &Env{App: a, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, &out, &errb
}

func quadGLB(t *testing.T, r float32) []byte {
	t.Helper()
	b, err := meshio.EncodeGLB(&meshio.Model{Name: "quad", Parts: []meshio.Part{{
		Name:     "quad",
		Mesh:     &meshio.Mesh{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}}, Indices: []uint32{0, 1, 2, 0, 2, 3}},
		Material: meshio.Material{BaseColor: [4]float32{r, 0, 0, 1}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonLines[T any](t *testing.T, b []byte) []T {
	t.Helper()
	var out []T
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("not one JSON object per line: %q: %v", sc.Text(), err)
		}
		out = append(out, v)
	}
	return out
}

func TestImportListShowExport(t *testing.T) {
	e, out, errb := libEnv(t)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "red.glb"), quadGLB(t, 1), 0o644)
	os.WriteFile(filepath.Join(src, "dark.glb"), quadGLB(t, 0.2), 0o644)

	if code := Run(e, []string{"import", src}); code != ExitOK {
		t.Fatalf("import: %d %s", code, errb)
	}
	if strings.Count(out.String(), "imported as") != 2 {
		t.Fatalf("import output: %s", out)
	}
	out.Reset()
	if code := Run(e, []string{"import", "--json", filepath.Join(src, "red.glb")}); code != ExitOK {
		t.Fatalf("re-import: %d", code)
	}
	if l := jsonLines[importLine](t, out.Bytes()); len(l) != 1 || !l[0].Duplicate || l[0].ID == "" {
		t.Fatalf("re-import json: %s", out)
	}
	if code := Run(e, []string{"import", filepath.Join(src, "nope.glb")}); code != ExitNotFound {
		t.Fatalf("missing file: %d", code)
	}
	os.WriteFile(filepath.Join(src, "bad.glb"), []byte("not a model at all, clearly"), 0o644)
	if code := Run(e, []string{"import", filepath.Join(src, "bad.glb")}); code != ExitFailure {
		t.Fatalf("bad file: %d", code)
	}

	out.Reset()
	if code := Run(e, []string{"jobs", "list"}); code != ExitOK {
		t.Fatalf("list: %d %s", code, errb)
	}
	if !strings.Contains(out.String(), "red") || !strings.Contains(out.String(), "dark") || !strings.HasPrefix(out.String(), "ID") {
		t.Fatalf("list table:\n%s", out)
	}
	out.Reset()
	Run(e, []string{"jobs", "list", "--json", "--state", "done,failed"})
	sums := jsonLines[library.Summary](t, out.Bytes())
	if len(sums) != 2 || sums[0].Provider != library.ProviderLocal {
		t.Fatalf("list --json: %s", out)
	}
	out.Reset()
	Run(e, []string{"jobs", "list", "--json", "--state", "running"})
	if out.Len() != 0 {
		t.Fatalf("running filter: %s", out)
	}
	if code := Run(e, []string{"jobs", "list", "--state", "exploded"}); code != ExitUsage {
		t.Fatalf("bad state: %d", code)
	}

	id := sums[0].ID
	out.Reset()
	if code := Run(e, []string{"jobs", "show", id, "--json"}); code != ExitOK {
		t.Fatalf("show: %d %s", code, errb)
	}
	jobs := jsonLines[library.Job](t, out.Bytes())
	if len(jobs) != 1 || jobs[0].ID != id || len(jobs[0].Outputs) == 0 {
		t.Fatalf("show --json: %s", out)
	}
	out.Reset()
	// A unique start of the ID is enough (the last characters differ).
	if code := Run(e, []string{"jobs", "show", id}); code != ExitOK || !strings.Contains(out.String(), "model.glb") {
		t.Fatalf("show: %d\n%s", code, out)
	}
	if code := Run(e, []string{"jobs", "show", "20991231-000000-000000000000"}); code != ExitNotFound {
		t.Fatalf("show missing: %d", code)
	}

	dest := filepath.Join(t.TempDir(), "out.zip")
	if code := Run(e, []string{"export", "--zip", id, dest}); code != ExitOK {
		t.Fatalf("export: %d %s", code, errb)
	}
	if fi, err := os.Stat(dest); err != nil || fi.Size() == 0 {
		t.Fatalf("no zip: %v", err)
	}
	folder := filepath.Join(t.TempDir(), "review")
	if code := Run(e, []string{"export", id, folder}); code != ExitOK {
		t.Fatalf("export folder: %d %s", code, errb)
	}
	if _, err := os.Stat(filepath.Join(folder, library.ProvenanceFile)); err != nil {
		t.Fatal(err)
	}
	if code := Run(e, []string{"export", "20991231-000000-000000000000", folder + "2"}); code != ExitNotFound {
		t.Fatalf("export missing: %d", code)
	}
	if code := Run(e, []string{"export", id}); code != ExitUsage {
		t.Fatalf("export without DEST: %d", code)
	}
}

func TestJobsSubcommandsDispatch(t *testing.T) {
	e, out, _ := libEnv(t)
	called := ""
	JobsSubcommands["test-ping"] = func(e *Env, args []string) int { called = strings.Join(args, " "); return 7 }
	JobsUsage["test-ping"] = "meshdrop jobs test-ping ARG"
	defer delete(JobsSubcommands, "test-ping")
	defer delete(JobsUsage, "test-ping")
	if code := Run(e, []string{"jobs", "test-ping", "a", "b"}); code != 7 || called != "a b" {
		t.Fatalf("dispatch: %d %q", code, called)
	}
	Run(e, []string{"jobs"})
	for _, want := range []string{"jobs list", "jobs show", "jobs test-ping ARG"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("jobs help lacks %q:\n%s", want, out)
		}
	}
	if code := Run(e, []string{"jobs", "frobnicate"}); code != ExitUsage {
		t.Fatalf("unknown subcommand: %d", code)
	}
	out.Reset()
	if code := Run(e, []string{"jobs", "list"}); code != ExitOK || out.Len() != 0 {
		t.Fatalf("empty list: %d %q", code, out)
	}
}
