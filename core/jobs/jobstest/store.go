// Package jobstest is a small file-backed jobs.Store for the job engine's
// tests: one JSON file per job written atomically, inputs and outputs in
// the job's folder, sha256 and a GLB header check on models. It stands in
// for the library where a test needs to stop and reopen "the disk".
package jobstest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"meshdrop/core/fsutil"
	"meshdrop/core/library"
)

// ErrNoJob is what Get returns for an unknown ID; NewStore's caller passes
// the jobs package's value so errors.Is works across the seam.
var ErrNoJob = errors.New("no such job")

// Store keeps jobs under Dir/<id>/job.json.
type Store struct {
	Dir string
	// NoJob is returned (wrapped) by Get for a missing job.
	NoJob error

	mu      sync.Mutex
	puts    int
	history map[string][]library.State // every state written, per job
	// Budget, when set, is called by CheckBudget.
	Budget func(keyID string, estimate float64) error
	// FailThumbnail makes Thumbnail fail (a model that cannot be drawn).
	FailThumbnail bool
}

// New makes a store in dir (created if needed).
func New(dir string, noJob error) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if noJob == nil {
		noJob = ErrNoJob
	}
	return &Store{Dir: dir, NoJob: noJob, history: map[string][]library.State{}}, nil
}

func (s *Store) jobFile(id string) string { return filepath.Join(s.Dir, id, "job.json") }

// Put implements jobs.Store.
func (s *Store) Put(j library.Job) error {
	if j.ID == "" || strings.ContainsAny(j.ID, `/\.`) {
		return fmt.Errorf("bad job id %q", j.ID)
	}
	data, err := json.MarshalIndent(j, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.Dir, j.ID), 0o700); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := fsutil.WriteFileAtomic(s.jobFile(j.ID), data, 0o600); err != nil {
		return err
	}
	s.puts++
	h := s.history[j.ID]
	if len(h) == 0 || h[len(h)-1] != j.State {
		s.history[j.ID] = append(h, j.State)
	}
	return nil
}

// Puts counts writes since the store was made.
func (s *Store) Puts() int { s.mu.Lock(); defer s.mu.Unlock(); return s.puts }

// History lists the states written for a job by this Store value, in order.
func (s *Store) History(id string) []library.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]library.State(nil), s.history[id]...)
}

// Get implements jobs.Store.
func (s *Store) Get(id string) (library.Job, error) {
	data, err := os.ReadFile(s.jobFile(id))
	if errors.Is(err, fs.ErrNotExist) {
		return library.Job{}, fmt.Errorf("job %s: %w", id, s.NoJob)
	}
	if err != nil {
		return library.Job{}, err
	}
	var j library.Job
	if err := json.Unmarshal(data, &j); err != nil {
		return library.Job{}, fmt.Errorf("job %s: %w", id, err)
	}
	return j, nil
}

// List implements jobs.Store.
func (s *Store) List() ([]library.Job, error) {
	ents, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, err
	}
	var out []library.Job
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		j, err := s.Get(e.Name())
		if err != nil {
			continue
		}
		out = append(out, j)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, nil
}

// AddInput implements jobs.Store.
func (s *Store) AddInput(jobID, name, slot, mime string, data []byte) (library.Input, error) {
	base := "input-" + filepath.Base(name)
	if err := fsutil.WriteFileAtomic(filepath.Join(s.Dir, jobID, base), data, 0o600); err != nil {
		return library.Input{}, err
	}
	h := sha256.Sum256(data)
	return library.Input{File: base, Slot: slot, SHA256: hex.EncodeToString(h[:]), Size: int64(len(data)), MIME: mime}, nil
}

// ReadInput implements jobs.Store.
func (s *Store) ReadInput(jobID string, in library.Input) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.Dir, jobID, filepath.Base(in.File)))
}

// SaveOutput implements jobs.Store: temp file, checks, rename.
func (s *Store) SaveOutput(jobID, name, kind, format string, write func(w io.Writer) (int64, error)) (library.File, error) {
	dir := filepath.Join(s.Dir, jobID)
	f, err := os.CreateTemp(dir, "."+name+".part*")
	if err != nil {
		return library.File{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	n, err := write(io.MultiWriter(f, h))
	if err != nil {
		return library.File{}, err
	}
	if n == 0 {
		return library.File{}, fmt.Errorf("%s is empty", name)
	}
	if strings.EqualFold(format, "glb") {
		var hdr [12]byte
		if _, err := f.ReadAt(hdr[:], 0); err != nil {
			return library.File{}, fmt.Errorf("%s: no GLB header: %w", name, err)
		}
		if !bytes.Equal(hdr[:4], []byte("glTF")) || int64(binary.LittleEndian.Uint32(hdr[8:])) != n {
			return library.File{}, fmt.Errorf("%s is not a whole GLB", name)
		}
	}
	if err := f.Sync(); err != nil {
		return library.File{}, err
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return library.File{}, err
	}
	return library.File{Kind: kind, Format: format, File: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Thumbnail implements jobs.Store with a placeholder PNG signature file: the
// renderer is the library's business, the runner only has to ask for it
// after the model is in.
func (s *Store) Thumbnail(jobID string) (library.File, error) {
	if s.FailThumbnail {
		return library.File{}, errors.New("thumbnail failed")
	}
	if _, err := os.Stat(filepath.Join(s.Dir, jobID, "model.glb")); err != nil {
		return library.File{}, fmt.Errorf("no model to draw: %w", err)
	}
	data := []byte("\x89PNG\r\n\x1a\n")
	if err := fsutil.WriteFileAtomic(filepath.Join(s.Dir, jobID, "thumbnail.png"), data, 0o600); err != nil {
		return library.File{}, err
	}
	h := sha256.Sum256(data)
	return library.File{Kind: "thumbnail", Format: "png", File: "thumbnail.png", Size: int64(len(data)), SHA256: hex.EncodeToString(h[:])}, nil
}

// CheckBudget implements jobs.Store.
func (s *Store) CheckBudget(keyID string, estimate float64) error {
	if s.Budget != nil {
		return s.Budget(keyID, estimate)
	}
	return nil
}
