package library

import (
	"archive/zip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"meshdrop/core/fsutil"
	"meshdrop/core/version"
)

// ProvenanceFile is the provenance record's name in an export.
const ProvenanceFile = "provenance.json"

// Provenance says where an exported model came from.
type Provenance struct {
	Meshdrop       string            `json:"meshdrop"`
	Exported       time.Time         `json:"exported"`
	ID             string            `json:"id"`
	Name           string            `json:"name,omitempty"`
	Provider       string            `json:"provider"`
	ModelVersion   string            `json:"model_version,omitempty"`
	Mode           string            `json:"mode,omitempty"`
	Prompt         string            `json:"prompt,omitempty"`
	Options        map[string]string `json:"options,omitempty"`
	KeyName        string            `json:"key_name,omitempty"`
	KeyFingerprint string            `json:"key_fingerprint,omitempty"`
	Credits        float64           `json:"credits"`
	State          State             `json:"state"`
	Created        time.Time         `json:"created"`
	Finished       time.Time         `json:"finished,omitzero"`
	Source         string            `json:"source,omitempty"` // imported from
	Tasks          []ProvenanceTask  `json:"tasks,omitempty"`
	Inputs         []Input           `json:"inputs,omitempty"`
	Files          []File            `json:"files"`
	Licence        string            `json:"licence"`
}

// ProvenanceTask is one provider task behind the model.
type ProvenanceTask struct {
	Stage  string `json:"stage"`
	TaskID string `json:"task_id"`
}

// modelVersionOptions are the request options that name the provider's
// model, per providers.md (Meshy "ai_model", Tripo "model"), used when the
// job has no ModelVersion of its own.
var modelVersionOptions = []string{"ai_model", "model", "model_version"}

// NewProvenance makes a job's provenance record.
func NewProvenance(j Job, now time.Time) Provenance {
	p := Provenance{
		Meshdrop: version.Version, Exported: now.UTC(), ID: j.ID, Name: j.Name, Provider: j.Provider,
		ModelVersion: j.ModelVersion, Mode: j.Mode, Prompt: j.Prompt, Options: j.Options,
		KeyName: j.KeyName, KeyFingerprint: j.KeyFP, Credits: j.Credits, State: j.State,
		Created: j.Created, Finished: j.Finished, Source: j.Source, Inputs: j.Inputs, Files: j.Outputs,
	}
	for _, k := range modelVersionOptions {
		if p.ModelVersion == "" {
			p.ModelVersion = j.Options[k]
		}
	}
	for _, s := range j.Stages {
		if s.Ref.ID != "" {
			p.Tasks = append(p.Tasks, ProvenanceTask{Stage: s.Name, TaskID: s.Ref.ID})
		}
	}
	// Meshdrop does not know the licence terms (providers.md records none):
	// say so rather than guess.
	if j.Provider == ProviderLocal {
		p.Licence = "Imported into Meshdrop from another source; its licence is whatever its author set. Meshdrop does not know it."
	} else {
		p.Licence = fmt.Sprintf("Generated with %s. Who may use this model and how is set by %s's terms of service and the plan of the account whose key was used, at the time it was made; Meshdrop does not record those terms. Check them before publishing or selling it.", j.Provider, j.Provider)
	}
	return p
}

