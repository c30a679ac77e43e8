package library

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"meshdrop/core/fsutil"
)

// File names in the library folder and in each job's folder.
const (
	JobFile       = "job.json"      // the job's record: the truth
	IndexFile     = "index.json"    // summaries of every job: rebuilt when missing or stale
	BudgetFile    = "budgets.json"  // per-key credit caps
	ThumbnailFile = "thumbnail.png" // our rendered thumbnail
	// BadSuffix is appended to a damaged file moved aside.
	BadSuffix = ".bad"

	trashPrefix = ".trash-" // a job folder being deleted
	partMarker  = ".part-"  // an output being written (".name.part-123")
	tmpMarker   = ".tmp-"   // an atomic write in progress (fsutil)

	defaultThumbnailSize = 256
	defaultMaxOutput     = 2 << 30 // 2 GiB: larger than any provider's model
	defaultIndexDelay    = 2 * time.Second
	lockStripes          = 64
	staleTemp            = 10 * time.Minute // a temp file older than this is a write cut short
)

// ErrNoJob is returned by Get (and the other per-job methods) for an ID the
// library does not know. jobs.ErrNoJob is the same value.
var ErrNoJob = errors.New("no such job")

// ErrClosed is returned by the library's writers after Close: a handle kept
// across a library move (or while Meshdrop quits) must not write into the
// old folder, which the move then deletes.
var ErrClosed = errors.New("the library was closed (moved or Meshdrop is quitting); try again")

// ErrBusy is returned by Delete for a job that is still being worked on.
var ErrBusy = errors.New("the job is still running")

// Config tunes a Library. The zero value works.
type Config struct {
	// Thumbnail renders the GLB at glbPath into a size×size PNG at pngPath
	// (render.ThumbnailFile; core/app wires it). Nil: no thumbnails.
	Thumbnail func(glbPath, pngPath string, size int) error
	// ThumbnailSize is the thumbnail's edge in pixels (default 256).
	ThumbnailSize int
	// MaxOutputSize caps one saved file (default 2 GiB).
	MaxOutputSize int64
	// Budgets are per-key credit caps by key ID; budgets.json in the library
	// (written by SetBudget) takes precedence for the keys it lists.
	Budgets map[string]Budget
	// IndexDelay is how long after a change the index file is written
	// (default 2 s; changes within that time are written together). The
	// index is only a cache: job.json files stay the truth.
	IndexDelay time.Duration
	// Now is the clock (tests set it); default time.Now.
	Now func() time.Time
}

// Problem is a damaged file met while loading: it was moved aside (MovedTo)
// and everything else loaded.
type Problem struct {
	JobID   string    `json:"job_id,omitempty"`
	Path    string    `json:"path"`
	MovedTo string    `json:"moved_to,omitempty"`
	Err     string    `json:"error"`
	At      time.Time `json:"at"`
}

func (p Problem) String() string {
	if p.MovedTo != "" {
		return fmt.Sprintf("%s is damaged (%s); it was moved aside to %s and everything else loaded", p.Path, p.Err, p.MovedTo)
	}
	return fmt.Sprintf("%s: %s", p.Path, p.Err)
}

// Library is the on-disk store of jobs: <dir>/<job-id>/job.json per job plus
// an index of summaries. It is safe for concurrent use within one process.
type Library struct {
	dir string
	cfg Config

	mu       sync.RWMutex
	jobs     map[string]*entry
	problems []Problem
	budgets  map[string]Budget // from budgets.json
	dirty    bool
	timer    *time.Timer
	closed   bool
	writers  int           // writes admitted by beginWrite and not yet ended
	drained  chan struct{} // made by Close while writers run; closed when the last ends

	stripes [lockStripes]sync.Mutex // per-job write locks, by hash of the ID
	indexMu sync.Mutex              // one index write at a time

	subMu  sync.Mutex
	subs   map[int]func(id string)
	nextID int
}

// entry is a job's summary in memory.
type entry struct {
	sum    Summary
	stamp  stamp
	search string // lower-cased text the gallery search looks in
	title  string // lower-cased Title, for sorting by name
}

// stamp identifies one version of a job.json: the index is trusted for a
// job only while the file's size and modification time still match.
type stamp struct {
	Size  int64 `json:"size"`
	MTime int64 `json:"mtime_ns"`
}

