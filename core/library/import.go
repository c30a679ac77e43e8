package library

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Local job identity: imported models are jobs of the "local" provider.
const (
	ProviderLocal = "local"
	ModeImport    = "import"
	importedModel = "model.glb"
)

// Imported is the outcome of importing one file.
type Imported struct {
	Path      string // the file imported
	Job       Job    // the new job (or the existing one for a duplicate)
	Duplicate bool   // the same model (by sha256) was already in the library
	Err       error  // the file was not imported
	Warning   string // imported, but something is missing (the thumbnail)
}

// Import makes "local" jobs of GLB files: each path is a .glb file or a
// folder searched (with its subfolders) for .glb files. A model already in
// the library (same sha256) is not imported twice.
func (l *Library) Import(paths []string) []Imported {
	var files []string
	var out []Imported
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			out = append(out, Imported{Path: p, Err: fmt.Errorf("cannot import %s: %w", p, err)})
			continue
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		found := 0
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				out = append(out, Imported{Path: path, Err: fmt.Errorf("cannot read %s: %w", path, err)})
				return nil
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if d.Type().IsRegular() && strings.EqualFold(filepath.Ext(d.Name()), ".glb") {
				files = append(files, path)
				found++
			}
			return nil
		})
		if err == nil && found == 0 {
			out = append(out, Imported{Path: p, Err: fmt.Errorf("no .glb files in %s", p)})
		}
	}
	for _, f := range files {
		out = append(out, l.importFile(f))
	}
	return out
}

func (l *Library) importFile(path string) Imported {
	res := Imported{Path: path}
	// Held for the whole import: its clean-up after a failure writes too.
	if err := l.beginWrite(); err != nil {
		res.Err = fmt.Errorf("cannot import %s: %w", path, err)
		return res
	}
	defer l.endWrite()
	abs, err := filepath.Abs(path)
	if err == nil {
		path = abs
	}
	if err := CheckGLBFile(path); err != nil {
		res.Err = fmt.Errorf("%s is not a GLB file Meshdrop can import (%v)", path, err)
		return res
	}
	sum, err := fileSHA256(path)
	if err != nil {
		res.Err = fmt.Errorf("cannot read %s: %w", path, err)
		return res
	}
	if id, ok := l.jobWithModel(sum); ok {
		if j, err := l.Get(id); err == nil {
			res.Job, res.Duplicate = j, true
			return res
		}
	}
	now := l.cfg.Now()
	j := Job{
		ID: NewID(), Provider: ProviderLocal, Mode: ModeImport, State: StateDone,
		Name:    strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)),
		Source:  path,
		Created: now, Updated: now, Finished: now, Progress: 100,
	}
	src, err := os.Open(path)
	if err != nil {
		res.Err = fmt.Errorf("cannot read %s: %w", path, err)
		return res
	}
	model, err := l.SaveOutput(j.ID, importedModel, KindModel, FormatGLB, func(w io.Writer) (int64, error) { return io.Copy(w, src) })
	src.Close()
	if err == nil && model.SHA256 != sum {
		err = fmt.Errorf("%s changed while it was being imported; try again", path)
	}
	if err == nil {
		j.Outputs = []File{model}
		err = l.Put(j)
	}
	if err != nil {
		os.RemoveAll(l.JobDir(j.ID))
		res.Err = err
		return res
	}
	res.Job = j
	if l.cfg.Thumbnail == nil {
		res.Warning = "no thumbnail: " + ErrNoThumbnailer.Error()
		return res
	}
	thumb, err := l.Thumbnail(j.ID)
	if err == nil {
		res.Job, err = l.Update(j.ID, func(j *Job) error {
			j.Outputs = append(j.Outputs, thumb)
			return nil
		})
	}
	if err != nil {
		res.Warning = "no thumbnail: " + err.Error()
		if got, gerr := l.Get(j.ID); gerr == nil {
			res.Job = got
		}
	}
	return res
}

// jobWithModel finds a job whose model has this sha256.
func (l *Library) jobWithModel(sum string) (string, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for id, e := range l.jobs {
		if e.sum.ModelSHA256 == sum {
			return id, true
		}
	}
	return "", false
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// errExists is returned by Export when the destination is taken.
var errExists = errors.New("already exists")
