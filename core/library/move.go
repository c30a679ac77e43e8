package library

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"meshdrop/core/fsutil"
)

// MovingMarker is the file a copy in progress keeps at the top of the new
// library folder. A folder holding it is an unfinished copy (the old library
// is still the one in use), so a later Move into it clears it instead of
// refusing it as "not empty". It is removed by Moved.Finish, after the
// caller has switched to the new place.
const MovingMarker = ".meshdrop-move-in-progress"

// The marker's text: what it means for people, then the old folder.
const (
	markerText = "Meshdrop is copying its library here. Until the copy is finished the library in use is the old one;\nmoving the library here again clears this unfinished copy.\n"
	markerFrom = "from="
)

// FinishInterruptedMove completes a move whose last step was cut short
// (the process ended between recording the new place and Finish): call it
// only for the folder the library is recorded in. A marker found there is
// removed and the old folder it names is returned, for the caller to
// report (it is not removed: only the person knows nothing else went there).
func FinishInterruptedMove(dir string) (old string, found bool, err error) {
	p := filepath.Join(dir, MovingMarker)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", true, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, markerFrom); ok {
			old = v
		}
	}
	if err := os.Remove(p); err != nil {
		return old, true, err
	}
	fsutil.SyncDir(dir)
	return old, true, nil
}

// MovePhase names what a move is doing, for progress displays.
type MovePhase string

const (
	MoveRenaming  MovePhase = "renaming"  // one rename on the same disk: instant
	MoveCounting  MovePhase = "counting"  // measuring what a copy needs
	MoveCopying   MovePhase = "copying"   // copying files with fsync
	MoveVerifying MovePhase = "verifying" // reading the copy back
)

// MoveProgress is how far a move has come.
type MoveProgress struct {
	Phase      MovePhase
	Files      int // files done in this phase
	TotalFiles int
	Bytes      int64 // bytes done in this phase
	TotalBytes int64
}

// String says where the move is, for people: "copying 3 of 12 files
// (1.2 MB of 40.0 MB)".
func (p MoveProgress) String() string {
	switch p.Phase {
	case MoveRenaming:
		return "moving the folder"
	case MoveCounting:
		return "measuring the library"
	}
	return fmt.Sprintf("%s %d of %d files (%s of %s)", p.Phase, p.Files, p.TotalFiles, humanBytes(p.Bytes), humanBytes(p.TotalBytes))
}

// Fraction is how far the current phase is, 0 to 1 (0 while unknown).
func (p MoveProgress) Fraction() float64 {
	if p.TotalBytes > 0 {
		return float64(p.Bytes) / float64(p.TotalBytes)
	}
	if p.TotalFiles > 0 {
		return float64(p.Files) / float64(p.TotalFiles)
	}
	return 0
}

// HumanBytes writes a size for people ("12.3 MB").
func HumanBytes(n int64) string { return humanBytes(n) }

// MoveOptions tune Move. The zero value works.
type MoveOptions struct {
	// Progress hears of each file (and of each phase's start). A non-nil
	// error from it stops the move the same way a failed write does: the
	// old library stays the one in use and the partial copy is cleared.
	Progress func(MoveProgress) error
	// ForceCopy copies even when a rename would do (tests; a rename
	// across disks falls back to copying by itself).
	ForceCopy bool
	// FreeSpace reports the bytes free for the folder dir (tests set it to
	// play a full disk); default: the file system's figure, where known.
	FreeSpace func(dir string) (free int64, known bool, err error)
}

// Moved is a finished move's copy or rename, before the caller commits to
// it. The library is whole at New and the caller now records New as the
// library's place; then Finish clears the marker and the old folder. If
// the caller cannot record it, Undo puts things back as they were.
type Moved struct {
	Old, New string
	// Copied is true when the files were copied (the old folder still holds
	// them until Finish); false for a rename (the old folder is gone).
	Copied bool
	// Files and Bytes are what was moved (zero for a rename).
	Files int
	Bytes int64
	// Warnings are facts found on the way that did not stop the move (a
	// model already different from its record before the move).
	Warnings []string
	// createdNew: New did not exist before the move (Undo removes it).
	createdNew bool
	// link is the symbolic link the library was reached through (Old is
	// the folder it points to); Finish removes it.
	link string
}