func stampOf(fi fs.FileInfo) stamp { return stamp{Size: fi.Size(), MTime: fi.ModTime().UnixNano()} }

// Open opens (creating if needed) the library in dir. Damaged job files are
// moved aside and listed by Problems; only an unreadable folder is an error.
func Open(dir string, cfg Config) (*Library, error) {
	if cfg.ThumbnailSize <= 0 {
		cfg.ThumbnailSize = defaultThumbnailSize
	}
	if cfg.MaxOutputSize <= 0 {
		cfg.MaxOutputSize = defaultMaxOutput
	}
	if cfg.IndexDelay <= 0 {
		cfg.IndexDelay = defaultIndexDelay
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the library folder %s: %w", dir, err)
	}
	l := &Library{dir: dir, cfg: cfg, jobs: map[string]*entry{}, subs: map[int]func(string){}}
	// Listing the folder (a stat per job) and decoding the index are the
	// two halves of a start; they run side by side.
	scanned := make(chan scanResult, 1)
	go func() { scanned <- scanLibrary(dir) }()
	idx := l.readIndex()
	scan := <-scanned
	if scan.err != nil {
		return nil, fmt.Errorf("cannot read the library folder %s: %w", dir, scan.err)
	}
	for _, name := range scan.junk {
		os.RemoveAll(filepath.Join(dir, name))
	}
	for _, f := range scan.folders {
		name := f.name
		if !f.hasJob {
			// A folder without a record: inputs copied before the first
			// Put, or a record moved aside. Leftover temp files go.
			sweepTemps(filepath.Join(dir, name))
			continue
		}
		if ie, ok := idx[name]; ok && ie.stamp == f.stamp {
			l.jobs[name] = ie
			if !ie.sum.State.Finished() {
				sweepTemps(filepath.Join(dir, name))
			}
			continue
		}
		l.dirty = true
		sweepTemps(filepath.Join(dir, name))
		if j, ok := l.loadFile(name, filepath.Join(dir, name, JobFile)); ok {
			l.jobs[name] = newEntry(j, f.stamp)
		}
	}
	if len(idx) != len(l.jobs) {
		l.dirty = true
	}
	l.loadBudgets()
	if l.dirty {
		if err := l.Flush(); err != nil {
			l.problems = append(l.problems, Problem{Path: filepath.Join(dir, IndexFile), Err: "could not write the index: " + err.Error(), At: cfg.Now()})
		}
	}
	return l, nil
}

// scanResult is what a look at the library folder found.
type scanResult struct {
	folders []scannedFolder
	junk    []string // deletes and writes cut short, to remove
	err     error
}

type scannedFolder struct {
	name   string
	hasJob bool
	stamp  stamp
}

// scanLibrary lists the job folders and stats their job.json files (a few
// at a time: on a cold disk each stat waits for the disk).
func scanLibrary(dir string) scanResult {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return scanResult{err: err}
	}
	var r scanResult
	for _, de := range ents {
		name := de.Name()
		switch {
		case strings.HasPrefix(name, trashPrefix):
			r.junk = append(r.junk, name) // a delete that was cut short
		case isTemp(name):
			// An index or budget write cut short (or in progress in
			// another process: only stale ones go).
			if fi, err := de.Info(); err == nil && time.Since(fi.ModTime()) > staleTemp {
				r.junk = append(r.junk, name)
			}
		case de.IsDir() && ValidID(name):
			r.folders = append(r.folders, scannedFolder{name: name})
		}
	}
	const workers = 4
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(r.folders); i += workers {
				f := &r.folders[i]
				if fi, err := os.Stat(filepath.Join(dir, f.name, JobFile)); err == nil && fi.Mode().IsRegular() {
					f.hasJob, f.stamp = true, stampOf(fi)
				}
			}
		}()
	}
	wg.Wait()
	return r
}

