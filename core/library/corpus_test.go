package library

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestImportRealCorpus imports every GLB of the shared corpus (real models
// from Meshy, Tripo, Rodin, Hunyuan, Blender, trimesh …): the container
// check must accept each one and the copy must be exact.
func TestImportRealCorpus(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	repoRoot := filepath.Join(filepath.Dir(file), "..", "..")
	corpus := filepath.Join(repoRoot, "..", "shared", "glb")
	ents, err := os.ReadDir(corpus)
	if err != nil {
		t.Skipf("GLB corpus not found at %s: %v", corpus, err)
	}
	var want int
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".glb") {
			want++
		}
	}
	if want == 0 {
		t.Skipf("no GLB files in %s", corpus)
	}
	l := openT(t, t.TempDir(), Config{})
	res := l.Import([]string{corpus})
	got := 0
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("%s: %v", filepath.Base(r.Path), r.Err)
			continue
		}
		if r.Duplicate {
			continue // the corpus may hold the same model twice
		}
		got++
		m, _ := ModelFile(r.Job)
		sum, err := fileSHA256(filepath.Join(l.JobDir(r.Job.ID), m.File))
		if err != nil || sum != m.SHA256 {
			t.Errorf("%s: copy differs", r.Path)
		}
	}
	if got+countDup(res) != want {
		t.Fatalf("imported %d (+%d duplicates) of %d", got, countDup(res), want)
	}
	t.Logf("imported %d corpus models", got)
}

func countDup(res []Imported) int {
	n := 0
	for _, r := range res {
		if r.Duplicate {
			n++
		}
	}
	return n
}