// Move puts the library folder src at dst (an absolute path: a new folder,
// or an empty one). On one file system this is a rename. Otherwise the
// files are copied (after checking there is room), each fsynced, then read
// back and checked against the sizes and sha256 sums written and the
// models' sums the job records keep; only then does Move report success.
// Until the caller calls Finish the old library is untouched and remains
// the authoritative one: an error or a crash part-way leaves it whole, and
// the partial copy carries MovingMarker so that a retry clears it.
//
// No library may be open on src while it moves (core/app closes its own
// and refuses while jobs are running).
func Move(src, dst string, opt MoveOptions) (*Moved, error) {
	if !filepath.IsAbs(dst) {
		return nil, fmt.Errorf("cannot move the library to %q: give the full path of a folder", dst)
	}
	src, dst = filepath.Clean(src), filepath.Clean(dst)
	// A library folder that is a symbolic link (to a bigger disk, say)
	// moves the folder it points to: WalkDir does not follow a link at its
	// root, so a copy would hold nothing, and a rename would move the link
	// alone (a relative one then points nowhere). Finish removes the link.
	link := ""
	if fi, err := os.Lstat(src); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(src)
		if err != nil {
			return nil, fmt.Errorf("cannot move the library: its folder %s is a link that points nowhere (%w); make it point at the library, or set library_dir in the settings to the library's folder", src, err)
		}
		link, src = src, real
	}
	sfi, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("cannot move the library: its folder %s cannot be read: %w", src, err)
	}
	if !sfi.IsDir() {
		return nil, fmt.Errorf("cannot move the library: %s is not a folder", src)
	}
	if err := CheckMoveTarget(src, dst); err != nil {
		return nil, err
	}
	createdNew, err := prepareTarget(dst)
	if err != nil {
		return nil, err
	}
	m := &Moved{Old: src, New: dst, createdNew: createdNew, link: link}
	if !opt.ForceCopy {
		if err := report(opt.Progress, MoveProgress{Phase: MoveRenaming}); err != nil {
			m.undoTarget()
			return nil, fmt.Errorf("move stopped before it started: %w", err)
		}
		// rename(2) replaces an empty folder; elsewhere the empty target
		// goes first.
		err := os.Rename(src, dst)
		if err != nil {
			if rmErr := os.Remove(dst); rmErr == nil {
				if err = os.Rename(src, dst); err != nil {
					os.Mkdir(dst, 0o700) // put the folder the user chose back
				}
			}
		}
		if err == nil {
			fsutil.SyncDir(filepath.Dir(dst))
			fsutil.SyncDir(filepath.Dir(src))
			return m, nil
		}
		// Another disk (EXDEV) or a rename the system will not do: copy.
	}
	m.Copied = true
	if err := m.copyAll(opt); err != nil {
		if cerr := clearFolder(dst, createdNew); cerr != nil {
			return nil, fmt.Errorf("%w; the old library at %s is untouched and still in use (the partial copy in %s could not be removed: %v; it will be cleared on the next try, or delete it by hand)", err, src, dst, cerr)
		}
		return nil, fmt.Errorf("%w; the old library at %s is untouched and still in use", err, src)
	}
	return m, nil
}

// Finish completes a move after the caller has switched to the new place:
// it clears the marker and removes the old folder (nothing for a rename).
// An error names the folder that can be deleted by hand; the move itself
// stands.
func (m *Moved) Finish() error {
	if !m.Copied {
		m.removeLink()
		return nil
	}
	if err := os.Remove(filepath.Join(m.New, MovingMarker)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the library now lives in %s, but its marker file %s could not be removed (delete it by hand): %w", m.New, MovingMarker, err)
	}
	fsutil.SyncDir(m.New)
	if err := os.RemoveAll(m.Old); err != nil {
		return fmt.Errorf("the library now lives in %s, but the old folder %s could not be removed; you can delete it by hand: %w", m.New, m.Old, err)
	}
	fsutil.SyncDir(filepath.Dir(m.Old))
	m.removeLink()
	return nil
}

// removeLink removes the link the old library was reached through, which
// now points nowhere (left, it would stand in the way of moving back).
func (m *Moved) removeLink() {
	if m.link == "" {
		return
	}
	if fi, err := os.Lstat(m.link); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		os.Remove(m.link)
		fsutil.SyncDir(filepath.Dir(m.link))
	}
}

// Undo puts things back when the caller could not switch to the new place:
// a rename is renamed back, a copy is removed. The old library is then the
// one in use, as before Move.
func (m *Moved) Undo() error {
	if m.Copied {
		return clearFolder(m.New, m.createdNew)
	}
	if err := os.Rename(m.New, m.Old); err != nil {
		return fmt.Errorf("could not put the library back from %s to %s; move that folder back by hand: %w", m.New, m.Old, err)
	}
	if !m.createdNew {
		os.Mkdir(m.New, 0o700)
	}
	return nil
}

func (m *Moved) undoTarget() {
	if m.createdNew {
		os.Remove(m.New)
	}
}