// Refresh picks up changes made by another process (a CLI command while
// the window is open, or the other way round): new, changed and removed
// job folders. It stats every job.json (about as long as a start without
// the index decode) and reads only the changed ones; OnChange hears of
// each job that changed. It returns how many jobs changed.
func (l *Library) Refresh() (int, error) {
	if err := l.beginWrite(); err != nil { // it moves damaged records aside
		return 0, fmt.Errorf("cannot refresh the library: %w", err)
	}
	defer l.endWrite()
	scan := scanLibrary(l.dir)
	if scan.err != nil {
		return 0, fmt.Errorf("cannot read the library folder %s: %w", l.dir, scan.err)
	}
	present := make(map[string]bool, len(scan.folders))
	var changed []string
	for _, f := range scan.folders {
		if !f.hasJob {
			continue
		}
		present[f.name] = true
		l.mu.RLock()
		e, ok := l.jobs[f.name]
		l.mu.RUnlock()
		if ok && e.stamp == f.stamp {
			continue
		}
		mu := l.stripe(f.name)
		mu.Lock()
		jp := filepath.Join(l.dir, f.name, JobFile)
		fi, err := os.Stat(jp)
		if err == nil {
			l.mu.Lock()
			_, had := l.jobs[f.name]
			j, ok := l.loadFile(f.name, jp)
			if ok {
				l.jobs[f.name] = newEntry(j, stampOf(fi))
			} else {
				delete(l.jobs, f.name) // damaged: moved aside and reported
			}
			l.markDirtyLocked()
			l.mu.Unlock()
			if ok || had {
				changed = append(changed, f.name)
			}
		}
		mu.Unlock()
	}
	l.mu.Lock()
	for id := range l.jobs {
		if !present[id] {
			delete(l.jobs, id)
			l.markDirtyLocked()
			changed = append(changed, id)
		}
	}
	l.mu.Unlock()
	for _, id := range changed {
		l.notify(id)
	}
	return len(changed), nil
}

// Dir is the library's folder.
func (l *Library) Dir() string { return l.dir }

// JobDir is a job's folder.
func (l *Library) JobDir(id string) string { return filepath.Join(l.dir, id) }

// Problems lists the damaged files met so far (moved aside).
func (l *Library) Problems() []Problem {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]Problem(nil), l.problems...)
}

// OnChange calls fn with a job's ID after it is written or deleted. fn runs
// on the writer's goroutine and must return quickly. The returned func
// stops the calls.
func (l *Library) OnChange(fn func(id string)) (cancel func()) {
	l.subMu.Lock()
	defer l.subMu.Unlock()
	n := l.nextID
	l.nextID++
	l.subs[n] = fn
	return func() {
		l.subMu.Lock()
		delete(l.subs, n)
		l.subMu.Unlock()
	}
}

func (l *Library) notify(id string) {
	l.subMu.Lock()
	fns := make([]func(string), 0, len(l.subs))
	for _, fn := range l.subs {
		fns = append(fns, fn)
	}
	l.subMu.Unlock()
	for _, fn := range fns {
		fn(id)
	}
}

func (l *Library) stripe(id string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(id))
	return &l.stripes[h.Sum32()%lockStripes]
}

// Put writes a job's record atomically (create or update). User-owned
// fields (Name, Tags, Favourite, Rating, Note) keep their stored values when
// j carries an older UserRev than the stored record.
func (l *Library) Put(j Job) error {
	if !ValidID(j.ID) {
		return fmt.Errorf("cannot save job %q: invalid job ID", j.ID)
	}
	if err := l.beginWrite(); err != nil {
		return fmt.Errorf("cannot save job %s: %w", j.ID, err)
	}
	defer l.endWrite()
	mu := l.stripe(j.ID)
	mu.Lock()
	defer mu.Unlock()
	if err := l.putLocked(&j); err != nil {
		return err
	}
	l.notify(j.ID)
	return nil
}

