package library

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"meshdrop/core/fsutil"
)

// File kinds (File.Kind).
const (
	KindModel     = "model"
	KindPreview   = "preview"
	KindThumbnail = "thumbnail"
	KindTexture   = "texture"
	KindOther     = "other"
)

// FormatGLB is the binary glTF format name.
const FormatGLB = "glb"

// GLB container constants (glTF 2.0 §4.4).
const (
	glbMagic     = 0x46546C67 // "glTF"
	glbVersion   = 2
	glbChunkJSON = 0x4E4F534A // "JSON"
	glbHeaderLen = 12
)

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// ErrNoThumbnailer is returned by Thumbnail when no renderer was configured.
var ErrNoThumbnailer = errors.New("thumbnails are not available in this build")

// ModelFile returns a job's first GLB model file.
func ModelFile(j Job) (File, bool) {
	for _, f := range j.Outputs {
		if f.Kind == KindModel && strings.EqualFold(f.Format, FormatGLB) {
			return f, true
		}
	}
	return File{}, false
}

// AddInput copies an input image into the job's folder (as
// "input-N-name") and returns its entry.
func (l *Library) AddInput(jobID, name, slot, mime string, data []byte) (Input, error) {
	if !ValidID(jobID) {
		return Input{}, fmt.Errorf("job %q: %w", jobID, ErrNoJob)
	}
	if err := l.beginWrite(); err != nil {
		return Input{}, fmt.Errorf("cannot copy input %s into job %s: %w", name, jobID, err)
	}
	defer l.endWrite()
	jd := filepath.Join(l.dir, jobID)
	if err := os.MkdirAll(jd, 0o700); err != nil {
		return Input{}, fmt.Errorf("cannot create job %s's folder: %w", jobID, err)
	}
	base := cleanFileName(name, "image")
	mu := l.stripe(jobID)
	mu.Lock()
	defer mu.Unlock()
	var file string
	for n := 1; ; n++ {
		file = fmt.Sprintf("input-%d-%s", n, base)
		if _, err := os.Lstat(filepath.Join(jd, file)); errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(jd, file), data, 0o600); err != nil {
		return Input{}, fmt.Errorf("could not copy input %s into job %s (is the disk full?): %w", name, jobID, err)
	}
	sum := sha256.Sum256(data)
	return Input{File: file, Slot: slot, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), MIME: mime}, nil
}

// ReadInput returns an input image's bytes, checked against its sha256.
func (l *Library) ReadInput(jobID string, in Input) ([]byte, error) {
	if !ValidID(jobID) {
		return nil, fmt.Errorf("job %q: %w", jobID, ErrNoJob)
	}
	if !safeRel(in.File) {
		return nil, fmt.Errorf("input %q of job %s is not a file in its folder", in.File, jobID)
	}
	data, err := os.ReadFile(filepath.Join(l.dir, jobID, filepath.FromSlash(in.File)))
	if err != nil {
		return nil, fmt.Errorf("cannot read input %s of job %s: %w", in.File, jobID, err)
	}
	if in.SHA256 != "" {
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != in.SHA256 {
			return nil, fmt.Errorf("input %s of job %s has changed since it was added (sha256 differs); make a new job", in.File, jobID)
		}
	}
	return data, nil
}