// CheckMoveTarget refuses targets that cannot hold the library at src: the
// same folder, a folder inside it (or holding it), a file, a non-empty
// folder that is not a partial copy. Move checks again; callers use it to
// refuse before they close anything.
func CheckMoveTarget(src, dst string) error {
	rs, rd := realPath(src), realPath(dst)
	if rs == rd {
		return fmt.Errorf("the library is already in %s", dst)
	}
	if within(rd, rs) {
		return fmt.Errorf("cannot move the library into %s: that folder is inside the library; choose a folder outside %s", dst, src)
	}
	if within(rs, rd) {
		return fmt.Errorf("cannot move the library to %s: the library is inside that folder; choose a new or empty folder", dst)
	}
	fi, err := os.Stat(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot use %s for the library: %w", dst, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("cannot move the library to %s: it is a file; choose a folder", dst)
	}
	ents, err := os.ReadDir(dst)
	if err != nil {
		return fmt.Errorf("cannot use %s for the library: %w", dst, err)
	}
	if len(ents) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dst, MovingMarker)); err == nil {
		return nil // a copy cut short: prepareTarget clears it
	}
	return fmt.Errorf("cannot move the library to %s: the folder is not empty; choose a new or empty folder", dst)
}

// prepareTarget makes dst an empty folder; createdNew reports it did not
// exist. A partial copy left by an earlier try is cleared.
func prepareTarget(dst string) (createdNew bool, err error) {
	if _, err := os.Stat(dst); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return false, fmt.Errorf("cannot create %s: %w", filepath.Dir(dst), err)
		}
		if err := os.Mkdir(dst, 0o700); err != nil {
			return false, fmt.Errorf("cannot create %s: %w", dst, err)
		}
		return true, nil
	}
	if _, err := os.Stat(filepath.Join(dst, MovingMarker)); err == nil {
		if err := clearFolder(dst, false); err != nil {
			return false, fmt.Errorf("cannot clear the unfinished copy in %s (delete its contents by hand, then try again): %w", dst, err)
		}
	}
	return false, nil
}

