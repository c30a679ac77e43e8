package library

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"meshdrop/core/fsutil"
)

// indexVersion is the index file's format; any other version is rebuilt.
const indexVersion = 1

// Summary is what the gallery, the CLI list and budgets need of a job,
// kept in memory and in the index file.
type Summary struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	Provider  string    `json:"provider"`
	KeyID     string    `json:"key_id,omitempty"`
	KeyName   string    `json:"key_name,omitempty"`
	Mode      string    `json:"mode,omitempty"`
	Prompt    string    `json:"prompt,omitempty"`
	State     State     `json:"state"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	Finished  time.Time `json:"finished,omitzero"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Progress  float64   `json:"progress,omitempty"`
	Credits   float64   `json:"credits,omitempty"`
	Estimate  float64   `json:"estimate,omitempty"`
	Error     string    `json:"error,omitempty"`
	Tags      []string  `json:"tags,omitempty"`
	Favourite bool      `json:"favourite,omitempty"`
	Rating    int       `json:"rating,omitempty"`
	Note      string    `json:"note,omitempty"`
	UserRev   int       `json:"user_rev,omitempty"`
	// Model is the first GLB model's file (relative to the job's folder).
	Model       string `json:"model,omitempty"`
	ModelSHA256 string `json:"model_sha256,omitempty"`
	// Thumbnail is our thumbnail's file when the record lists one.
	Thumbnail string `json:"thumbnail,omitempty"`
}

// Title is what to call the job: its name, else its prompt, else its ID.
func (s Summary) Title() string {
	switch {
	case s.Name != "":
		return s.Name
	case s.Prompt != "":
		return s.Prompt
	}
	return s.ID
}

// Summarize makes a job's summary.
func Summarize(j Job) Summary {
	s := Summary{
		ID: j.ID, Name: j.Name, Provider: j.Provider, KeyID: j.KeyID, KeyName: j.KeyName, Mode: j.Mode,
		Prompt: j.Prompt, State: j.State, Created: j.Created, Updated: j.Updated, Finished: j.Finished,
		ExpiresAt: j.ExpiresAt, Progress: j.Progress, Credits: j.Credits, Estimate: j.Estimate,
		Tags: j.Tags, Favourite: j.Favourite, Rating: j.Rating, Note: j.Note, UserRev: j.UserRev,
	}
	if j.Error != nil {
		s.Error = j.Error.Message
	}
	if m, ok := ModelFile(j); ok {
		s.Model, s.ModelSHA256 = m.File, m.SHA256
	}
	for _, f := range j.Outputs {
		if f.Kind == KindThumbnail {
			s.Thumbnail = f.File
			break
		}
	}
	return s
}

func newEntry(j Job, st stamp) *entry {
	e := &entry{sum: Summarize(j), stamp: st}
	e.index()
	return e
}

// index fills the lower-cased search text.
func (e *entry) index() {
	var b strings.Builder
	s := &e.sum
	for _, part := range []string{s.ID, s.Name, s.Prompt, s.Note, s.Provider, s.KeyName} {
		b.WriteString(strings.ToLower(part))
		b.WriteByte('\n')
	}
	for _, t := range s.Tags {
		b.WriteString(strings.ToLower(t))
		b.WriteByte('\n')
	}
	e.search = b.String()
	e.title = strings.ToLower(s.Title())
}

// The index file is JSON Lines: a header line, then one entry per job, so
// it can be decoded in parallel.
type indexHeader struct {
	Version int       `json:"version"`
	Schema  int       `json:"schema"`
	Written time.Time `json:"written"`
	Count   int       `json:"count"`
}

type indexEntry struct {
	Summary
	Stamp stamp `json:"stamp"`
}

