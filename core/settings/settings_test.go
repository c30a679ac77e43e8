package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// savedBytes writes s with Save in a new folder and returns the folder
// and the file's bytes.
func savedBytes(t *testing.T, s Settings) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	if err := Save(dir, s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	return dir, b
}

// A damaged settings file (cut short, or garbled elsewhere) still gives
// back library_dir when it can be read: Load moves the file aside, keeps
// the library's place with the defaults, writes them as the new file (so
// the next start has it too) and says so in a *DamagedError.
func TestLoadDamagedSalvagesLibraryDir(t *testing.T) {
	const lib = `/media/ext "disk"/Meshdrop library é`
	s := Default()
	s.ThumbSize = 512
	s.Providers = map[string]Provider{"meshy": {BaseURL: "https://example.test", MaxConcurrent: 3}}
	s.LibraryDir = lib
	_, full := savedBytes(t, s)
	if !bytes.Contains(full, []byte(`\"disk\"`)) {
		t.Fatalf("the quote in the path is not escaped in the file: %s", full)
	}
	libAt := bytes.Index(full, []byte(`"library_dir"`))
	cases := map[string][]byte{
		// cut short after library_dir (the last field): the closing brace is lost
		"truncated": full[:len(full)-2],
		// garbage before library_dir
		"garbled": bytes.Replace(full, []byte(`"thumb_size": 512`), []byte(`"thumb_size": 5@#!`), 1),
		// library_dir first, then cut in the middle of the providers
		"cut after it": append(append([]byte("{\n  "), full[libAt:len(full)-2]...), []byte(",\n  \"providers\": {\"meshy\": {\"base_u")...),
	}
	for name, damaged := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, FileName)
			if err := os.WriteFile(p, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := Load(dir)
			var d *DamagedError
			if !errors.As(err, &d) {
				t.Fatalf("Load of a damaged file: %v", err)
			}
			if got.LibraryDir != lib || d.LibraryDir != lib || d.SaveErr != nil {
				t.Fatalf("library_dir %q (error's %q, save %v), want %q", got.LibraryDir, d.LibraryDir, d.SaveErr, lib)
			}
			if got.ThumbSize != Default().ThumbSize || got.Providers != nil {
				t.Fatalf("fields other than library_dir were taken from the damaged file: %+v", got)
			}
			if !strings.Contains(err.Error(), lib) || !strings.Contains(err.Error(), p+".bad") {
				t.Fatalf("the message does not name the library's place and the moved file: %v", err)
			}
			if b, err := os.ReadFile(p + ".bad"); err != nil || !bytes.Equal(b, damaged) {
				t.Fatalf("the damaged file was not kept as it was: %v", err)
			}
			again, err := Load(dir)
			if err != nil || again.LibraryDir != lib {
				t.Fatalf("the next load: library_dir %q, %v", again.LibraryDir, err)
			}
		})
	}
}

// A damaged file without a readable library_dir gives the defaults and
// no new settings file (nothing was salvaged); a relative library_dir,
// which is never used, is not salvaged either.
func TestLoadDamagedWithoutLibraryDir(t *testing.T) {
	for name, damaged := range map[string]string{
		"none":           `{"version": 1, "thumb_size": 51`,
		"cut in value":   `{"version": 1, "library_dir": "/media/ext/Mesh`,
		"relative":       `{"library_dir": "lib", "thumb_size": x}`,
		"inside a value": `{"default_provider": "a \"library_dir\": \"/x\"", "thumb_size": x}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, FileName)
			if err := os.WriteFile(p, []byte(damaged), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := Load(dir)
			var d *DamagedError
			if !errors.As(err, &d) || d.LibraryDir != "" || got.LibraryDir != "" {
				t.Fatalf("library_dir %q, error %v", got.LibraryDir, err)
			}
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a settings file was written with nothing salvaged: %v", err)
			}
			if _, err := os.Stat(p + ".bad"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// FuzzSalvageLibraryDir: whatever a damaged file holds, the salvaged place
// is "" or a clean absolute path, and a file that decodes gives back what
// json.Unmarshal reads (when absolute).
func FuzzSalvageLibraryDir(f *testing.F) {
	f.Add([]byte(`{"library_dir": "/a/b"}`))
	f.Add([]byte(`{"library_dir": "/a/\"b\"\u00e9", "library_dir": "/c"`))
	f.Add([]byte(`{"x": "\"library_dir\": \"/x\"", "library_dir": "rel"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := salvageLibraryDir(b)
		if got != "" && (!filepath.IsAbs(got) || filepath.Clean(got) != got) {
			t.Fatalf("salvaged %q", got)
		}
		var s Settings
		if json.Unmarshal(b, &s) == nil && filepath.IsAbs(s.LibraryDir) && !bytes.Contains(b, []byte(`\u`)) && got != filepath.Clean(s.LibraryDir) {
			t.Fatalf("salvaged %q from a file that decodes to %q", got, s.LibraryDir)
		}
	})
}

// RecordedLibraryDir reads library_dir as the file says now, and leaves a
// damaged file where it is (Load at the next start reports it), giving
// what could be salvaged with an error.
func TestRecordedLibraryDir(t *testing.T) {
	dir := t.TempDir()
	if v, err := RecordedLibraryDir(dir); v != "" || err != nil {
		t.Fatalf("no file: %q %v", v, err)
	}
	s := Default()
	s.LibraryDir = "/media/ext/lib"
	_, full := savedBytes(t, s)
	p := filepath.Join(dir, FileName)
	if err := os.WriteFile(p, full, 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := RecordedLibraryDir(dir); v != s.LibraryDir || err != nil {
		t.Fatalf("whole file: %q %v", v, err)
	}
	if err := os.WriteFile(p, full[:len(full)-2], 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := RecordedLibraryDir(dir); v != s.LibraryDir || err == nil {
		t.Fatalf("damaged file: %q %v", v, err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the damaged file was moved: %v", err)
	}
}
