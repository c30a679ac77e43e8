package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"meshdrop/core/jobs"
	"meshdrop/core/library"
)

func init() {
	JobsSubcommands["wait"] = runJobsWait
	JobsUsage["wait"] = "meshdrop jobs wait [ID …] [--json]                    resume and follow unfinished jobs (all of them without IDs)"
	JobsSubcommands["cancel"] = runJobsCancel
	JobsUsage["cancel"] = "meshdrop jobs cancel ID [--json]                      cancel a job (the provider's cancel where it has one)"
	JobsSubcommands["reconcile"] = runJobsReconcile
	JobsUsage["reconcile"] = "meshdrop jobs reconcile ID [--wait] [--json]          look up a 'submission unknown' job's task at the provider"
}

// cancelWait bounds how long "jobs cancel" waits for the provider's answer.
const cancelWait = 30 * time.Second

// openRunner opens the runner and says why not on stderr.
func openRunner(e *Env) (*jobs.Runner, int) {
	r, err := e.Runner()
	if err != nil {
		e.Errorf("cannot start the job runner: %v", err)
		return nil, ExitFailure
	}
	return r, ExitOK
}

// jobArg resolves an ID (or a unique start of one) through the library.
func jobArg(e *Env, arg string) (string, int) {
	l, code := openLibrary(e)
	if l == nil {
		return "", code
	}
	return resolveJobID(e, l, arg)
}

func runJobsWait(e *Env, args []string) int {
	fs := newFlags(e, "jobs wait")
	asJSON := fs.Bool("json", false, "one JSON object per line for each update")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	var ids []string
	for _, a := range pos {
		id, code := jobArg(e, a)
		if id == "" {
			return code
		}
		ids = append(ids, id)
	}
	r, code := openRunner(e)
	if r == nil {
		return code
	}
	started, err := r.Resume(ids...)
	if err != nil {
		e.Errorf("%v", err)
		if errors.Is(err, jobs.ErrNoJob) {
			return ExitNotFound
		}
		return ExitFailure
	}
	if len(ids) == 0 {
		ids = started
		if len(ids) == 0 {
			fmt.Fprintln(e.Stderr, "No unfinished jobs.")
			return ExitOK
		}
	}
	ends := follow(e, r, ids, *asJSON)
	return exitFor(e, ends)
}

// exitFor prints a line per job that did not end done and picks the exit
// code: unknown or unfinished beats failed, which beats done.
func exitFor(e *Env, ends []library.Job) int {
	code := ExitOK
	for _, j := range ends {
		switch j.State {
		case library.StateDone:
		case library.StateFailed, library.StateCancelled:
			if code == ExitOK {
				code = ExitFailure
			}
		default:
			code = ExitUnknown
		}
	}
	return code
}

// follow drives and follows jobs until each ends or the command is
// interrupted, printing progress: a bar on a terminal for one job, a line
// per state change otherwise, or JSON lines with --json. It returns each
// job's last record, in the order of ids.
func follow(e *Env, r *jobs.Runner, ids []string, asJSON bool) []library.Job {
	return followWith(e, r, ids, newProgress(e, ids, asJSON))
}

func followWith(e *Env, r *jobs.Runner, ids []string, p *progress) []library.Job {
	unsub := r.Subscribe(p.update)
	ends := make([]library.Job, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := r.Wait(e.Ctx, id)
			if err != nil && j.ID == "" {
				j = library.Job{ID: id, State: library.StateUnknown}
			}
			ends[i] = j
			p.update(j)
		}()
	}
	wg.Wait()
	unsub()
	p.finish(ends)
	if e.Ctx.Err() != nil {
		if n := r.InFlightCreates(); n > 0 {
			fmt.Fprintf(e.Stderr, "meshdrop: waiting for the answer to %d request(s) already sent, so the task is not lost (at most %s)…\n", n, jobs.CreateTimeout)
		}
	}
	if !p.asJSON {
		for _, j := range ends {
			if n := r.Note(j.ID); n != "" && j.State != library.StateDone {
				fmt.Fprintf(e.Stderr, "meshdrop: job %s: %s\n", j.ID, n)
			}
		}
	}
	return ends
}