// SaveOutput writes one result file through write into a temporary file in
// the job's folder, checks it (not empty, the byte count write reports,
// under Config.MaxOutputSize, GLB header and declared length for GLB
// files), fsyncs it and renames it to name. A failed check leaves nothing.
func (l *Library) SaveOutput(jobID, name, kind, format string, write func(w io.Writer) (int64, error)) (File, error) {
	if !ValidID(jobID) {
		return File{}, fmt.Errorf("job %q: %w", jobID, ErrNoJob)
	}
	if !safeName(name) {
		return File{}, fmt.Errorf("cannot save %q in job %s: not a plain file name", name, jobID)
	}
	if err := l.beginWrite(); err != nil {
		return File{}, fmt.Errorf("cannot save %s in job %s: %w", name, jobID, err)
	}
	defer l.endWrite()
	jd := filepath.Join(l.dir, jobID)
	if err := os.MkdirAll(jd, 0o700); err != nil {
		return File{}, fmt.Errorf("cannot create job %s's folder: %w", jobID, err)
	}
	f, err := os.CreateTemp(jd, "."+name+partMarker+"*")
	if err != nil {
		return File{}, fmt.Errorf("cannot save %s in job %s: %w", name, jobID, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	cw := &capWriter{w: io.MultiWriter(f, h), max: l.cfg.MaxOutputSize}
	n, err := write(cw)
	if err != nil {
		if cw.over {
			return File{}, fmt.Errorf("%s of job %s is larger than %d bytes; not saved", name, jobID, l.cfg.MaxOutputSize)
		}
		return File{}, fmt.Errorf("saving %s of job %s: %w", name, jobID, err)
	}
	if n != cw.n {
		return File{}, fmt.Errorf("saving %s of job %s: %d bytes reported, %d written", name, jobID, n, cw.n)
	}
	if cw.n == 0 {
		return File{}, fmt.Errorf("%s of job %s is empty; not saved", name, jobID)
	}
	if strings.EqualFold(format, FormatGLB) {
		if err := checkGLB(f, cw.n); err != nil {
			return File{}, fmt.Errorf("%s of job %s is not a valid GLB (%v); not saved", name, jobID, err)
		}
	}
	if err := f.Sync(); err != nil {
		return File{}, fmt.Errorf("saving %s of job %s (is the disk full?): %w", name, jobID, err)
	}
	if err := f.Close(); err != nil {
		return File{}, fmt.Errorf("saving %s of job %s: %w", name, jobID, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return File{}, err
	}
	if err := os.Rename(tmp, filepath.Join(jd, name)); err != nil {
		return File{}, fmt.Errorf("saving %s of job %s: %w", name, jobID, err)
	}
	ok = true
	fsutil.SyncDir(jd)
	return File{Kind: kind, Format: strings.ToLower(format), File: name, Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// capWriter counts bytes and fails past max.
type capWriter struct {
	w    io.Writer
	n    int64
	max  int64
	over bool
}

func (c *capWriter) Write(p []byte) (int, error) {
	if c.n+int64(len(p)) > c.max {
		c.over = true
		return 0, fmt.Errorf("larger than %d bytes", c.max)
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// checkGLB checks a GLB container: magic, version 2, the declared length
// equal to the file's, a JSON chunk first, and chunks that exactly fill it.
func checkGLB(r io.ReaderAt, size int64) error {
	var hdr [glbHeaderLen]byte
	if size < glbHeaderLen+8 {
		return fmt.Errorf("%d bytes is too short", size)
	}
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(hdr[0:]) != glbMagic {
		return errors.New("no glTF magic")
	}
	if v := binary.LittleEndian.Uint32(hdr[4:]); v != glbVersion {
		return fmt.Errorf("glTF container version %d, want 2", v)
	}
	if decl := int64(binary.LittleEndian.Uint32(hdr[8:])); decl != size {
		return fmt.Errorf("header declares %d bytes, file has %d (cut short?)", decl, size)
	}
	off := int64(glbHeaderLen)
	for i := 0; off < size; i++ {
		var ch [8]byte
		if size-off < 8 {
			return errors.New("trailing bytes after the last chunk")
		}
		if _, err := r.ReadAt(ch[:], off); err != nil {
			return err
		}
		n := int64(binary.LittleEndian.Uint32(ch[0:]))
		typ := binary.LittleEndian.Uint32(ch[4:])
		if i == 0 && (typ != glbChunkJSON || n == 0) {
			return errors.New("the first chunk is not JSON")
		}
		off += 8 + n
		if off > size {
			return fmt.Errorf("chunk %d runs past the end", i)
		}
	}
	return nil
}

// CheckGLBFile checks a GLB file's container (see SaveOutput).
func CheckGLBFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return checkGLB(f, fi.Size())
}

// Thumbnail returns the job's thumbnail, rendering it from the job's GLB
// model through Config.Thumbnail when it is missing or older than the
// model. It does not change the job's record: the caller adds the entry.
func (l *Library) Thumbnail(jobID string) (File, error) {
	if err := l.beginWrite(); err != nil {
		return File{}, fmt.Errorf("cannot make job %s's thumbnail: %w", jobID, err)
	}
	defer l.endWrite()
	j, err := l.Get(jobID)
	if err != nil {
		return File{}, err
	}
	model, ok := ModelFile(j)
	if !ok {
		return File{}, fmt.Errorf("job %s has no GLB model to make a thumbnail from", jobID)
	}
	jd := filepath.Join(l.dir, jobID)
	mp := filepath.Join(jd, filepath.FromSlash(model.File))
	mfi, err := os.Stat(mp)
	if err != nil {
		return File{}, fmt.Errorf("job %s's model is missing: %w", jobID, err)
	}
	tp := filepath.Join(jd, ThumbnailFile)
	if tfi, err := os.Stat(tp); err == nil && tfi.Size() > 0 && !tfi.ModTime().Before(mfi.ModTime()) {
		return fileEntry(tp, KindThumbnail, "png")
	}
	if l.cfg.Thumbnail == nil {
		return File{}, ErrNoThumbnailer
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(jd, "."+ThumbnailFile+partMarker+hex.EncodeToString(rnd[:])+".png")
	defer os.Remove(tmp) // gone after the rename; left only on failure
	if err := l.cfg.Thumbnail(mp, tmp, l.cfg.ThumbnailSize); err != nil {
		return File{}, fmt.Errorf("could not render job %s's thumbnail: %w", jobID, err)
	}
	if err := syncPNG(tmp); err != nil {
		return File{}, fmt.Errorf("job %s's thumbnail: %w", jobID, err)
	}
	if err := os.Rename(tmp, tp); err != nil {
		return File{}, fmt.Errorf("saving job %s's thumbnail: %w", jobID, err)
	}
	fsutil.SyncDir(jd)
	return fileEntry(tp, KindThumbnail, "png")
}

// syncPNG checks the renderer wrote a PNG and makes it durable.
func syncPNG(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("the renderer wrote nothing: %w", err)
	}
	defer f.Close()
	sig := make([]byte, len(pngSignature))
	if _, err := io.ReadFull(f, sig); err != nil || !bytes.Equal(sig, pngSignature) {
		return errors.New("the renderer did not write a PNG")
	}
	return f.Sync()
}

// fileEntry hashes a file in a job's folder into its entry.
func fileEntry(path, kind, format string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, err
	}
	return File{Kind: kind, Format: format, File: filepath.Base(path), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// cleanFileName makes name safe as a plain file name, keeping letters,
// digits, '.', '-' and '_'; fallback when nothing is left.
func cleanFileName(name, fallback string) string {
	name = filepath.Base(filepath.ToSlash(name))
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		case c == '.':
			if b.Len() > 0 {
				b.WriteRune(c)
			}
		default:
			b.WriteRune('_')
		}
		if b.Len() >= 80 {
			break
		}
	}
	s := strings.Trim(b.String(), "._")
	if s == "" || s == JobFile {
		return fallback
	}
	return s
}
