package library

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func jobSeeds(f *testing.F) {
	good, _ := json.Marshal(testJob(1))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"schema":0,"id":"a","state":"done"}`))
	f.Add([]byte(`{"schema":7,"id":"a","state":"x"}`))
	f.Add([]byte(`{"id":"a","state":"done","outputs":[{"file":"../x"}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
}

// FuzzDecodeJob: any bytes either decode into a record the library can use
// safely (valid ID, files inside the folder) that survives a round trip, or
// are refused; never a panic.
func FuzzDecodeJob(f *testing.F) {
	jobSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := decodeJob(data)
		if err != nil && !errors.Is(err, errNewerSchema) {
			return
		}
		if !ValidID(j.ID) {
			t.Fatalf("accepted invalid ID %q", j.ID)
		}
		for _, o := range j.Outputs {
			if !safeRel(o.File) || filepath.IsAbs(o.File) {
				t.Fatalf("accepted unsafe output %q", o.File)
			}
		}
		if err == nil {
			again, _ := json.Marshal(j)
			j2, err2 := decodeJob(again)
			if err2 != nil || j2.ID != j.ID || j2.State != j.State {
				t.Fatalf("round trip: %v", err2)
			}
		}
	})
}

// FuzzDecodeIndex: any index bytes give entries with valid IDs and known
// states, or an error; never a panic.
func FuzzDecodeIndex(f *testing.F) {
	l, _ := Open(f.TempDir(), Config{})
	for i := range 3 {
		l.Put(testJob(i))
	}
	l.Close()
	good, _ := os.ReadFile(filepath.Join(l.Dir(), IndexFile))
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte(`{"version":1,"schema":1,"jobs":[{"id":"../x","state":"done","stamp":{"size":1}}]}`))
	f.Add([]byte(`{"version":1,"schema":1,"jobs":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := decodeIndex(data)
		if err != nil {
			return
		}
		for id, e := range idx {
			if id != e.sum.ID || !ValidID(id) || !knownStates[e.sum.State] {
				t.Fatalf("bad entry %q %+v", id, e.sum)
			}
		}
	})
}

// FuzzOpenWithJobFile: whatever one job.json holds, Open succeeds, the
// other job loads, and the file is either loaded or moved aside and
// reported.
func FuzzOpenWithJobFile(f *testing.F) {
	jobSeeds(f)
	good := testJob(0)
	good.Schema = SchemaVersion
	goodData, _ := json.Marshal(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		// Files are written directly (no fsync): the fuzzer runs many
		// iterations; Open's own writes are the real ones.
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, good.ID), 0o700)
		os.WriteFile(filepath.Join(dir, good.ID, JobFile), goodData, 0o600)
		id := testJob(1).ID
		os.MkdirAll(filepath.Join(dir, id), 0o700)
		os.WriteFile(filepath.Join(dir, id, JobFile), data, 0o600)
		l2, err := Open(dir, Config{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer l2.Close()
		if _, err := l2.Get(testJob(0).ID); err != nil {
			t.Fatalf("the good job did not load: %v", err)
		}
		_, loaded := l2.Summary(id)
		moved := false
		for _, p := range l2.Problems() {
			if p.MovedTo != "" {
				moved = true
			}
		}
		if loaded == moved {
			t.Fatalf("loaded=%v moved aside=%v, problems %v", loaded, moved, l2.Problems())
		}
	})
}
