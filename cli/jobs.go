package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"meshdrop/core/library"
)

// JobsSubcommands are the "meshdrop jobs …" subcommands by name. list and
// show live here; other files add theirs (wait, cancel, reconcile) from
// their init, with a line for the help in JobsUsage.
var JobsSubcommands = map[string]func(e *Env, args []string) int{}

// JobsUsage is each subcommand's usage line, shown by "meshdrop jobs".
var JobsUsage = map[string]string{}

const jobsTimeLayout = "2006-01-02 15:04"

func init() {
	JobsSubcommands["list"] = runJobsList
	JobsUsage["list"] = "meshdrop jobs list [--json] [--state S[,S…]] [--limit N]   list jobs, newest first"
	JobsSubcommands["show"] = runJobsShow
	JobsUsage["show"] = "meshdrop jobs show ID [--json]                        show one job (ID or a unique start of it)"
	Register(Command{
		Name:    "jobs",
		Summary: "list, show and follow generation jobs",
		Usage: `Usage: meshdrop jobs SUBCOMMAND …

Run 'meshdrop jobs' for the list of subcommands.
--json prints one JSON object per line. States: ` + stateNames() + `.`,
		Run: runJobs,
	})
}

func runJobs(e *Env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		jobsHelp(e.Stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	run, ok := JobsSubcommands[args[0]]
	if !ok {
		e.Errorf("unknown jobs subcommand %q; run 'meshdrop jobs' for the list", args[0])
		return ExitUsage
	}
	return run(e, args[1:])
}

func jobsHelp(w io.Writer) {
	names := make([]string, 0, len(JobsSubcommands))
	for n := range JobsSubcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "Usage:")
	for _, n := range names {
		if u, ok := JobsUsage[n]; ok {
			fmt.Fprintln(w, "  "+u)
		} else {
			fmt.Fprintln(w, "  meshdrop jobs "+n+" …")
		}
	}
	fmt.Fprintln(w, "\n--json prints one JSON object per line. States: "+stateNames()+".")
}

var allStates = []library.State{
	library.StateDraft, library.StateSubmitting, library.StateQueued, library.StateRunning, library.StateDownloading,
	library.StateDone, library.StateFailed, library.StateCancelled, library.StateUnknown,
}

