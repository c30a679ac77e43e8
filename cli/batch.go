package cli

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"meshdrop/core/fsutil"
	"meshdrop/core/jobs"
	"meshdrop/core/library"
	"meshdrop/core/provider"
)

func init() {
	Register(Command{
		Name:    "batch",
		Summary: "generate every row of a CSV or JSON Lines file",
		Usage: `Usage: meshdrop batch FILE [--provider P] [--key NAME] [--set name=value …] [--json]

FILE is CSV with a header row, or JSON Lines (one object per line; .jsonl,
.ndjson, or a first line starting with '{').

  CSV columns: prompt, images (paths separated by ';', relative to FILE;
  SLOT=PATH for a named view), provider, key, name, tags (separated by ';');
  any other column is a provider option (an empty cell leaves it unset).
  JSON Lines: {"prompt": "…", "images": ["a.png"], "provider": "…", "key": "…",
  "options": {"name": "value"}, "name": "…", "tags": ["…"]}

--provider, --key and --set apply to rows that do not say otherwise.
Every row becomes a job; the runner sends them within each provider's
concurrency and rate limits and follows them all to the end. Stopped and
started again with the same FILE, the batch picks up its jobs and never
sends a row's create twice (which row made which job is kept in Meshdrop's
data folder before the job is made). A summary is printed at the end.
Exit codes: 0 all done, 1 some failed or were cancelled, 2 bad file or
arguments, 5 some submission unknown or left unfinished.`,
		Run: runBatch,
	})
}

// batchRow is one row of a batch file.
type batchRow struct {
	Line     int               `json:"-"`
	Provider string            `json:"provider,omitempty"`
	Key      string            `json:"key,omitempty"`
	Prompt   string            `json:"prompt,omitempty"`
	Images   []string          `json:"images,omitempty"`
	Options  map[string]string `json:"options,omitempty"`
	Name     string            `json:"name,omitempty"`
	Tags     []string          `json:"tags,omitempty"`
}

// rowKey identifies a row across runs: its line and its content, so an
// edited row is a new job and an untouched one keeps its job.
func (b batchRow) rowKey() string {
	data, _ := json.Marshal(b)
	h := sha256.Sum256(data)
	return fmt.Sprintf("%d:%s", b.Line, hex.EncodeToString(h[:8]))
}

// batchState is what a batch remembers between runs: row key → job ID.
type batchState struct {
	Version int               `json:"version"`
	File    string            `json:"file"`
	Jobs    map[string]string `json:"jobs"`
}

const (
	batchDirName      = "batches"
	batchStateVersion = 1
	maxBatchLine      = 1 << 20
)

