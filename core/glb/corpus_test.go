package glb

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// corpusDir finds ../shared/glb next to the repository root.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("corpus skipped: repository root (go.mod) not found")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "glb")
	if _, err := os.Stat(filepath.Join(c, "MANIFEST.tsv")); err != nil {
		t.Skipf("corpus skipped: %s/MANIFEST.tsv is missing (the shared GLB corpus is not checked out next to the repository)", c)
	}
	return c
}

// manifestEntry is one MANIFEST.tsv row, the columns the tests check.
type manifestEntry struct {
	file       string
	triangles  int
	vertices   int
	textures   int
	extensions string
}

func readManifest(t testing.TB, dir string) []manifestEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var col map[string]int
	var out []manifestEntry
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if col == nil {
			col = map[string]int{}
			for i, h := range fields {
				col[h] = i
			}
			for _, need := range []string{"file", "triangles", "vertices", "textures", "extensions"} {
				if _, ok := col[need]; !ok {
					t.Fatalf("MANIFEST.tsv has no %q column", need)
				}
			}
			continue
		}
		get := func(name string) string {
			if i := col[name]; i < len(fields) {
				return fields[i]
			}
			return ""
		}
		atoi := func(name string) int {
			n, err := strconv.Atoi(get(name))
			if err != nil {
				return -1 // not stated
			}
			return n
		}
		out = append(out, manifestEntry{file: get("file"), triangles: atoi("triangles"), vertices: atoi("vertices"), textures: atoi("textures"), extensions: get("extensions")})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCorpus loads every corpus file and checks it against MANIFEST.tsv.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	entries := readManifest(t, dir)
	if len(entries) == 0 {
		t.Fatal("MANIFEST.tsv lists no files")
	}
	for _, e := range entries {
		t.Run(e.file, func(t *testing.T) {
			s, err := Open(filepath.Join(dir, e.file))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			checkScene(t, s)
			if s.Stats.FileBytes <= 0 {
				t.Errorf("FileBytes = %d", s.Stats.FileBytes)
			}
			if strings.Contains(e.extensions, extDraco) {
				if !hasNote(s, NoteDraco) {
					t.Errorf("Draco file has no %q note (notes %v)", NoteDraco, s.Notes)
				}
				return
			}
			if e.triangles >= 0 && s.Stats.Triangles != e.triangles {
				t.Errorf("triangles = %d, manifest says %d", s.Stats.Triangles, e.triangles)
			}
			if e.vertices >= 0 && s.Stats.Vertices != e.vertices {
				t.Errorf("vertices = %d, manifest says %d", s.Stats.Vertices, e.vertices)
			}
			if e.textures >= 0 && s.Stats.Textures != e.textures {
				t.Errorf("textures = %d, manifest says %d", s.Stats.Textures, e.textures)
			}
			if s.Bounds.Min[0] >= s.Bounds.Max[0] || s.Bounds.Min[1] >= s.Bounds.Max[1] {
				t.Errorf("bounds %v are empty", s.Bounds)
			}
			for i, tex := range s.Textures {
				img, err := tex.Image()
				if err != nil {
					t.Errorf("texture %d (%s): %v", i, tex.MIME, err)
				} else if img.Rect.Empty() {
					t.Errorf("texture %d is empty", i)
				}
			}
		})
	}
}

func hasNote(s *Scene, note string) bool {
	for _, n := range s.Notes {
		if n == note {
			return true
		}
	}
	return false
}