// Export copies a job's files (model and other outputs, inputs, thumbnail)
// and a provenance.json into a new folder, or a .zip when asZip. When dest
// is an existing folder the export goes inside it, named after the job
// ("<id>" or "<id>.zip"); otherwise dest is the folder or zip to create.
// Every file is checked against its recorded sha256 while it is copied.
// It returns the path written; on failure nothing is left at dest.
func (l *Library) Export(id, dest string, asZip bool) (string, error) {
	j, err := l.Get(id)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(dest) == "" {
		return "", fmt.Errorf("cannot export job %s: no destination given", id)
	}
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		dest = filepath.Join(dest, j.ID)
		if asZip {
			dest += ".zip"
		}
	}
	if _, err := os.Lstat(dest); err == nil {
		return "", fmt.Errorf("cannot export to %s: it %w; choose another place", dest, errExists)
	}
	files, err := l.exportFiles(j)
	if err != nil {
		return "", err
	}
	prov, err := json.MarshalIndent(NewProvenance(j, l.cfg.Now()), "", "  ")
	if err != nil {
		return "", err
	}
	prov = append(prov, '\n')
	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("cannot create %s: %w", parent, err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(parent, "."+filepath.Base(dest)+partMarker+hex.EncodeToString(rnd[:]))
	defer os.RemoveAll(tmp) // gone after the rename; left only on failure
	if asZip {
		err = l.writeZip(tmp, j, files, prov)
	} else {
		err = l.writeFolder(tmp, j, files, prov)
	}
	if err != nil {
		return "", fmt.Errorf("could not export job %s: %w", id, err)
	}
	if _, err := os.Lstat(dest); err == nil {
		return "", fmt.Errorf("cannot export to %s: it %w", dest, errExists)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return "", fmt.Errorf("could not export job %s: %w", id, err)
	}
	fsutil.SyncDir(parent)
	return dest, nil
}

// exportEntry is one file to copy with the hash it must have.
type exportEntry struct {
	rel    string // in the job folder, forward slashes
	sha256 string // "" when the record has none
}

func (l *Library) exportFiles(j Job) ([]exportEntry, error) {
	var out []exportEntry
	seen := map[string]bool{}
	add := func(rel, sum string) {
		if !seen[rel] {
			seen[rel] = true
			out = append(out, exportEntry{rel: rel, sha256: sum})
		}
	}
	for _, f := range j.Outputs {
		add(f.File, f.SHA256)
	}
	for _, in := range j.Inputs {
		add(in.File, in.SHA256)
	}
	if _, err := os.Stat(filepath.Join(l.JobDir(j.ID), ThumbnailFile)); err == nil {
		add(ThumbnailFile, "")
	}
	for _, e := range out {
		if _, err := os.Stat(filepath.Join(l.JobDir(j.ID), filepath.FromSlash(e.rel))); err != nil {
			return nil, fmt.Errorf("cannot export job %s: %s is missing from its folder", j.ID, e.rel)
		}
	}
	return out, nil
}

// copyChecked copies a job file to w, checking its sha256.
func (l *Library) copyChecked(j Job, e exportEntry, w io.Writer) error {
	f, err := os.Open(filepath.Join(l.JobDir(j.ID), filepath.FromSlash(e.rel)))
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), f); err != nil {
		return fmt.Errorf("copying %s: %w", e.rel, err)
	}
	if e.sha256 != "" && hex.EncodeToString(h.Sum(nil)) != e.sha256 {
		return fmt.Errorf("%s has changed since it was saved (sha256 differs); it was not exported", e.rel)
	}
	return nil
}

func (l *Library) writeFolder(dir string, j Job, files []exportEntry, prov []byte) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	for _, e := range files {
		p := filepath.Join(dir, filepath.FromSlash(e.rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		out, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		err = l.copyChecked(j, e, out)
		if err == nil {
			err = out.Sync()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, ProvenanceFile), prov, 0o644); err != nil {
		return err
	}
	return fsutil.SyncDir(dir)
}

func (l *Library) writeZip(path string, j Job, files []exportEntry, prov []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	root := j.ID + "/"
	for _, e := range files {
		method := zip.Deflate
		if strings.HasSuffix(e.rel, ".png") || strings.HasSuffix(e.rel, ".jpg") || strings.HasSuffix(e.rel, ".webp") {
			method = zip.Store // already compressed
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: root + e.rel, Method: method, Modified: l.cfg.Now()})
		if err != nil {
			return err
		}
		if err := l.copyChecked(j, e, w); err != nil {
			return err
		}
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: root + ProvenanceFile, Method: zip.Deflate, Modified: l.cfg.Now()})
	if err != nil {
		return err
	}
	if _, err := w.Write(prov); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}