func stateNames() string {
	s := make([]string, len(allStates))
	for i, st := range allStates {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

// parseFlagsAnywhere parses fs's flags wherever they stand among the
// positional arguments ("jobs show ID --json") and returns the positionals.
func parseFlagsAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlags(e *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	return fs
}

// openLibrary opens the library and tells about damaged files on stderr.
func openLibrary(e *Env) (*library.Library, int) {
	l, err := e.Library()
	if err != nil {
		e.Errorf("%v", err)
		return nil, ExitFailure
	}
	for _, p := range l.Problems() {
		e.Errorf("%s", p)
	}
	return l, ExitOK
}

// printJSONLine writes v as one line of JSON.
func printJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func runJobsList(e *Env, args []string) int {
	fs := newFlags(e, "jobs list")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	stateArg := fs.String("state", "", "only jobs in these states (comma-separated)")
	limit := fs.Int("limit", 0, "at most N jobs (0: all)")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) > 0 {
		e.Errorf("jobs list takes no arguments (got %q); see 'meshdrop jobs'", pos[0])
		return ExitUsage
	}
	var q library.Query
	q.Limit = *limit
	if *stateArg != "" {
		for _, s := range strings.Split(*stateArg, ",") {
			st := library.State(strings.TrimSpace(s))
			if !knownState(st) {
				e.Errorf("unknown state %q; states are %s", s, stateNames())
				return ExitUsage
			}
			q.States = append(q.States, st)
		}
	}
	l, code := openLibrary(e)
	if l == nil {
		return code
	}
	page, total := l.Query(q)
	if *asJSON {
		for _, s := range page {
			if err := printJSONLine(e.Stdout, s); err != nil {
				e.Errorf("%v", err)
				return ExitFailure
			}
		}
		return ExitOK
	}
	if total == 0 {
		if l.Len() == 0 {
			fmt.Fprintln(e.Stderr, "No jobs yet. Make one with 'meshdrop generate' or bring models in with 'meshdrop import PATH'.")
		} else {
			fmt.Fprintln(e.Stderr, "No jobs match.")
		}
		return ExitOK
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tPROVIDER\tCREATED\tCREDITS\tTITLE")
	for _, s := range page {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, stateCell(s), s.Provider, s.Created.Local().Format(jobsTimeLayout),
			creditsCell(s.Credits), oneLine(s.Title(), 60))
	}
	tw.Flush()
	if len(page) < total {
		fmt.Fprintf(e.Stderr, "(%d of %d jobs shown)\n", len(page), total)
	}
	return ExitOK
}

func knownState(st library.State) bool {
	for _, s := range allStates {
		if s == st {
			return true
		}
	}
	return false
}

func stateCell(s library.Summary) string {
	if !s.State.Finished() && s.Progress > 0 {
		return fmt.Sprintf("%s %.0f%%", s.State, s.Progress)
	}
	return string(s.State)
}

func creditsCell(c float64) string {
	if c == 0 {
		return "-"
	}
	return fmt.Sprintf("%g", c)
}

// oneLine flattens s to one line of at most n characters.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// resolveJobID accepts a full ID or a unique start of one.
func resolveJobID(e *Env, l *library.Library, arg string) (string, int) {
	if _, ok := l.Summary(arg); ok {
		return arg, ExitOK
	}
	var hits []string
	page, _ := l.Query(library.Query{})
	for _, s := range page {
		if strings.HasPrefix(s.ID, arg) {
			hits = append(hits, s.ID)
		}
	}
	switch {
	case len(hits) == 1 && arg != "":
		return hits[0], ExitOK
	case len(hits) > 1 && arg != "":
		e.Errorf("%q starts %d job IDs (%s, …); give more of it", arg, len(hits), hits[0])
		return "", ExitUsage
	}
	e.Errorf("no job %q; 'meshdrop jobs list' shows them", arg)
	return "", ExitNotFound
}

func runJobsShow(e *Env, args []string) int {
	fs := newFlags(e, "jobs show")
	asJSON := fs.Bool("json", false, "the job's record as one JSON object")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 {
		e.Errorf("usage: %s", JobsUsage["show"])
		return ExitUsage
	}
	l, code := openLibrary(e)
	if l == nil {
		return code
	}
	id, code := resolveJobID(e, l, pos[0])
	if id == "" {
		return code
	}
	j, err := l.Get(id)
	if errors.Is(err, library.ErrNoJob) {
		e.Errorf("%v", err)
		return ExitNotFound
	}
	if err != nil {
		e.Errorf("%v", err)
		return ExitFailure
	}
	if *asJSON {
		if err := printJSONLine(e.Stdout, j); err != nil {
			e.Errorf("%v", err)
			return ExitFailure
		}
		return ExitOK
	}
	printJob(e.Stdout, l, j)
	return ExitOK
}

func printJob(w io.Writer, l *library.Library, j library.Job) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04:05")
	}
	row("ID", j.ID)
	row("Name", j.Name)
	state := string(j.State)
	if !j.State.Finished() {
		state += fmt.Sprintf(" (%.0f%%", j.Progress)
		if j.QueuePosition > 0 {
			state += fmt.Sprintf(", position %d in the queue", j.QueuePosition)
		}
		state += ")"
	}
	if j.CancelRequested && !j.State.Finished() {
		state += " — cancel requested; the provider may still charge"
	}
	row("State", state)
	row("Provider", j.Provider)
	row("Model version", j.ModelVersion)
	if j.KeyName != "" || j.KeyID != "" {
		row("Key", strings.TrimSpace(j.KeyName+" "+paren(j.KeyFP)))
	}
	row("Mode", j.Mode)
	row("Prompt", j.Prompt)
	row("Source", j.Source)
	if len(j.Options) > 0 {
		keys := make([]string, 0, len(j.Options))
		for k := range j.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+"="+j.Options[k])
		}
		row("Options", strings.Join(parts, " "))
	}
	row("Created", when(j.Created))
	row("Updated", when(j.Updated))
	row("Finished", when(j.Finished))
	if j.Credits != 0 {
		row("Credits", fmt.Sprintf("%g", j.Credits))
	} else if j.Estimate != 0 {
		row("Credits", fmt.Sprintf("estimated %g", j.Estimate))
	}
	if _, ok := library.ModelFile(j); !ok && !j.ExpiresAt.IsZero() {
		row("Provider's copy expires", when(j.ExpiresAt))
	}
	for _, s := range j.Stages {
		row("Task "+s.Name, strings.TrimSpace(s.Ref.ID+" "+string(s.State)))
	}
	if j.Error != nil {
		row("Error", j.Error.Message+" ("+j.Error.Kind+")")
	}
	if len(j.Tags) > 0 {
		row("Tags", strings.Join(j.Tags, ", "))
	}
	if j.Favourite {
		row("Favourite", "yes")
	}
	if j.Rating > 0 {
		row("Rating", strings.Repeat("★", j.Rating)+strings.Repeat("☆", 5-j.Rating))
	}
	row("Note", j.Note)
	row("Folder", l.JobDir(j.ID))
	for _, in := range j.Inputs {
		row("Input", fmt.Sprintf("%s (%s, %d bytes)", in.File, in.Slot, in.Size))
	}
	for _, f := range j.Outputs {
		row("File", fmt.Sprintf("%s (%s %s, %d bytes, sha256 %s)", f.File, f.Kind, f.Format, f.Size, shortHash(f.SHA256)))
	}
	tw.Flush()
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
