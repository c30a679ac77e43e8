package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"meshdrop/core/fsutil"
)

// MetadataFile is the name of the vault's metadata file in its folder. It
// holds names, providers, fingerprints, dates and notes: never a secret.
const MetadataFile = "keys.json"

// metadataVersion is the file's schema version.
const metadataVersion = 1

// maxMetadataBytes caps what the loader reads: a key's metadata is well under
// 1 KiB, so 16 MiB is tens of thousands of keys.
const maxMetadataBytes = 16 << 20

type metadataDoc struct {
	Version int   `json:"version"`
	Keys    []Key `json:"keys"`
}

// parseMetadata decodes the file. A file that is not the vault's JSON is an
// error (the caller moves it aside); entries that are unusable (no ID, unknown
// provider, bad or duplicate name, duplicate ID) are dropped and reported.
func parseMetadata(data []byte) (keys []Key, problems []string, err error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, errors.New("the file is empty")
	}
	var doc metadataDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, nil, errors.New("extra data after the JSON document")
	}
	if doc.Version > metadataVersion {
		return nil, nil, fmt.Errorf("written by a newer Meshdrop (schema %d, this one reads %d)", doc.Version, metadataVersion)
	}
	ids := map[string]bool{}
	names := map[string]bool{}
	for i, k := range doc.Keys {
		name, nerr := CleanName(k.Name)
		switch {
		case k.ID == "" || !validID(k.ID):
			problems = append(problems, fmt.Sprintf("entry %d has no valid ID", i+1))
			continue
		case ids[k.ID]:
			problems = append(problems, fmt.Sprintf("entry %d repeats the ID %s", i+1, k.ID))
			continue
		case CheckProvider(k.Provider) != nil:
			problems = append(problems, fmt.Sprintf("entry %d (%s) has an unknown provider", i+1, k.ID))
			continue
		case nerr != nil:
			problems = append(problems, fmt.Sprintf("entry %d (%s) has an invalid name", i+1, k.ID))
			continue
		case names[k.Provider+"\x00"+strings.ToLower(name)]:
			problems = append(problems, fmt.Sprintf("entry %d (%s) repeats the name %q", i+1, k.ID, name))
			continue
		}
		ids[k.ID] = true
		names[k.Provider+"\x00"+strings.ToLower(name)] = true
		k.Name = name
		k.Source = SourceKeychain
		keys = append(keys, k)
	}
	return keys, problems, nil
}

func encodeMetadata(keys []Key) ([]byte, error) {
	doc := metadataDoc{Version: metadataVersion, Keys: keys}
	if doc.Keys == nil {
		doc.Keys = []Key{}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// readMetadata loads the file at path. A missing file is an empty vault. A
// damaged file is renamed to keys.json.damaged-<time> and reported in
// problems; the vault then starts from what could be read (nothing).
func readMetadata(path string) (keys []Key, stamp fileStamp, problems []string, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fileStamp{}, nil, nil
	}
	if err != nil {
		return nil, fileStamp{}, nil, fmt.Errorf("cannot read the key list %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fileStamp{}, nil, fmt.Errorf("cannot read the key list %s: %w", path, err)
	}
	if st.Size() > maxMetadataBytes {
		return nil, fileStamp{}, []string{moveAside(path, fmt.Errorf("the file is %d bytes, more than a key list can be", st.Size()))}, nil
	}
	data, err := readAllCapped(f, maxMetadataBytes)
	if err != nil {
		return nil, fileStamp{}, nil, fmt.Errorf("cannot read the key list %s: %w", path, err)
	}
	keys, problems, perr := parseMetadata(data)
	if perr != nil {
		return nil, fileStamp{}, []string{moveAside(path, perr)}, nil
	}
	for i, p := range problems {
		problems[i] = fmt.Sprintf("key list %s: %s; that entry was skipped", path, p)
	}
	return keys, stampOf(st), problems, nil
}

func readAllCapped(f *os.File, limit int64) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(&cappedReader{f: f, left: limit + 1})
	return b.Bytes(), err
}

type cappedReader struct {
	f    *os.File
	left int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errors.New("file too large")
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.f.Read(p)
	c.left -= int64(n)
	return n, err
}

// moveAside renames a damaged key list so it is kept for inspection and the
// vault can start again, and returns the message people should see.
func moveAside(path string, why error) string {
	aside := fmt.Sprintf("%s.damaged-%s", path, time.Now().UTC().Format("20060102T150405.000000000"))
	if err := os.Rename(path, aside); err != nil {
		return fmt.Sprintf("the key list %s is damaged (%v) and could not be moved aside (%v); keys stored in the keychain are still there but not listed", path, why, err)
	}
	return fmt.Sprintf("the key list %s was damaged (%v); it was moved to %s and Meshdrop started a new one. "+
		"The secrets are still in the keychain (service %q) but those keys must be added again", path, why, aside, KeychainService)
}

func writeMetadata(path string, keys []Key) error {
	b, err := encodeMetadata(keys)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(path, b, 0o600); err != nil {
		return fmt.Errorf("cannot save the key list %s: %w", path, err)
	}
	return nil
}

// fileStamp tells whether the file changed since it was read (another
// Meshdrop process wrote it).
// Each save renames a new file into place, so the file's identity (inode)
// changes even when the time and size come out the same.
type fileStamp struct {
	info fs.FileInfo
}

func stampOf(st fs.FileInfo) fileStamp { return fileStamp{info: st} }

// same reports whether both stamps describe the same unchanged file (or both no file).
func (a fileStamp) same(b fileStamp) bool {
	if a.info == nil || b.info == nil {
		return a.info == nil && b.info == nil
	}
	return os.SameFile(a.info, b.info) && a.info.ModTime().Equal(b.info.ModTime()) && a.info.Size() == b.info.Size()
}

func statStamp(path string) fileStamp {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return stampOf(st)
}

func lockPath(dir string) string { return filepath.Join(dir, MetadataFile+".lock") }
