package library

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"meshdrop/core/provider"
)

func TestImportFolderAndFiles(t *testing.T) {
	src := t.TempDir()
	glb := testGLB(t)
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.MkdirAll(filepath.Join(src, ".hidden"), 0o755)
	os.WriteFile(filepath.Join(src, "chair.glb"), glb, 0o644)
	os.WriteFile(filepath.Join(src, "sub", "Table.GLB"), appendGLBJSONSpace(t, glb), 0o644)
	os.WriteFile(filepath.Join(src, "broken.glb"), glb[:len(glb)/2], 0o644)
	os.WriteFile(filepath.Join(src, ".hidden", "x.glb"), glb, 0o644)
	os.WriteFile(filepath.Join(src, "notes.txt"), []byte("hi"), 0o644)

	r := &pngThumbnailer{}
	l := openT(t, t.TempDir(), Config{Thumbnail: r.render, ThumbnailSize: 16})
	res := l.Import([]string{src, filepath.Join(src, "missing.glb")})
	var ok, failed []string
	for _, x := range res {
		if x.Err != nil {
			failed = append(failed, filepath.Base(x.Path))
			continue
		}
		ok = append(ok, x.Job.Name)
		if x.Warning != "" {
			t.Errorf("%s: warning %s", x.Path, x.Warning)
		}
		j, err := l.Get(x.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Provider != ProviderLocal || j.State != StateDone || j.Source != x.Path || len(j.Outputs) != 2 {
			t.Fatalf("imported job %+v", j)
		}
		m, _ := ModelFile(j)
		want, _ := os.ReadFile(x.Path)
		got, _ := os.ReadFile(filepath.Join(l.JobDir(j.ID), m.File))
		sum := sha256.Sum256(want)
		if !bytes.Equal(got, want) || m.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatal("imported model differs from its source")
		}
		if j.Outputs[1].Kind != KindThumbnail {
			t.Fatalf("no thumbnail entry: %+v", j.Outputs)
		}
	}
	slices.Sort(ok)
	slices.Sort(failed)
	if !slices.Equal(ok, []string{"Table", "chair"}) || !slices.Equal(failed, []string{"broken.glb", "missing.glb"}) {
		t.Fatalf("imported %v, failed %v", ok, failed)
	}
	if page, n := l.Query(Query{Provider: ProviderLocal, Sort: SortName}); n != 2 || page[0].Title() != "chair" {
		t.Fatalf("query of imports: %d %+v", n, page)
	}
	// Importing the same files again makes no new jobs.
	again := l.Import([]string{filepath.Join(src, "chair.glb")})
	if len(again) != 1 || !again[0].Duplicate || l.Len() != 2 {
		t.Fatalf("re-import: %+v, %d jobs", again, l.Len())
	}
	if res := l.Import([]string{t.TempDir()}); len(res) != 1 || res[0].Err == nil {
		t.Fatalf("empty folder: %+v", res)
	}
	// Without a renderer the import works and says the thumbnail is missing.
	l2 := openT(t, t.TempDir(), Config{})
	res = l2.Import([]string{filepath.Join(src, "chair.glb")})
	if res[0].Err != nil || !strings.Contains(res[0].Warning, "thumbnail") {
		t.Fatalf("no renderer: %+v", res[0])
	}
}