func (l *Library) putLocked(j *Job) error {
	if err := checkJob(j, true); err != nil {
		return fmt.Errorf("cannot save job %s: %w", j.ID, err)
	}
	l.mu.RLock()
	old := l.jobs[j.ID]
	l.mu.RUnlock()
	if old != nil && j.UserRev < old.sum.UserRev {
		s := old.sum
		j.Name, j.Tags, j.Favourite, j.Rating, j.Note, j.UserRev = s.Name, s.Tags, s.Favourite, s.Rating, s.Note, s.UserRev
	}
	j.Schema = SchemaVersion
	if j.Created.IsZero() {
		j.Created = l.cfg.Now()
	}
	if j.Updated.IsZero() {
		j.Updated = l.cfg.Now()
	}
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("cannot encode job %s: %w", j.ID, err)
	}
	data = append(data, '\n')
	if len(data) > maxRecordSize {
		return fmt.Errorf("cannot save job %s: its record would be %d bytes, over the %d-byte limit (a very long note or prompt?)", j.ID, len(data), maxRecordSize)
	}
	jp := filepath.Join(l.dir, j.ID, JobFile)
	if err := fsutil.WriteFileAtomic(jp, data, 0o600); err != nil {
		return fmt.Errorf("could not save job %s (is the disk full? the previous record is kept): %w", j.ID, err)
	}
	fi, err := os.Stat(jp)
	if err != nil {
		return fmt.Errorf("saved job %s but cannot read it back: %w", j.ID, err)
	}
	e := newEntry(*j, stampOf(fi))
	l.mu.Lock()
	l.jobs[j.ID] = e
	l.markDirtyLocked()
	l.mu.Unlock()
	return nil
}

// Get reads one job's record from its job.json; ErrNoJob when there is none.
// A record found damaged is moved aside, reported and treated as missing.
func (l *Library) Get(id string) (Job, error) {
	if !ValidID(id) {
		return Job{}, fmt.Errorf("job %q: %w", id, ErrNoJob)
	}
	jp := filepath.Join(l.dir, id, JobFile)
	data, err := readRecord(jp)
	if errors.Is(err, fs.ErrNotExist) {
		return Job{}, fmt.Errorf("job %s: %w", id, ErrNoJob)
	}
	if err != nil && !errors.Is(err, errTooLarge) {
		return Job{}, fmt.Errorf("cannot read job %s: %w", id, err)
	}
	var j Job
	if err == nil {
		j, err = decodeJob(data)
	}
	if err == nil || errors.Is(err, errNewerSchema) {
		if j.ID == id {
			return j, nil
		}
		err = fmt.Errorf("the record names job %q", j.ID)
	}
	mu := l.stripe(id)
	mu.Lock()
	defer mu.Unlock()
	// Check again under the lock: a Put may have just replaced the file.
	if again, rerr := readRecord(jp); rerr == nil && string(again) != string(data) {
		if j2, err2 := decodeJob(again); (err2 == nil || errors.Is(err2, errNewerSchema)) && j2.ID == id {
			return j2, nil
		}
	}
	l.quarantine(id, jp, err)
	l.mu.Lock()
	delete(l.jobs, id)
	l.markDirtyLocked()
	l.mu.Unlock()
	return Job{}, fmt.Errorf("job %s: its record was damaged and moved aside (%v): %w", id, err, ErrNoJob)
}

// List returns every job's record, oldest first. It reads every job.json
// (the runner calls it once on start); the gallery uses Query instead.
func (l *Library) List() ([]Job, error) {
	ids := l.ids()
	out := make([]Job, len(ids))
	ok := make([]bool, len(ids))
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ids); i += workers {
				j, err := l.Get(ids[i])
				if err == nil {
					out[i], ok[i] = j, true
				}
			}
		}()
	}
	wg.Wait()
	res := out[:0]
	for i := range out {
		if ok[i] {
			res = append(res, out[i])
		}
	}
	return res, nil
}

// Unfinished returns the records of the jobs not finished yet (the ones a
// runner resumes), oldest first, reading only their files: at 10,000 jobs
// this is what keeps a start fast, where List reads every record.
func (l *Library) Unfinished() ([]Job, error) {
	var out []Job
	for _, id := range l.ids() {
		if s, ok := l.Summary(id); !ok || s.State.Finished() {
			continue
		}
		if j, err := l.Get(id); err == nil && !j.State.Finished() {
			out = append(out, j)
		}
	}
	return out, nil
}

// ids returns every known job ID, oldest first.
func (l *Library) ids() []string {
	l.mu.RLock()
	ents := make([]*entry, 0, len(l.jobs))
	for _, e := range l.jobs {
		ents = append(ents, e)
	}
	l.mu.RUnlock()
	sort.Slice(ents, func(a, b int) bool { return olderThan(&ents[a].sum, &ents[b].sum) })
	ids := make([]string, len(ents))
	for i, e := range ents {
		ids[i] = e.sum.ID
	}
	return ids
}

func olderThan(a, b *Summary) bool {
	if !a.Created.Equal(b.Created) {
		return a.Created.Before(b.Created)
	}
	return a.ID < b.ID
}

