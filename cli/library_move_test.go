package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"meshdrop/core/app"
	"meshdrop/core/paths"
)

func TestLibraryWhereAndMove(t *testing.T) {
	e, out, errb := libEnv(t)
	dirs := e.Dirs
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "red.glb"), quadGLB(t, 1), 0o644)
	os.WriteFile(filepath.Join(src, "dark.glb"), quadGLB(t, 0.2), 0o644)
	if code := Run(e, []string{"import", src}); code != ExitOK {
		t.Fatalf("import: %d %s", code, errb)
	}
	out.Reset()
	if code := Run(e, []string{"library", "where"}); code != ExitOK || strings.TrimSpace(out.String()) != dirs.Library {
		t.Fatalf("where: %d %q", code, out)
	}

	// Usage errors.
	for _, args := range [][]string{{"library"}, {"library", "move"}, {"library", "where", "x"}, {"library", "shelve"}} {
		if code := Run(e, args); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}

	// A folder that is not empty is refused; nothing moves.
	full := filepath.Join(t.TempDir(), "full")
	os.MkdirAll(filepath.Join(full, "holiday photos"), 0o700)
	errb.Reset()
	if code := Run(e, []string{"library", "move", full}); code != ExitFailure || !strings.Contains(errb.String(), "not empty; choose a new or empty folder") {
		t.Fatalf("move into a full folder: %d %s", code, errb)
	}

	// A relative DIR is taken from the working folder.
	base := t.TempDir()
	t.Chdir(base)
	out.Reset()
	errb.Reset()
	if code := Run(e, []string{"library", "move", "models"}); code != ExitOK {
		t.Fatalf("move: %d %s", code, errb)
	}
	dst := filepath.Join(base, "models")
	if !strings.Contains(out.String(), "now in "+dst) || !strings.Contains(errb.String(), "moving the folder") {
		t.Fatalf("move output: %q, stderr %q", out, errb)
	}
	out.Reset()
	Run(e, []string{"library", "where"})
	if strings.TrimSpace(out.String()) != dst {
		t.Fatalf("where after the move: %q", out)
	}
	out.Reset()
	if code := Run(e, []string{"jobs", "list"}); code != ExitOK || !strings.Contains(out.String(), "red") || !strings.Contains(out.String(), "dark") {
		t.Fatalf("list after the move: %d %s", code, out)
	}
	e.Close()

	// The next command (a new process) finds the library there.
	a, err := app.NewAt(context.Background(), paths.Dirs{Config: dirs.Config, Data: dirs.Data, Library: filepath.Join(dirs.Data, "library"), Logs: dirs.Logs}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out2, err2 bytes.Buffer
	e2 := &Env{App: a, Stdin: strings.NewReader(""), Stdout: &out2, Stderr: &err2}
	if code := Run(e2, []string{"jobs", "list", "--json"}); code != ExitOK {
		t.Fatalf("list in a new process: %d %s", code, err2.String())
	}
	if n := len(jsonLines[map[string]any](t, out2.Bytes())); n != 2 {
		t.Fatalf("%d jobs in a new process, want 2: %s", n, out2.String())
	}
	if _, err := os.Stat(filepath.Join(dst, "index.json")); err != nil {
		t.Fatal(err)
	}
}