// progress prints job updates for people or scripts.
type progress struct {
	e      *Env
	asJSON bool
	bar    bool // one job, on a terminal: redraw one line
	// summary (batches): on a terminal one redrawn line of counts by state;
	// otherwise a line per job when it ends.
	summary bool
	mu      sync.Mutex
	ids     map[string]bool
	last    map[string]library.Job
	drawn   bool
}

func newProgress(e *Env, ids []string, asJSON bool) *progress {
	p := &progress{e: e, asJSON: asJSON, bar: !asJSON && e.StdoutIsTerminal && len(ids) == 1,
		ids: map[string]bool{}, last: map[string]library.Job{}}
	for _, id := range ids {
		p.ids[id] = true
	}
	return p
}

// jobEvent is one --json progress line.
type jobEvent struct {
	ID            string        `json:"id"`
	State         library.State `json:"state"`
	Progress      float64       `json:"progress"`
	QueuePosition int           `json:"queue_position,omitempty"`
	Error         string        `json:"error,omitempty"`
}

func (p *progress) update(j library.Job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ids[j.ID] {
		return
	}
	prev, seen := p.last[j.ID]
	if seen && prev.State == j.State && prev.Progress == j.Progress && prev.QueuePosition == j.QueuePosition {
		return
	}
	if seen && prev.State.Finished() {
		return // the end was printed
	}
	p.last[j.ID] = j
	switch {
	case p.asJSON:
		ev := jobEvent{ID: j.ID, State: j.State, Progress: j.Progress, QueuePosition: j.QueuePosition}
		if j.Error != nil {
			ev.Error = j.Error.Message
		}
		_ = printJSONLine(p.e.Stdout, ev)
	case p.bar:
		fmt.Fprintf(p.e.Stdout, "\r%s", barLine(j, 30))
		p.drawn = true
	case p.summary && p.e.StdoutIsTerminal:
		fmt.Fprintf(p.e.Stdout, "\r%s\x1b[K", countLine(p.last, len(p.ids)))
		p.drawn = true
	case p.summary:
		if j.State.Finished() {
			fmt.Fprintf(p.e.Stdout, "%s %s\n", j.ID, stateText(j))
		}
	case !seen || prev.State != j.State:
		fmt.Fprintf(p.e.Stdout, "%s %s\n", j.ID, stateText(j))
	}
}

func (p *progress) finish(ends []library.Job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.e.Stdout)
	}
	if p.asJSON {
		return
	}
	for _, j := range ends {
		explain(p.e.Stderr, j)
	}
}

// explain says what to do about a job that did not end done.
func explain(w io.Writer, j library.Job) {
	switch j.State {
	case library.StateDone:
		return
	case library.StateUnknown:
		msg := "the request's answer was lost; it may have been accepted and charged"
		if j.Error != nil {
			msg = j.Error.Message
		}
		fmt.Fprintf(w, "meshdrop: job %s: submission unknown: %s\n", j.ID, msg)
	case library.StateFailed, library.StateCancelled:
		msg := string(j.State)
		if j.Error != nil {
			msg += ": " + j.Error.Message
		}
		fmt.Fprintf(w, "meshdrop: job %s %s\n", j.ID, msg)
	default:
		fmt.Fprintf(w, "meshdrop: job %s is still %s; it continues where it stopped with 'meshdrop jobs wait %s'\n", j.ID, j.State, j.ID)
	}
}

// countLine is "3/10 done, 1 failed, 2 running, …" over the jobs seen.
func countLine(last map[string]library.Job, total int) string {
	n := map[library.State]int{}
	for _, j := range last {
		n[j.State]++
	}
	parts := []string{fmt.Sprintf("%d/%d done", n[library.StateDone], total)}
	for _, st := range allStates {
		if st != library.StateDone && n[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
		}
	}
	return strings.Join(parts, ", ")
}