// decodeIndex parses an index file. Entries that cannot be right (bad IDs,
// unknown states, repeated IDs) are dropped: their jobs are read from their
// job.json instead. A torn index (fewer lines than its header says) is
// refused as a whole.
func decodeIndex(data []byte) (map[string]*entry, error) {
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return nil, errors.New("index has no header line")
	}
	var h indexHeader
	if err := json.Unmarshal(data[:nl], &h); err != nil {
		return nil, fmt.Errorf("index header is not valid JSON: %w", err)
	}
	if h.Version != indexVersion || h.Schema != SchemaVersion {
		return nil, fmt.Errorf("index version %d/%d, want %d/%d", h.Version, h.Schema, indexVersion, SchemaVersion)
	}
	lines := bytes.Split(bytes.TrimSuffix(data[nl+1:], []byte("\n")), []byte("\n"))
	if len(lines) == 1 && len(lines[0]) == 0 {
		lines = nil
	}
	if len(lines) != h.Count {
		return nil, fmt.Errorf("index has %d entries, its header says %d (cut short?)", len(lines), h.Count)
	}
	// Decode in parallel: this is most of the time a start takes.
	parts := runtime.GOMAXPROCS(0)
	if parts > 4 {
		parts = 4
	}
	if len(lines) < 1000 {
		parts = 1
	}
	ents := make([]*entry, len(lines))
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p; i < len(lines); i += parts {
				var ie indexEntry
				if err := json.Unmarshal(lines[i], &ie); err != nil {
					errs[p] = fmt.Errorf("index line %d: %w", i+2, err)
					return
				}
				if !ValidID(ie.ID) || !knownStates[ie.State] || ie.Stamp.Size <= 0 {
					continue
				}
				e := &entry{sum: ie.Summary, stamp: ie.Stamp}
				e.index()
				ents[i] = e
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make(map[string]*entry, len(lines))
	dups := map[string]bool{}
	for _, e := range ents {
		if e == nil {
			continue
		}
		if _, dup := out[e.sum.ID]; dup {
			dups[e.sum.ID] = true
		}
		out[e.sum.ID] = e
	}
	for id := range dups {
		delete(out, id)
	}
	return out, nil
}

// readIndex loads the index; a missing or damaged one is simply rebuilt
// from the job files (it is only a cache).
func (l *Library) readIndex() map[string]*entry {
	data, err := os.ReadFile(filepath.Join(l.dir, IndexFile))
	if err != nil {
		return nil
	}
	idx, err := decodeIndex(data)
	if err != nil {
		return nil
	}
	return idx
}

// markDirtyLocked schedules an index write. l.mu must be held.
func (l *Library) markDirtyLocked() {
	l.dirty = true
	if l.timer == nil && !l.closed {
		l.timer = time.AfterFunc(l.cfg.IndexDelay, func() { l.Flush() })
	}
}

// Flush writes the index now if anything changed since the last write;
// ErrClosed after Close (which writes it).
func (l *Library) Flush() error {
	if err := l.beginWrite(); err != nil {
		return fmt.Errorf("cannot write the library index: %w", err)
	}
	defer l.endWrite()
	return l.flush()
}

func (l *Library) flush() error {
	l.indexMu.Lock()
	defer l.indexMu.Unlock()
	l.mu.Lock()
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if !l.dirty {
		l.mu.Unlock()
		return nil
	}
	list := make([]indexEntry, 0, len(l.jobs))
	for _, e := range l.jobs {
		list = append(list, indexEntry{Summary: e.sum, Stamp: e.stamp})
	}
	l.dirty = false
	l.mu.Unlock()
	sort.Slice(list, func(a, b int) bool { return list[a].ID < list[b].ID })
	var buf bytes.Buffer
	buf.Grow(len(list) * 512)
	enc := json.NewEncoder(&buf)
	err := enc.Encode(indexHeader{Version: indexVersion, Schema: SchemaVersion, Written: l.cfg.Now().UTC(), Count: len(list)})
	for i := 0; err == nil && i < len(list); i++ {
		err = enc.Encode(list[i]) // one line each: Encode ends with a newline
	}
	data := buf.Bytes()
	if err == nil {
		err = fsutil.WriteFileAtomic(filepath.Join(l.dir, IndexFile), data, 0o600)
	}
	if err != nil {
		l.mu.Lock()
		l.dirty = true // try again on the next change or Close
		l.mu.Unlock()
		return fmt.Errorf("could not write the library index (job records are safe): %w", err)
	}
	return nil
}

// Close refuses further writes (ErrClosed), waits for the writes already
// under way, and writes the index if needed. The library must not be used
// after; closing again does nothing.
func (l *Library) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	var drained chan struct{}
	if l.writers > 0 {
		l.drained = make(chan struct{})
		drained = l.drained
	}
	l.mu.Unlock()
	if drained != nil {
		<-drained
	}
	err := l.flush()
	l.mu.Lock()
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.mu.Unlock()
	return err
}