func runBatch(e *Env, args []string) int {
	fs := newFlags(e, "batch")
	prov := fs.String("provider", "", "provider for rows without one")
	key := fs.String("key", "", "key for rows without one")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	var sets multiFlag
	fs.Var(&sets, "set", "option name=value for rows without it (repeat)")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 {
		e.Errorf("usage: meshdrop batch FILE [--provider P] [--key NAME] [--set name=value …] [--json]")
		return ExitUsage
	}
	defaults, err := provider.ParseSet(sets)
	if err != nil {
		e.Errorf("%v", err)
		return ExitUsage
	}
	path, err := filepath.Abs(pos[0])
	if err != nil {
		e.Errorf("%v", err)
		return ExitUsage
	}
	data, err := os.ReadFile(path)
	if err != nil {
		e.Errorf("cannot read the batch file: %v", err)
		return ExitNotFound
	}
	rows, err := parseBatch(path, data)
	if err != nil {
		e.Errorf("%s: %v", pos[0], err)
		return ExitUsage
	}
	if len(rows) == 0 {
		e.Errorf("%s has no rows", pos[0])
		return ExitUsage
	}
	statePath := filepath.Join(e.Dirs.Data, batchDirName, batchFileID(path)+".json")
	st, err := loadBatchState(statePath, path)
	if err != nil {
		e.Errorf("%v", err)
		return ExitFailure
	}
	r, code := openRunner(e)
	if r == nil {
		return code
	}
	// First every new row gets its job ID, recorded in one durable write
	// before any job is made; then the jobs are made.
	type work struct {
		row  batchRow
		rk   string
		id   string
		spec jobs.Spec
	}
	var todo []work
	ids := make([]string, 0, len(rows))
	newIDs := false
	for _, row := range rows {
		// The row as written in the file is its identity: run again with
		// other defaults, it still follows the job it made.
		rk := row.rowKey()
		if row.Provider == "" {
			row.Provider = nonEmptyStr(*prov, e.Settings.DefaultProvider)
		}
		if row.Key == "" {
			row.Key = *key
		}
		opts := map[string]string{}
		for k, v := range e.Settings.DefaultOptions[row.Provider] {
			opts[k] = v
		}
		for k, v := range defaults {
			opts[k] = v
		}
		for k, v := range row.Options {
			opts[k] = v
		}
		if len(opts) == 0 {
			opts = nil
		}
		id, known := st.Jobs[rk]
		if known {
			_, err := r.Store().Get(id)
			if err == nil {
				ids = append(ids, id) // made in an earlier run: follow it
				continue
			}
			if !errors.Is(err, jobs.ErrNoJob) {
				e.Errorf("line %d: %v", row.Line, err)
				return ExitFailure
			}
			// Recorded, then stopped before the job was written: make it now
			// under the same ID (nothing was sent for it).
		} else {
			id = jobs.NewID()
			st.Jobs[rk] = id
			newIDs = true
		}
		todo = append(todo, work{row: row, rk: rk, id: id, spec: jobs.Spec{ID: id, Provider: row.Provider, Key: row.Key,
			Prompt: row.Prompt, Options: opts, Name: row.Name, Tags: row.Tags}})
	}
	if newIDs {
		if err := saveBatchState(statePath, st); err != nil {
			e.Errorf("cannot record the batch's progress (nothing was sent): %v", err)
			return ExitFailure
		}
	}
	// Jobs are made by a few workers: each is a durable write, and the
	// runner sends them within the providers' limits as they come.
	refusedAt := make([]string, len(todo))
	made := make([]bool, len(todo))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < batchSubmitters; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				wk := todo[i]
				spec := wk.spec
				var bad error
				for _, p := range wk.row.Images {
					im, err := readImage(batchPath(path, p))
					if err != nil {
						bad = err
						break
					}
					spec.Images = append(spec.Images, im)
				}
				if bad == nil {
					_, bad = r.Submit(e.Ctx, spec)
				}
				if bad != nil {
					refusedAt[i] = fmt.Sprintf("line %d: %v", wk.row.Line, bad)
					continue
				}
				made[i] = true
			}
		}()
	}
	for i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	var refused []string
	dropped := false
	for i, wk := range todo {
		if made[i] {
			ids = append(ids, wk.id)
			continue
		}
		refused = append(refused, refusedAt[i])
		delete(st.Jobs, wk.rk) // nothing was made: a fixed row may be sent next time
		dropped = true
	}
	if dropped {
		_ = saveBatchState(statePath, st)
	}
	if _, err := r.Resume(ids...); err != nil {
		e.Errorf("%v", err)
	}
	p := newProgress(e, ids, *asJSON)
	p.summary = true
	ends := followWith(e, r, ids, p)
	printBatchSummary(e, ends, refused, *asJSON)
	code = exitFor(e, ends)
	if len(refused) > 0 && code == ExitOK {
		code = ExitFailure
	}
	return code
}

// batchSubmitters is how many rows are made into jobs at once.
const batchSubmitters = 4

// batchPath resolves an image path of a row ("PATH" or "SLOT=PATH")
// against the batch file's folder.
func batchPath(batchFile, p string) string {
	slot, rel, hasSlot := strings.Cut(p, "=")
	if !hasSlot || strings.ContainsAny(slot, `/\.`) {
		slot, rel = "", p
	}
	if !filepath.IsAbs(rel) {
		rel = filepath.Join(filepath.Dir(batchFile), rel)
	}
	if slot != "" {
		return slot + "=" + rel
	}
	return rel
}

func nonEmptyStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// batchSummary is the --json summary line.
type batchSummary struct {
	Summary bool                  `json:"summary"`
	Jobs    int                   `json:"jobs"`
	States  map[library.State]int `json:"states"`
	Credits float64               `json:"credits"`
	Refused []string              `json:"refused,omitempty"`
}

