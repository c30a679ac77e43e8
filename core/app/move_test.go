package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"meshdrop/core/fsutil"
	"meshdrop/core/library"
	"meshdrop/core/meshio"
	"meshdrop/core/paths"
	"meshdrop/core/settings"
)

func moveDirs(root string) paths.Dirs {
	return paths.Dirs{Config: filepath.Join(root, "c"), Data: filepath.Join(root, "d"), Library: filepath.Join(root, "d", "library"), Logs: filepath.Join(root, "l")}
}

func newMoveApp(t *testing.T, dirs paths.Dirs) *App {
	t.Helper()
	a, err := NewAt(context.Background(), dirs, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// importModels brings n real GLB models into a's library (each gets a
// thumbnail from render.ThumbnailFile) and returns their jobs.
func importModels(t *testing.T, a *App, n int) []library.Job {
	t.Helper()
	l, err := a.Library()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i := range n {
		glb, err := meshio.EncodeGLB(&meshio.Model{Name: "q", Parts: []meshio.Part{{Name: "q",
			Mesh:     &meshio.Mesh{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, float32(i)}}, Indices: []uint32{0, 1, 2, 0, 2, 3}},
			Material: meshio.Material{BaseColor: [4]float32{1, float32(i) / 4, 0, 1}}}}})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), fmt.Sprintf("model%d.glb", i))
		if err := os.WriteFile(p, glb, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var out []library.Job
	for _, r := range l.Import(paths) {
		if r.Err != nil || r.Warning != "" {
			t.Fatalf("import %s: %v %s", r.Path, r.Err, r.Warning)
		}
		out = append(out, r.Job)
	}
	return out
}

// checkLibrary checks every job is in l with its model (sha256 as recorded)
// and a thumbnail that decodes as a PNG.
func checkLibrary(t *testing.T, l *library.Library, want []library.Job) {
	t.Helper()
	if l.Len() != len(want) {
		t.Fatalf("%d jobs in %s, want %d", l.Len(), l.Dir(), len(want))
	}
	for _, w := range want {
		j, err := l.Get(w.ID)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := library.ModelFile(j)
		if !ok {
			t.Fatalf("job %s has no model", j.ID)
		}
		b, err := os.ReadFile(filepath.Join(l.JobDir(j.ID), m.File))
		sum := sha256.Sum256(b)
		if err != nil || hex.EncodeToString(sum[:]) != m.SHA256 {
			t.Fatalf("job %s's model: %v", j.ID, err)
		}
		th, err := os.ReadFile(filepath.Join(l.JobDir(j.ID), library.ThumbnailFile))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(th)); err != nil {
			t.Fatalf("job %s's thumbnail: %v", j.ID, err)
		}
	}
}