// Summary returns a job's summary from memory.
func (l *Library) Summary(id string) (Summary, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	e, ok := l.jobs[id]
	if !ok {
		return Summary{}, false
	}
	return e.sum, true
}

// Len is the number of jobs.
func (l *Library) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.jobs)
}

// Update applies fn to a job's current record and writes it, under the
// job's lock. fn's error cancels the write.
func (l *Library) Update(id string, fn func(j *Job) error) (Job, error) {
	if err := l.beginWrite(); err != nil {
		return Job{}, fmt.Errorf("cannot change job %s: %w", id, err)
	}
	defer l.endWrite()
	mu := l.stripe(id)
	mu.Lock()
	j, err := l.getLocked(id)
	if err == nil {
		err = fn(&j)
	}
	if err == nil {
		j.Updated = l.cfg.Now()
		err = l.putLocked(&j)
	}
	mu.Unlock()
	if err != nil {
		return Job{}, err
	}
	l.notify(id)
	return j, nil
}

// getLocked is Get for a caller that holds the job's stripe lock.
func (l *Library) getLocked(id string) (Job, error) {
	if !ValidID(id) {
		return Job{}, fmt.Errorf("job %q: %w", id, ErrNoJob)
	}
	data, err := readRecord(filepath.Join(l.dir, id, JobFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Job{}, fmt.Errorf("job %s: %w", id, ErrNoJob)
	}
	if err != nil {
		return Job{}, fmt.Errorf("cannot read job %s: %w", id, err)
	}
	j, err := decodeJob(data)
	if err != nil && !errors.Is(err, errNewerSchema) {
		return Job{}, fmt.Errorf("job %s's record is damaged (%v); open the library again to move it aside", id, err)
	}
	return j, nil
}

// userEdit is Update for a field people own: it bumps UserRev.
func (l *Library) userEdit(id string, fn func(j *Job) error) error {
	_, err := l.Update(id, func(j *Job) error {
		if err := fn(j); err != nil {
			return err
		}
		j.UserRev++
		return nil
	})
	return err
}

// SetTags replaces a job's tags (trimmed, empty and repeated ones dropped).
func (l *Library) SetTags(id string, tags []string) error {
	clean := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		k := strings.ToLower(t)
		if t == "" || seen[k] {
			continue
		}
		seen[k] = true
		clean = append(clean, t)
	}
	return l.userEdit(id, func(j *Job) error { j.Tags = clean; return nil })
}

// SetFavourite marks or unmarks a job as a favourite.
func (l *Library) SetFavourite(id string, fav bool) error {
	return l.userEdit(id, func(j *Job) error { j.Favourite = fav; return nil })
}

// SetRating sets a job's rating, 0 (none) to 5.
func (l *Library) SetRating(id string, rating int) error {
	if rating < 0 || rating > 5 {
		return fmt.Errorf("rating %d is outside 0–5", rating)
	}
	return l.userEdit(id, func(j *Job) error { j.Rating = rating; return nil })
}

// SetNote sets a job's free-text note.
func (l *Library) SetNote(id, note string) error {
	return l.userEdit(id, func(j *Job) error { j.Note = note; return nil })
}

// SetName sets a job's display name.
func (l *Library) SetName(id, name string) error {
	return l.userEdit(id, func(j *Job) error { j.Name = strings.TrimSpace(name); return nil })
}

// Delete removes a job and its folder. A job still being worked on
// (submitting, queued, running, downloading) is refused with ErrBusy.
func (l *Library) Delete(id string) error {
	if !ValidID(id) {
		return fmt.Errorf("job %q: %w", id, ErrNoJob)
	}
	if err := l.beginWrite(); err != nil {
		return fmt.Errorf("cannot delete job %s: %w", id, err)
	}
	defer l.endWrite()
	mu := l.stripe(id)
	mu.Lock()
	l.mu.RLock()
	e, ok := l.jobs[id]
	l.mu.RUnlock()
	if ok && !e.sum.State.Finished() && e.sum.State != StateDraft {
		mu.Unlock()
		return fmt.Errorf("cannot delete job %s (%s): %w; cancel it first", id, e.sum.State, ErrBusy)
	}
	jd := filepath.Join(l.dir, id)
	if _, err := os.Stat(jd); err != nil {
		mu.Unlock()
		if !ok {
			return fmt.Errorf("job %s: %w", id, ErrNoJob)
		}
	} else {
		// Rename first so the job disappears at once, even if removing its
		// files is cut short (Open finishes the removal).
		trash := filepath.Join(l.dir, fmt.Sprintf("%s%s-%d", trashPrefix, id, time.Now().UnixNano()))
		if err := os.Rename(jd, trash); err != nil {
			mu.Unlock()
			return fmt.Errorf("could not delete job %s: %w", id, err)
		}
		fsutil.SyncDir(l.dir)
		mu.Unlock()
		if err := os.RemoveAll(trash); err != nil {
			return fmt.Errorf("job %s deleted but some files remain in %s: %w", id, trash, err)
		}
	}
	l.mu.Lock()
	delete(l.jobs, id)
	l.markDirtyLocked()
	l.mu.Unlock()
	l.notify(id)
	return nil
}

