package library

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// movedLibrary makes a closed library in dir with n finished jobs, each
// with a real GLB model, an input image and a rendered thumbnail listed in
// its record.
func movedLibrary(t testing.TB, dir string, n int) []Job {
	t.Helper()
	r := &pngThumbnailer{}
	l, err := Open(dir, Config{Thumbnail: r.render, ThumbnailSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	glb := testGLB(t)
	var out []Job
	for i := range n {
		j := testJob(i)
		j.Outputs = nil
		in, err := l.AddInput(j.ID, "photo.png", "front", "image/png", []byte(fmt.Sprintf("not really a png %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		j.Inputs = []Input{in}
		if err := l.Put(j); err != nil {
			t.Fatal(err)
		}
		j.Outputs = []File{writeGLBOutput(t, l, j.ID, glb)}
		if err := l.Put(j); err != nil {
			t.Fatal(err)
		}
		th, err := l.Thumbnail(j.ID)
		if err != nil {
			t.Fatal(err)
		}
		j.Outputs = append(j.Outputs, th)
		if err := l.Put(j); err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tree is every regular file under dir: relative path → sha256.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		sum, _, err := hashFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = sum
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameTree(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d files, want %d\n got %v\nwant %v", what, len(got), len(want), got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: %s differs (%q, want %q)", what, k, got[k], v)
		}
	}
}

// checkOpens opens the library at dir and checks every job, its model (by
// the sha256 in its record), its input and its thumbnail are there.
func checkOpens(t *testing.T, dir string, want []Job) {
	t.Helper()
	l := openT(t, dir, Config{})
	if len(l.Problems()) != 0 {
		t.Fatalf("problems after the move: %v", l.Problems())
	}
	if l.Len() != len(want) {
		t.Fatalf("%d jobs after the move, want %d", l.Len(), len(want))
	}
	for _, w := range want {
		j, err := l.Get(w.ID)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := ModelFile(j)
		if !ok {
			t.Fatalf("job %s lost its model entry", j.ID)
		}
		sum, _, err := hashFile(filepath.Join(l.JobDir(j.ID), m.File))
		if err != nil || sum != m.SHA256 {
			t.Fatalf("job %s model after the move: %v (sum %s, record %s)", j.ID, err, sum, m.SHA256)
		}
		if err := CheckGLBFile(filepath.Join(l.JobDir(j.ID), m.File)); err != nil {
			t.Fatal(err)
		}
		if _, err := l.ReadInput(j.ID, j.Inputs[0]); err != nil {
			t.Fatal(err)
		}
		s, _ := l.Summary(j.ID)
		if s.Thumbnail == "" {
			t.Fatalf("job %s lost its thumbnail entry", j.ID)
		}
		if _, err := os.Stat(filepath.Join(l.JobDir(j.ID), s.Thumbnail)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMoveOnOneDiskRenames(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "library"), filepath.Join(root, "elsewhere", "models")
	jobs := movedLibrary(t, src, 3)
	before := tree(t, src)
	var phases []MovePhase
	m, err := Move(src, dst, MoveOptions{Progress: func(p MoveProgress) error { phases = append(phases, p.Phase); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if m.Copied || len(phases) != 1 || phases[0] != MoveRenaming {
		t.Fatalf("on one disk: copied %v, phases %v", m.Copied, phases)
	}
	if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the old folder is still there after a rename: %v", err)
	}
	if err := m.Finish(); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "renamed library", tree(t, dst), before)
	checkOpens(t, dst, jobs)
}

func TestMoveRenameUndo(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "library"), filepath.Join(root, "empty")
	movedLibrary(t, src, 1)
	before := tree(t, src)
	if err := os.Mkdir(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	m, err := Move(src, dst, MoveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Undo(); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "library after undo", tree(t, src), before)
	if ents, err := os.ReadDir(dst); err != nil || len(ents) != 0 {
		t.Fatalf("the chosen empty folder after undo: %v %v", ents, err)
	}
}

func TestMoveCopiesAndVerifies(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "library"), filepath.Join(root, "other-disk")
	if err := os.Mkdir(dst, 0o700); err != nil { // an existing empty folder is fine
		t.Fatal(err)
	}
	jobs := movedLibrary(t, src, 4)
	// Leftovers that are not part of the library stay behind.
	os.WriteFile(filepath.Join(src, jobs[0].ID, ".model.glb"+partMarker+"1"), []byte("half"), 0o600)
	os.Mkdir(filepath.Join(src, trashPrefix+"x"), 0o700)
	before := tree(t, src)
	stampBefore, _ := os.Stat(filepath.Join(src, jobs[1].ID, JobFile))

	var last = map[MovePhase]MoveProgress{}
	var order []MovePhase
	m, err := Move(src, dst, MoveOptions{ForceCopy: true, Progress: func(p MoveProgress) error {
		if _, seen := last[p.Phase]; !seen {
			order = append(order, p.Phase)
		}
		last[p.Phase] = p
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Copied || len(m.Warnings) != 0 {
		t.Fatalf("copied %v, warnings %v", m.Copied, m.Warnings)
	}
	if fmt.Sprint(order) != fmt.Sprint([]MovePhase{MoveCounting, MoveCopying, MoveVerifying}) {
		t.Fatalf("phases %v", order)
	}
	// index, job.json, input, model, thumbnail per job; the leftovers are skipped.
	wantFiles := 1 + 4*len(jobs)
	for _, ph := range []MovePhase{MoveCopying, MoveVerifying} {
		p := last[ph]
		if p.Files != wantFiles || p.TotalFiles != wantFiles || p.Bytes != p.TotalBytes || p.Bytes == 0 || p.Bytes != m.Bytes {
			t.Fatalf("%s progress at the end: %+v (moved %d bytes)", ph, p, m.Bytes)
		}
	}
	// Until Finish the old library is whole and the copy is marked.
	sameTree(t, "old library before Finish", tree(t, src), before)
	if _, err := os.Stat(filepath.Join(dst, MovingMarker)); err != nil {
		t.Fatalf("the copy is not marked before Finish: %v", err)
	}
	if err := m.Finish(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("old folder after Finish: %v", err)
	}
	got := tree(t, dst)
	for k, v := range before {
		if strings.Contains(k, partMarker) {
			if _, ok := got[k]; ok {
				t.Fatalf("a write cut short was copied: %s", k)
			}
			continue
		}
		if got[k] != v {
			t.Fatalf("%s: %q after the copy, %q before", k, got[k], v)
		}
	}
	if _, ok := got[MovingMarker]; ok {
		t.Fatal("the marker is still there after Finish")
	}
	// Modification times are kept, so the index stays trusted.
	stampAfter, _ := os.Stat(filepath.Join(dst, jobs[1].ID, JobFile))
	if !stampAfter.ModTime().Equal(stampBefore.ModTime()) {
		t.Fatalf("job.json time changed: %v → %v", stampBefore.ModTime(), stampAfter.ModTime())
	}
	checkOpens(t, dst, jobs)
}

// A model that was already different from its record before the move is
// copied as it was and reported, not refused (else the library could
// never move).
func TestMoveCopyWarnsOfAModelAlreadyDamaged(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "library"), filepath.Join(root, "new")
	jobs := movedLibrary(t, src, 2)
	mp := filepath.Join(src, jobs[1].ID, "model.glb")
	b, _ := os.ReadFile(mp)
	b[len(b)-1] ^= 0xff
	os.WriteFile(mp, b, 0o600)
	m, err := Move(src, dst, MoveOptions{ForceCopy: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], jobs[1].ID) || !strings.Contains(m.Warnings[0], "model.glb") {
		t.Fatalf("warnings: %v", m.Warnings)
	}
}

func TestMoveRefuses(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "library")
	movedLibrary(t, src, 1)
	before := tree(t, src)
	file := filepath.Join(root, "a-file")
	os.WriteFile(file, []byte("x"), 0o600)
	full := filepath.Join(root, "full")
	os.MkdirAll(filepath.Join(full, "photos"), 0o700)
	link := filepath.Join(root, "link")
	if err := os.Symlink(src, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dst, want string }{
		{src, "already in"},
		{link, "already in"},
		{filepath.Join(src, "sub"), "inside the library"},
		{filepath.Join(link, "sub", "deeper"), "inside the library"},
		{root, "library is inside that folder"},
		{file, "it is a file"},
		{full, "not empty"},
		{"relative/folder", "full path"},
	} {
		_, err := Move(src, c.dst, MoveOptions{ForceCopy: true})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Move to %s: %v, want %q", c.dst, err, c.want)
		}
	}
	sameTree(t, "library after refusals", tree(t, src), before)
	if _, err := os.Stat(filepath.Join(src, "sub")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a refused move created a folder")
	}
	if ents, _ := os.ReadDir(full); len(ents) != 1 {
		t.Fatal("a refused move changed the non-empty folder")
	}
}

func TestMoveRefusesWithoutRoom(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "library"), filepath.Join(root, "small-disk")
	movedLibrary(t, src, 2)
	before := tree(t, src)
	_, err := Move(src, dst, MoveOptions{ForceCopy: true, FreeSpace: func(string) (int64, bool, error) { return 4096, true, nil }})
	if err == nil || !strings.Contains(err.Error(), "only 4.1 kB is free") || !strings.Contains(err.Error(), "needs") {
		t.Fatalf("copy onto a full disk: %v", err)
	}
	sameTree(t, "library", tree(t, src), before)
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the refused target was left: %v", err)
	}
	// The real figure is known here and covers a small library.
	if free, known, err := freeSpace(root); err != nil || (known && free <= 0) {
		t.Fatalf("freeSpace: %d %v %v", free, known, err)
	}
}

// A move stopped part-way (its progress hook fails, as when the disk
// fails) leaves the old library as it was and no copy; a retry succeeds.
func TestMoveStoppedLeavesTheOldLibrary(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "library"), filepath.Join(root, "new")
	jobs := movedLibrary(t, src, 3)
	before := tree(t, src)
	stop := errors.New("disk unplugged")
	_, err := Move(src, dst, MoveOptions{ForceCopy: true, Progress: func(p MoveProgress) error {
		if p.Phase == MoveCopying && p.Files == 4 {
			return stop
		}
		return nil
	}})
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "untouched and still in use") {
		t.Fatalf("stopped move: %v", err)
	}
	sameTree(t, "old library", tree(t, src), before)
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the partial copy was left: %v", err)
	}
	m, err := Move(src, dst, MoveOptions{ForceCopy: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Finish(); err != nil {
		t.Fatal(err)
	}
	checkOpens(t, dst, jobs)
}

// envMoveCrash makes the test binary run the crashing half of
// TestMoveCrashThenRetry in a child process.
const envMoveCrash = "MESHDROP_LIBRARY_MOVE_CRASH"

// A process that dies mid-copy leaves the old library whole and the copy
// marked; the next move into the same folder clears it and succeeds.
func TestMoveCrashThenRetry(t *testing.T) {
	if spec := os.Getenv(envMoveCrash); spec != "" {
		src, dst, _ := strings.Cut(spec, "\n")
		Move(src, dst, MoveOptions{ForceCopy: true, Progress: func(p MoveProgress) error {
			if p.Phase == MoveCopying && p.Files == 5 {
				os.Exit(7) // no deferred clean-up runs: a crash
			}
			return nil
		}})
		t.Fatal("the child's move did not reach its crash point")
	}
	root := t.TempDir()
	src, dst := filepath.Join(root, "library"), filepath.Join(root, "new")
	jobs := movedLibrary(t, src, 3)
	before := tree(t, src)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestMoveCrashThenRetry$")
	cmd.Env = append(os.Environ(), envMoveCrash+"="+src+"\n"+dst)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("child did not crash mid-copy: %v\n%s", err, out)
	}
	sameTree(t, "old library after the crash", tree(t, src), before)
	partial := tree(t, dst)
	if _, ok := partial[MovingMarker]; !ok || len(partial) < 5 {
		t.Fatalf("the partial copy: %v", partial)
	}
	// The old library still opens with everything.
	checkOpens(t, src, jobs)
	before = tree(t, src)

	m, err := Move(src, dst, MoveOptions{ForceCopy: true})
	if err != nil {
		t.Fatalf("retry after the crash: %v", err)
	}
	if err := m.Finish(); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "library after the retry", tree(t, dst), before)
	checkOpens(t, dst, jobs)
}