// appendGLBJSONSpace returns a different valid GLB: the JSON chunk grows
// by 4 spaces (JSON whitespace), lengths fixed up.
func appendGLBJSONSpace(t *testing.T, glb []byte) []byte {
	t.Helper()
	le := func(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24 }
	put := func(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
	jsonLen := le(glb[12:])
	out := append([]byte{}, glb[:20+jsonLen]...)
	out = append(out, "    "...)
	out = append(out, glb[20+jsonLen:]...)
	put(out[12:], jsonLen+4)
	put(out[8:], uint32(len(out)))
	if err := checkGLB(bytes.NewReader(out), int64(len(out))); err != nil {
		t.Fatal(err)
	}
	return out
}

func exportJob(t *testing.T, l *Library) Job {
	t.Helper()
	j := testJob(0)
	j.KeyFP = "sha256:ab12cd34"
	j.Credits = 20
	j.Stages = []Stage{{Name: "preview", Ref: provider.TaskRef{ID: "task-123"}}}
	in, err := l.AddInput(j.ID, "photo.png", "front", "image/png", []byte("\x89PNG\r\n\x1a\nbody"))
	if err != nil {
		t.Fatal(err)
	}
	j.Inputs = []Input{in}
	j.Outputs = []File{writeGLBOutput(t, l, j.ID, testGLB(t))}
	if err := l.Put(j); err != nil {
		t.Fatal(err)
	}
	return j
}

func TestExportFolderWithProvenance(t *testing.T) {
	l := openT(t, t.TempDir(), Config{})
	j := exportJob(t, l)
	dest := t.TempDir() // existing folder: the export goes inside, named after the job
	out, err := l.Export(j.ID, dest, false)
	if err != nil {
		t.Fatal(err)
	}
	if out != filepath.Join(dest, j.ID) {
		t.Fatalf("exported to %s", out)
	}
	for _, f := range []string{"model.glb", j.Inputs[0].File, ProvenanceFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatalf("missing %s: %v", f, err)
		}
	}
	a, _ := os.ReadFile(filepath.Join(out, "model.glb"))
	b, _ := os.ReadFile(filepath.Join(l.JobDir(j.ID), "model.glb"))
	if !bytes.Equal(a, b) {
		t.Fatal("exported model differs")
	}
	var p Provenance
	data, _ := os.ReadFile(filepath.Join(out, ProvenanceFile))
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	if p.Prompt != j.Prompt || p.Provider != j.Provider || p.ModelVersion != "meshy-5" || p.KeyFingerprint != "sha256:ab12cd34" ||
		p.Credits != 20 || !p.Created.Equal(j.Created) || p.Licence == "" || len(p.Tasks) != 1 || p.Tasks[0].TaskID != "task-123" ||
		p.Options["topology"] != "quad" || len(p.Files) != 1 || len(p.Inputs) != 1 {
		t.Fatalf("provenance %+v", p)
	}
	if _, err := l.Export(j.ID, dest, false); err == nil {
		t.Fatal("exported over an existing export")
	}
	// A new path is the folder itself.
	named := filepath.Join(dest, "for-review", "chair")
	if out, err := l.Export(j.ID, named, false); err != nil || out != named {
		t.Fatalf("named export: %s %v", out, err)
	}
}

func TestExportZip(t *testing.T) {
	l := openT(t, t.TempDir(), Config{})
	j := exportJob(t, l)
	dest := filepath.Join(t.TempDir(), "chair.zip")
	out, err := l.Export(j.ID, dest, true)
	if err != nil || out != dest {
		t.Fatalf("%s %v", out, err)
	}
	zr, err := zip.OpenReader(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == j.ID+"/model.glb" {
			rc, _ := f.Open()
			got, _ := io.ReadAll(rc)
			rc.Close()
			sum := sha256.Sum256(got)
			if hex.EncodeToString(sum[:]) != j.Outputs[0].SHA256 {
				t.Fatal("zipped model differs")
			}
		}
	}
	slices.Sort(names)
	want := []string{j.ID + "/" + j.Inputs[0].File, j.ID + "/model.glb", j.ID + "/" + ProvenanceFile}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("zip entries %v", names)
	}
}

func TestExportRefusesChangedFilesAndLeavesNothing(t *testing.T) {
	l := openT(t, t.TempDir(), Config{})
	j := exportJob(t, l)
	p := filepath.Join(l.JobDir(j.ID), "model.glb")
	b, _ := os.ReadFile(p)
	b[len(b)-1] ^= 0xff
	os.WriteFile(p, b, 0o600)
	for _, asZip := range []bool{false, true} {
		parent := t.TempDir()
		dest := filepath.Join(parent, "out")
		if _, err := l.Export(j.ID, dest, asZip); err == nil || !strings.Contains(err.Error(), "changed") {
			t.Fatalf("zip=%v: exported a changed model: %v", asZip, err)
		}
		if ents := ls(t, parent); len(ents) != 0 {
			t.Fatalf("zip=%v: failed export left %v", asZip, ents)
		}
	}
	if _, err := l.Export(j.ID, "", false); err == nil {
		t.Fatal("exported to an empty path")
	}
	if _, err := l.Export("20261123-000000-ffffffffffff", t.TempDir(), false); err == nil {
		t.Fatal("exported a missing job")
	}
}