// beginWrite admits one write into the library's folder, ended by
// endWrite; after Close it refuses with ErrClosed. Close waits for the
// writes admitted before it, so none lands in the folder after Close
// returns (a move copies the folder then, and deletes it).
func (l *Library) beginWrite() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.writers++
	return nil
}

func (l *Library) endWrite() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writers--
	if l.writers == 0 && l.drained != nil {
		close(l.drained)
		l.drained = nil
	}
}

// loadFile reads and checks one job.json during Open; a damaged one is
// moved aside and reported.
func (l *Library) loadFile(id, jp string) (Job, bool) {
	data, err := readRecord(jp)
	if err != nil && !errors.Is(err, errTooLarge) {
		l.problems = append(l.problems, Problem{JobID: id, Path: jp, Err: err.Error(), At: l.cfg.Now()})
		return Job{}, false
	}
	var j Job
	if err == nil {
		j, err = decodeJob(data)
	}
	if errors.Is(err, errNewerSchema) {
		l.problems = append(l.problems, Problem{JobID: id, Path: jp, Err: err.Error() + "; it loads, but changes made here may drop details", At: l.cfg.Now()})
		err = nil
	}
	if err == nil && j.ID != id {
		err = fmt.Errorf("the record names job %q but sits in folder %q", j.ID, id)
	}
	if err != nil {
		l.quarantineLocked(id, jp, err)
		return Job{}, false
	}
	return j, true
}

// quarantine moves a damaged file aside and records the problem.
func (l *Library) quarantine(id, path string, cause error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.quarantineLocked(id, path, cause)
}

func (l *Library) quarantineLocked(id, path string, cause error) {
	bad := path + BadSuffix
	if _, err := os.Stat(bad); err == nil {
		bad = fmt.Sprintf("%s%s-%d", path, BadSuffix, time.Now().UnixNano())
	}
	p := Problem{JobID: id, Path: path, Err: cause.Error(), At: l.cfg.Now()}
	if l.closed {
		p.Err += "; not moved aside: " + ErrClosed.Error()
	} else if err := os.Rename(path, bad); err != nil {
		p.Err += "; could not move it aside: " + err.Error()
	} else {
		p.MovedTo = bad
		fsutil.SyncDir(filepath.Dir(path))
	}
	l.problems = append(l.problems, p)
}

// maxRecordSize caps one job.json: a real record is a few KB; a bigger
// file is damage (or something else) and is not read into memory.
const maxRecordSize = 4 << 20

var errTooLarge = fmt.Errorf("larger than %d bytes: not a job record", maxRecordSize)

// readRecord reads a job.json, refusing one over maxRecordSize.
func readRecord(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRecordSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRecordSize {
		return nil, errTooLarge
	}
	return data, nil
}

// isTemp reports whether a file name is a write in progress (or cut short).
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && (strings.Contains(name, tmpMarker) || strings.Contains(name, partMarker))
}

// sweepTemps removes writes cut short in a job's folder. Another process
// (the window while the CLI runs) may be writing right now, so only temp
// files untouched for staleTemp go: a live download keeps its file's
// modification time fresh.
func sweepTemps(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, de := range ents {
		if !isTemp(de.Name()) {
			continue
		}
		if fi, err := de.Info(); err == nil && time.Since(fi.ModTime()) > staleTemp {
			os.Remove(filepath.Join(dir, de.Name()))
		}
	}
}