func TestMoveLibraryThenAFreshAppOpensItThere(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	a := newMoveApp(t, dirs)
	jobs := importModels(t, a, 3)
	oldLib, _ := a.Library()
	oldRunner, err := a.Runner()
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(root, "external", "Meshdrop library")
	var phases []library.MovePhase
	res, err := a.MoveLibrary(dst, func(p library.MoveProgress) error { phases = append(phases, p.Phase); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.From != dirs.Library || res.To != dst || res.Copied || len(res.Warnings) != 0 || len(phases) == 0 {
		t.Fatalf("move result %+v, phases %v", res, phases)
	}
	if a.LibraryDir() != dst || a.Current().LibraryDir != dst {
		t.Fatalf("after the move: dir %s, settings %q", a.LibraryDir(), a.Current().LibraryDir)
	}
	if _, err := os.Stat(dirs.Library); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("old folder: %v", err)
	}
	// The App opens fresh stores at the new place.
	l, err := a.Library()
	if err != nil || l == oldLib || l.Dir() != dst {
		t.Fatalf("library after the move: %v (same object %v)", err, l == oldLib)
	}
	if r, err := a.Runner(); err != nil || r == oldRunner || r.Store() != l {
		t.Fatalf("runner after the move: %v", err)
	}
	checkLibrary(t, l, jobs)
	saved, err := settings.Load(dirs.Config)
	if err != nil || saved.LibraryDir != dst {
		t.Fatalf("settings file: %q %v", saved.LibraryDir, err)
	}
	a.Close()

	// A new process with the same folders finds the library at the new place.
	b := newMoveApp(t, dirs)
	if b.LibraryDir() != dst {
		t.Fatalf("fresh App's library folder: %s", b.LibraryDir())
	}
	lb, err := b.Library()
	if err != nil {
		t.Fatal(err)
	}
	checkLibrary(t, lb, jobs)

	// Moving back to the default folder forgets library_dir.
	if _, err := b.MoveLibrary(dirs.Library, nil); err != nil {
		t.Fatal(err)
	}
	if saved, _ := settings.Load(dirs.Config); saved.LibraryDir != "" {
		t.Fatalf("back home, settings keep %q", saved.LibraryDir)
	}
	lb, err = b.Library()
	if err != nil || lb.Dir() != dirs.Library {
		t.Fatalf("library back home: %v", err)
	}
	checkLibrary(t, lb, jobs)
}

// envHoldLock makes the test binary hold a job lock in a child process.
const envHoldLock = "MESHDROP_APP_HOLD_LOCK"

// TestMoveLibraryRefusedWhileAJobRunsElsewhere: a job lock held by another
// process (a CLI driving a job) stops the move, and the library stays.
func TestMoveLibraryRefusedWhileAJobRunsElsewhere(t *testing.T) {
	if p := os.Getenv(envHoldLock); p != "" {
		lk, busy, err := fsutil.TryLock(p, true)
		if err != nil || busy {
			t.Fatalf("child lock: %v %v", busy, err)
		}
		defer lk.Unlock()
		fmt.Println("LOCKED")
		bufio.NewReader(os.Stdin).ReadString('\n') // until the parent lets go
		return
	}
	root := t.TempDir()
	dirs := moveDirs(root)
	a := newMoveApp(t, dirs)
	jobs := importModels(t, a, 1)
	lockDir := filepath.Join(dirs.Data, LockDirName)
	os.MkdirAll(lockDir, 0o700)
	// A lock file nobody holds (left by a finished job) does not count.
	os.WriteFile(filepath.Join(lockDir, "20261123-090000-000000000099.lock"), nil, 0o600)

	cmd := exec.Command(os.Args[0], "-test.run", "^TestMoveLibraryRefusedWhileAJobRunsElsewhere$")
	cmd.Env = append(os.Environ(), envHoldLock+"="+filepath.Join(lockDir, jobs[0].ID+".lock"))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "LOCKED" {
		stdin.Close()
		cmd.Wait()
		t.Fatalf("child: %q", line)
	}
	dst := filepath.Join(root, "new")
	_, err := a.MoveLibrary(dst, nil)
	if !errors.Is(err, ErrJobsRunning) || !strings.Contains(err.Error(), "1 job is running; wait for them or cancel them") {
		t.Fatalf("move with a job running elsewhere: %v", err)
	}
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a refused move made the new folder")
	}
	l, err := a.Library()
	if err != nil || l.Dir() != dirs.Library {
		t.Fatalf("library after the refusal: %v", err)
	}
	checkLibrary(t, l, jobs)

	// The other process lets go: the move goes ahead.
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.MoveLibrary(dst, nil); err != nil {
		t.Fatal(err)
	}
	l, _ = a.Library()
	checkLibrary(t, l, jobs)
}

