package library

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
)

// migrations upgrade a raw job record from schema N to N+1, keyed by N. To
// change the record incompatibly: bump SchemaVersion and add the step from
// the old version here; records are upgraded when read and written back in
// the new shape on their next Put.
var migrations = map[int]func(rec map[string]json.RawMessage) error{
	// Schema 0 is a record written before the field existed: same shape.
	0: func(map[string]json.RawMessage) error { return nil },
}

// knownStates are the states this build understands.
var knownStates = map[State]bool{
	StateDraft: true, StateSubmitting: true, StateQueued: true, StateRunning: true,
	StateDownloading: true, StateDone: true, StateFailed: true, StateCancelled: true, StateUnknown: true,
}

// errNewerSchema marks a record written by a newer Meshdrop: it is loaded
// (unknown fields are dropped) but reported.
var errNewerSchema = errors.New("written by a newer Meshdrop")

// decodeJob parses one job.json, upgrading older schemas, and checks what
// the rest of the library relies on (a valid ID, a known state, file names
// that stay inside the job's folder). A record from a newer schema is
// returned together with errNewerSchema.
func decodeJob(data []byte) (Job, error) {
	var j Job
	if len(strings.TrimSpace(string(data))) == 0 {
		return j, errors.New("the file is empty (a write was cut short)")
	}
	// The common case, a record of this schema, is decoded once.
	if err := json.Unmarshal(data, &j); err == nil && j.Schema == SchemaVersion {
		return j, checkJob(&j, true)
	}
	j = Job{}
	var head struct {
		Schema int `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return j, fmt.Errorf("not valid JSON: %w", err)
	}
	var newer error
	switch {
	case head.Schema < 0:
		return j, fmt.Errorf("invalid schema version %d", head.Schema)
	case head.Schema > SchemaVersion:
		newer = fmt.Errorf("schema %d, this build knows %d: %w", head.Schema, SchemaVersion, errNewerSchema)
	case head.Schema < SchemaVersion:
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(data, &rec); err != nil {
			return j, fmt.Errorf("not a JSON object: %w", err)
		}
		for v := head.Schema; v < SchemaVersion; v++ {
			m, ok := migrations[v]
			if !ok {
				return j, fmt.Errorf("no migration from schema %d", v)
			}
			if err := m(rec); err != nil {
				return j, fmt.Errorf("migrating from schema %d: %w", v, err)
			}
		}
		up, err := json.Marshal(rec)
		if err != nil {
			return j, err
		}
		data = up
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return j, fmt.Errorf("not a job record: %w", err)
	}
	if newer == nil {
		j.Schema = SchemaVersion
	}
	if err := checkJob(&j, newer == nil); err != nil {
		return j, err
	}
	return j, newer
}

// checkJob rejects records the library cannot use safely.
func checkJob(j *Job, strictState bool) error {
	if !ValidID(j.ID) {
		return fmt.Errorf("invalid job ID %q", j.ID)
	}
	if strictState && !knownStates[j.State] {
		return fmt.Errorf("unknown state %q", j.State)
	}
	if j.Rating < 0 || j.Rating > 5 {
		return fmt.Errorf("rating %d is outside 0–5", j.Rating)
	}
	for _, in := range j.Inputs {
		if !safeRel(in.File) {
			return fmt.Errorf("input file name %q leaves the job's folder", in.File)
		}
	}
	for _, f := range j.Outputs {
		if !safeRel(f.File) {
			return fmt.Errorf("output file name %q leaves the job's folder", f.File)
		}
	}
	return nil
}

// safeRel reports whether name is a plain relative path inside a job's
// folder (forward slashes, no "..", not absolute, not job.json itself).
func safeRel(name string) bool {
	if name == "" || len(name) > 255 || strings.ContainsAny(name, "\\\x00:") {
		return false
	}
	if path.IsAbs(name) || path.Clean(name) != name || name == "." || strings.HasPrefix(name, "../") || name == ".." {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." || strings.HasPrefix(part, ".") {
			return false
		}
	}
	return name != JobFile
}

// safeName reports whether name is a plain file name for a job's folder.
func safeName(name string) bool {
	return safeRel(name) && !strings.Contains(name, "/")
}