func printBatchSummary(e *Env, ends []library.Job, refused []string, asJSON bool) {
	s := batchSummary{Summary: true, Jobs: len(ends), States: map[library.State]int{}, Refused: refused}
	for _, j := range ends {
		s.States[j.State]++
		s.Credits += j.Credits
	}
	if asJSON {
		_ = printJSONLine(e.Stdout, s)
		return
	}
	states := make([]string, 0, len(s.States))
	for _, st := range allStates {
		if n := s.States[st]; n > 0 {
			states = append(states, fmt.Sprintf("%d %s", n, st))
		}
	}
	fmt.Fprintf(e.Stdout, "Batch: %d jobs: %s", s.Jobs, strings.Join(states, ", "))
	if s.Credits > 0 {
		fmt.Fprintf(e.Stdout, "; %g credits", s.Credits)
	}
	fmt.Fprintln(e.Stdout)
	for _, r := range refused {
		fmt.Fprintf(e.Stderr, "meshdrop: not sent: %s\n", r)
	}
}

// batchFileID names a batch's state file by the batch file's absolute path.
func batchFileID(path string) string {
	h := sha256.Sum256([]byte(path))
	return hex.EncodeToString(h[:12])
}

func loadBatchState(statePath, file string) (*batchState, error) {
	st := &batchState{Version: batchStateVersion, File: file, Jobs: map[string]string{}}
	data, err := os.ReadFile(statePath)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the batch's progress %s: %w", statePath, err)
	}
	if err := json.Unmarshal(data, st); err != nil || st.Jobs == nil {
		// A damaged progress file cannot say which rows were sent: refuse
		// rather than risk sending them twice.
		return nil, fmt.Errorf("the batch's progress file %s is damaged (%v); move it aside only if you are sure none of its rows was sent, or check 'meshdrop jobs list'", statePath, err)
	}
	return st, nil
}

func saveBatchState(statePath string, st *batchState) error {
	if err := os.MkdirAll(filepath.Dir(statePath), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(statePath, data, 0o600)
}

// parseBatch reads CSV or JSON Lines.
func parseBatch(path string, data []byte) ([]batchRow, error) {
	ext := strings.ToLower(filepath.Ext(path))
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if ext == ".jsonl" || ext == ".ndjson" || (ext != ".csv" && len(trimmed) > 0 && trimmed[0] == '{') {
		return parseJSONLines(data)
	}
	return parseCSV(data)
}

func parseJSONLines(data []byte) ([]batchRow, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxBatchLine)
	var rows []batchRow
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		var row batchRow
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&row); err != nil {
			return nil, fmt.Errorf("line %d: %v (fields: prompt, images, provider, key, options, name, tags)", n, err)
		}
		if row.Prompt == "" && len(row.Images) == 0 {
			return nil, fmt.Errorf("line %d: needs a prompt or images", n)
		}
		row.Line = n
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return rows, nil
}

func parseCSV(data []byte) ([]batchRow, error) {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	head, err := cr.Read()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	cols := make([]string, len(head))
	hasInput := false
	for i, h := range head {
		cols[i] = strings.TrimSpace(h)
		switch strings.ToLower(cols[i]) {
		case "prompt", "images", "image":
			hasInput = true
		}
	}
	if !hasInput {
		return nil, fmt.Errorf("the CSV header needs a 'prompt' or 'images' column (got %s)", strings.Join(cols, ", "))
	}
	var rows []batchRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		row := batchRow{Line: line}
		for i, v := range rec {
			if i >= len(cols) {
				return nil, fmt.Errorf("line %d: more cells than header columns", line)
			}
			v = strings.TrimSpace(v)
			switch strings.ToLower(cols[i]) {
			case "prompt":
				row.Prompt = v
			case "images", "image":
				row.Images = splitList(v)
			case "provider":
				row.Provider = v
			case "key":
				row.Key = v
			case "name":
				row.Name = v
			case "tags":
				row.Tags = splitList(v)
			default:
				if v == "" {
					continue
				}
				if row.Options == nil {
					row.Options = map[string]string{}
				}
				row.Options[strings.TrimPrefix(cols[i], "set.")] = v
			}
		}
		if row.Prompt == "" && len(row.Images) == 0 {
			continue // a blank line of cells
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(a, b int) bool { return rows[a].Line < rows[b].Line })
	return rows, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
