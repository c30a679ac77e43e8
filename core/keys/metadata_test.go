package keys

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func damagedFiles(t testing.TB, dir string) []string {
	m, err := filepath.Glob(filepath.Join(dir, MetadataFile+".damaged-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDamagedMetadataMovedAside(t *testing.T) {
	dir := t.TempDir()
	junk := []byte(`{"version":1,"keys":[{"id":"key-1","name":"a"`)
	if err := os.WriteFile(filepath.Join(dir, MetadataFile), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	v := openTest(t, dir)
	if len(v.List()) != 0 {
		t.Fatal("keys listed from a damaged file")
	}
	w := strings.Join(v.Warnings(), "\n")
	aside := damagedFiles(t, dir)
	if len(aside) != 1 || !strings.Contains(w, "damaged") || !strings.Contains(w, aside[0]) {
		t.Fatalf("warnings %q, aside %v", w, aside)
	}
	if b, _ := os.ReadFile(aside[0]); !bytes.Equal(b, junk) {
		t.Fatal("the damaged file was not kept as it was")
	}
	if _, err := os.Stat(filepath.Join(dir, MetadataFile)); !os.IsNotExist(err) {
		t.Fatal("the damaged file is still in place")
	}
}

func TestBadEntriesSkipped(t *testing.T) {
	dir := t.TempDir()
	doc := `{"version":1,"keys":[
 {"id":"key-good","name":" Good ","provider":"meshy","fingerprint":"msy_…abcd","source":"environment"},
 {"id":"key-good","name":"dup id","provider":"meshy"},
 {"id":"","name":"no id","provider":"meshy"},
 {"id":"../../etc","name":"bad id","provider":"meshy"},
 {"id":"key-x","name":"x","provider":"sandbox"},
 {"id":"key-y","name":"GOOD","provider":"meshy"},
 {"id":"key-z","name":"","provider":"tripo"}
]}`
	if err := os.WriteFile(filepath.Join(dir, MetadataFile), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	v := openTest(t, dir)
	l := v.List()
	if len(l) != 1 || l[0].ID != "key-good" || l[0].Name != "Good" || l[0].Source != SourceKeychain {
		t.Fatalf("kept %+v", l)
	}
	if n := len(v.Warnings()); n != 6 {
		t.Fatalf("%d warnings, want 6: %q", n, v.Warnings())
	}
	if len(damagedFiles(t, dir)) != 0 {
		t.Fatal("a readable file was moved aside")
	}
	newer := `{"version":99,"keys":[]}`
	os.WriteFile(filepath.Join(dir, MetadataFile), []byte(newer), 0o600)
	if w := strings.Join(openTest(t, dir).Warnings(), " "); !strings.Contains(w, "newer Meshdrop") {
		t.Fatalf("newer schema: %q", w)
	}
}

// The key list loader reads a file anyone could have edited: whatever is in
// it, Open must not crash or fail, a damaged file is moved aside and
// reported, and what is listed obeys the vault's rules.
func FuzzLoadMetadata(f *testing.F) {
	good, _ := encodeMetadata([]Key{{ID: "key-a", Name: "A", Provider: "meshy", Fingerprint: "msy_…1234"}, {ID: "key-b", Name: "B", Provider: "tripo"}})
	f.Add(good)
	f.Add([]byte(`{"version":1,"keys":[{"id":"key-a","name":"a","provider":"meshy"},{"id":"key-a","name":"a","provider":"meshy"}]}`))
	f.Add([]byte(`{"version":1,"keys":null}`))
	f.Add([]byte(`{"version":1}{}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Add([]byte("\x00\xff{"))
	f.Add([]byte(`{"version":1,"keys":[{"id":"key-a","name":"` + strings.Repeat("x", 70) + `","provider":"meshy","created":"bad"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, MetadataFile)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		v, err := OpenWith(dir, Options{Getenv: noEnv})
		if err != nil {
			t.Fatalf("Open failed on a bad file: %v", err)
		}
		aside := damagedFiles(t, dir)
		if len(aside) > 0 {
			if b, _ := os.ReadFile(aside[0]); !bytes.Equal(b, data) {
				t.Fatal("moved-aside file differs from the original")
			}
			if len(v.Warnings()) == 0 || len(v.List()) != 0 {
				t.Fatal("a damaged file was not reported, or keys were listed from it")
			}
			return
		}
		if b, _ := os.ReadFile(path); !bytes.Equal(b, data) {
			t.Fatal("a readable file was changed by Open")
		}
		ids, names := map[string]bool{}, map[string]bool{}
		for _, k := range v.List() {
			if _, err := CleanName(k.Name); err != nil || k.Name != strings.TrimSpace(k.Name) {
				t.Fatalf("listed an invalid name %q", k.Name)
			}
			if CheckProvider(k.Provider) != nil || !validID(k.ID) || ids[k.ID] || names[k.Provider+strings.ToLower(k.Name)] || k.Source != SourceKeychain {
				t.Fatalf("listed an invalid key %+v", k)
			}
			ids[k.ID], names[k.Provider+strings.ToLower(k.Name)] = true, true
		}
	})
}