// clearFolder removes a partial copy: the whole folder when the move made
// it, else its contents, the marker last (so a failure stays marked).
func clearFolder(dir string, whole bool) error {
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range ents {
		if e.Name() == MovingMarker {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	if whole {
		return os.RemoveAll(dir)
	}
	err = os.Remove(filepath.Join(dir, MovingMarker))
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return err
}

// realPath resolves symbolic links in the longest existing part of p, so
// that two spellings of one folder compare equal.
func realPath(p string) string {
	rest := ""
	for cur := p; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// within reports whether p is inside dir (not equal to it).
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func report(fn func(MoveProgress) error, p MoveProgress) error {
	if fn == nil {
		return nil
	}
	return fn(p)
}

// moveItem is one thing to copy, relative to the library folder.
type moveItem struct {
	rel  string
	mode fs.FileMode
	size int64
	link string // symbolic link target
	sum  string // sha256 of what was written, hex
}

// copyAll copies src into the marked, empty m.New and verifies the copy.
func (m *Moved) copyAll(opt MoveOptions) error {
	if err := report(opt.Progress, MoveProgress{Phase: MoveCounting}); err != nil {
		return fmt.Errorf("move stopped: %w", err)
	}
	var items []moveItem
	var total int64
	err := filepath.WalkDir(m.Old, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == m.Old {
			return nil
		}
		rel, _ := filepath.Rel(m.Old, p)
		name := d.Name()
		// Deletes and writes cut short are not part of the library.
		if strings.HasPrefix(name, trashPrefix) || isTemp(name) || name == MovingMarker {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		it := moveItem{rel: rel, mode: fi.Mode()}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if it.link, err = os.Readlink(p); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			it.size = fi.Size()
			total += it.size
		case !fi.IsDir():
			return nil // sockets, devices: never ours
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot read the library at %s: %w", m.Old, err)
	}
	files := 0
	for _, it := range items {
		if it.mode.IsRegular() {
			files++
		}
	}
	if err := checkFree(m.New, total, opt.FreeSpace); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(m.New, MovingMarker), []byte(markerText+markerFrom+m.Old+"\n"), 0o600); err != nil {
		return fmt.Errorf("cannot write in %s: %w", m.New, err)
	}
	fsutil.SyncDir(m.New)

	prog := MoveProgress{Phase: MoveCopying, TotalFiles: files, TotalBytes: total}
	if err := report(opt.Progress, prog); err != nil {
		return fmt.Errorf("move stopped: %w", err)
	}
	var dirs []string
	for i := range items {
		it := &items[i]
		to := filepath.Join(m.New, it.rel)
		switch {
		case it.mode.IsDir():
			if err := os.Mkdir(to, it.mode.Perm()|0o700); err != nil {
				return fmt.Errorf("cannot create %s: %w", to, err)
			}
			dirs = append(dirs, to)
		case it.link != "":
			if err := os.Symlink(it.link, to); err != nil {
				return fmt.Errorf("cannot copy the link %s: %w", to, err)
			}
		default:
			sum, err := copyFileSynced(filepath.Join(m.Old, it.rel), to, it.size, it.mode.Perm())
			if err != nil {
				return err
			}
			it.sum = sum
			prog.Files++
			prog.Bytes += it.size
			if err := report(opt.Progress, prog); err != nil {
				return fmt.Errorf("move stopped: %w", err)
			}
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		fsutil.SyncDir(dirs[i])
	}
	fsutil.SyncDir(m.New)
	m.Files, m.Bytes = files, total
	return m.verify(items, opt.Progress, files, total)
}

// copyFileSynced copies one file, fsyncs it and keeps its modification
// time (the index trusts a job.json while its size and time match). It
// returns the sha256 of the bytes written.
func copyFileSynced(from, to string, size int64, perm fs.FileMode) (string, error) {
	in, err := os.Open(from)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", from, err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", from, err)
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm|0o600)
	if err != nil {
		return "", fmt.Errorf("cannot create %s: %w", to, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil && n != size {
		err = fmt.Errorf("read %d bytes, expected %d (did it change during the move?)", n, size)
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("copying %s to %s failed (is the disk full?): %w", from, to, err)
	}
	if err := os.Chtimes(to, fi.ModTime(), fi.ModTime()); err != nil {
		return "", fmt.Errorf("cannot set the time of %s: %w", to, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verify reads the copy back: every file's size and sha256 must be what
// was written, and each job's files must match the sums its record keeps
// (a file already different in the old library is a warning, not a stop:
// the copy is faithful).
func (m *Moved) verify(items []moveItem, progress func(MoveProgress) error, files int, total int64) error {
	prog := MoveProgress{Phase: MoveVerifying, TotalFiles: files, TotalBytes: total}
	if err := report(progress, prog); err != nil {
		return fmt.Errorf("move stopped: %w", err)
	}
	written := map[string]string{}
	for _, it := range items {
		if !it.mode.IsRegular() {
			continue
		}
		p := filepath.Join(m.New, it.rel)
		sum, n, err := hashFile(p)
		if err != nil {
			return fmt.Errorf("cannot read back the copy %s: %w", p, err)
		}
		if n != it.size || sum != it.sum {
			return fmt.Errorf("the copy of %s differs from the original (%d bytes, %d expected); the disk may be failing", it.rel, n, it.size)
		}
		written[filepath.ToSlash(it.rel)] = sum
		prog.Files++
		prog.Bytes += n
		if err := report(progress, prog); err != nil {
			return fmt.Errorf("move stopped: %w", err)
		}
	}
	for rel := range written {
		dir, base := pathSplit(rel)
		if base != JobFile || dir == "" || strings.Contains(dir, "/") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(m.New, dir, JobFile))
		if err != nil {
			return fmt.Errorf("cannot read back %s: %w", rel, err)
		}
		var j Job
		if json.Unmarshal(data, &j) != nil {
			continue // a damaged record moves as it is; Open reports it
		}
		var listed []File
		listed = append(listed, j.Outputs...)
		for _, in := range j.Inputs {
			listed = append(listed, File{File: in.File, SHA256: in.SHA256, Size: in.Size})
		}
		for _, f := range listed {
			if f.SHA256 == "" || !safeRel(f.File) {
				continue
			}
			got, ok := written[dir+"/"+f.File]
			if !ok {
				continue // listed but absent before the move too
			}
			if got != f.SHA256 {
				m.Warnings = append(m.Warnings, fmt.Sprintf("job %s: %s was already different from its record before the move (copied as it was)", dir, f.File))
			}
		}
	}
	return nil
}

func pathSplit(rel string) (dir, base string) {
	i := strings.LastIndex(rel, "/")
	if i < 0 {
		return "", rel
	}
	return rel[:i], rel[i+1:]
}

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// checkFree refuses a copy the target's disk has no room for (with a
// margin for folders and metadata).
func checkFree(dir string, need int64, free func(string) (int64, bool, error)) error {
	if free == nil {
		free = freeSpace
	}
	have, known, err := free(dir)
	if err != nil || !known {
		return nil // unknown: the copy itself fails cleanly when the disk fills
	}
	margin := need/100 + 1<<20
	if have < need+margin {
		return fmt.Errorf("not enough room in %s: the library needs %s, only %s is free; free some space or choose another disk", dir, humanBytes(need+margin), humanBytes(have))
	}
	return nil
}

// humanBytes writes n as "12.3 MB".
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