// TestMoveLibraryRefusedWhileOpenElsewhere: another Meshdrop with the
// library open (the window) stops a move from a second one (a CLI).
func TestMoveLibraryRefusedWhileOpenElsewhere(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	window := newMoveApp(t, dirs)
	jobs := importModels(t, window, 2)
	cli := newMoveApp(t, dirs)
	dst := filepath.Join(root, "new")
	_, err := cli.MoveLibrary(dst, nil)
	if !errors.Is(err, ErrLibraryInUse) || !strings.Contains(err.Error(), "close it, then move") {
		t.Fatalf("move while the window has the library: %v", err)
	}
	if l, err := window.Library(); err != nil || l.Len() != len(jobs) {
		t.Fatalf("window's library after the refusal: %v", err)
	}
	window.Close()
	if _, err := cli.MoveLibrary(dst, nil); err != nil {
		t.Fatal(err)
	}
	l, _ := cli.Library()
	checkLibrary(t, l, jobs)
}

// TestMovedLibraryMissingIsAnError: a library moved to a disk that is not
// connected is reported, not replaced by a new empty one.
func TestMovedLibraryMissingIsAnError(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	gone := filepath.Join(root, "unplugged", "library")
	os.MkdirAll(dirs.Config, 0o700)
	if err := settings.Save(dirs.Config, settings.Settings{LibraryDir: gone}); err != nil {
		t.Fatal(err)
	}
	a := newMoveApp(t, dirs)
	_, err := a.Library()
	if err == nil || !strings.Contains(err.Error(), "is missing") || !strings.Contains(err.Error(), "connect it") {
		t.Fatalf("missing moved library: %v", err)
	}
	if _, err := os.Stat(gone); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("an empty library was made in the missing folder's place")
	}
}

// TestMoveLibraryRefusals: bad targets leave the library where it is and
// in use.
func TestMoveLibraryRefusals(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	a := newMoveApp(t, dirs)
	jobs := importModels(t, a, 1)
	before, _ := a.Library()
	busy := filepath.Join(root, "busy")
	os.MkdirAll(filepath.Join(busy, "x"), 0o700)
	for _, c := range []struct{ dst, want string }{
		{busy, "not empty"},
		{filepath.Join(dirs.Library, "inner"), "inside the library"},
		{"", "give a folder"},
	} {
		if _, err := a.MoveLibrary(c.dst, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("move to %q: %v, want %q", c.dst, err, c.want)
		}
	}
	l, err := a.Library()
	if err != nil || l.Dir() != dirs.Library || a.Current().LibraryDir != "" {
		t.Fatalf("after refusals: %v", err)
	}
	// A bad target is refused before anything is closed.
	if l != before {
		t.Fatal("a refused target closed and re-opened the library")
	}
	checkLibrary(t, l, jobs)
}

// TestMoveCutShortAtTheLastStep: a process that ended after recording the
// new place but before removing the copy's marker and the old folder
// leaves a complete library at the new place; the next start uses it,
// clears the marker and leaves the old folder for the person to delete.
func TestMoveCutShortAtTheLastStep(t *testing.T) {
	root := t.TempDir()
	dirs := moveDirs(root)
	a := newMoveApp(t, dirs)
	jobs := importModels(t, a, 2)
	a.Close()
	dst := filepath.Join(root, "new")
	// The move's steps up to recording the place, then the "crash".
	if _, err := library.Move(dirs.Library, dst, library.MoveOptions{ForceCopy: true}); err != nil {
		t.Fatal(err)
	}
	st, _ := settings.Load(dirs.Config)
	st.LibraryDir = dst
	if err := settings.Save(dirs.Config, st); err != nil {
		t.Fatal(err)
	}
	b := newMoveApp(t, dirs)
	l, err := b.Library()
	if err != nil {
		t.Fatal(err)
	}
	if l.Dir() != dst {
		t.Fatalf("library opened in %s", l.Dir())
	}
	checkLibrary(t, l, jobs)
	if _, err := os.Stat(filepath.Join(dst, library.MovingMarker)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the marker is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dirs.Library, jobs[0].ID, "job.json")); err != nil {
		t.Fatalf("the old folder was removed without asking: %v", err)
	}
	// Another move from the new place works as usual.
	if _, err := b.MoveLibrary(filepath.Join(root, "third"), nil); err != nil {
		t.Fatal(err)
	}
	l, _ = b.Library()
	checkLibrary(t, l, jobs)
}