// barLine is "[#######.......]  45% running  ID".
func barLine(j library.Job, width int) string {
	n := int(j.Progress / 100 * float64(width))
	n = max(0, min(width, n))
	return fmt.Sprintf("[%s%s] %3.0f%% %-11s %s", strings.Repeat("#", n), strings.Repeat(".", width-n), j.Progress, j.State, j.ID)
}

func stateText(j library.Job) string {
	s := string(j.State)
	switch {
	case j.State == library.StateQueued && j.QueuePosition > 0:
		s += fmt.Sprintf(" (position %d)", j.QueuePosition)
	case j.State == library.StateRunning && j.Progress > 0:
		s += fmt.Sprintf(" %.0f%%", j.Progress)
	case j.State == library.StateDone:
		if f, ok := library.ModelFile(j); ok {
			s += " " + f.File
		}
	}
	return s
}

func runJobsCancel(e *Env, args []string) int {
	fs := newFlags(e, "jobs cancel")
	asJSON := fs.Bool("json", false, "the outcome as one JSON object")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 {
		e.Errorf("usage: %s", JobsUsage["cancel"])
		return ExitUsage
	}
	id, code := jobArg(e, pos[0])
	if id == "" {
		return code
	}
	r, code := openRunner(e)
	if r == nil {
		return code
	}
	ctx, cancel := context.WithTimeout(e.Ctx, cancelWait)
	defer cancel()
	res, err := r.Cancel(ctx, id)
	if *asJSON {
		out := map[string]any{"id": id, "state": res.Job.State, "cancelled": res.Cancelled}
		if res.Note != "" {
			out["note"] = res.Note
		}
		if err != nil {
			out["error"] = err.Error()
		}
		_ = printJSONLine(e.Stdout, out)
	}
	if err != nil { // also a job already finished (jobs.ErrNotCancel)
		if !*asJSON {
			e.Errorf("%v", err)
		}
		if errors.Is(err, jobs.ErrNoJob) {
			return ExitNotFound
		}
		return ExitFailure
	}
	if !*asJSON {
		if res.Cancelled {
			fmt.Fprintf(e.Stdout, "%s cancelled\n", id)
		} else {
			fmt.Fprintf(e.Stdout, "%s %s: %s\n", id, res.Job.State, res.Note)
		}
	}
	if res.Cancelled {
		return ExitOK
	}
	return ExitUnknown
}

func runJobsReconcile(e *Env, args []string) int {
	fs := newFlags(e, "jobs reconcile")
	wait := fs.Bool("wait", false, "follow the job to its end when its task is found")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 {
		e.Errorf("usage: %s", JobsUsage["reconcile"])
		return ExitUsage
	}
	id, code := jobArg(e, pos[0])
	if id == "" {
		return code
	}
	r, code := openRunner(e)
	if r == nil {
		return code
	}
	found, err := r.Reconcile(e.Ctx, id)
	if *asJSON {
		out := map[string]any{"id": id, "found": found}
		if err != nil {
			out["error"] = err.Error()
		}
		_ = printJSONLine(e.Stdout, out)
	}
	if err != nil {
		if !*asJSON {
			e.Errorf("%v", err)
		}
		switch {
		case errors.Is(err, jobs.ErrNotUnknown):
			return ExitUsage
		case errors.Is(err, jobs.ErrNoJob):
			return ExitNotFound
		}
		return ExitFailure
	}
	if !found {
		if !*asJSON {
			fmt.Fprintf(e.Stdout, "%s: no matching task found at the provider; it stays 'submission unknown'. If none was made, 'meshdrop generate' it again.\n", id)
		}
		return ExitUnknown
	}
	if !*asJSON {
		fmt.Fprintf(e.Stdout, "%s: found its task at the provider; the job carries on\n", id)
	}
	if !*wait {
		return ExitOK
	}
	return exitFor(e, follow(e, r, []string{id}, *asJSON))
}
