// Package cli is Meshdrop's headless command line: the same core as the
// window, for scripts, batch work and tests. Each command group lives in its
// own file and registers itself with Register.
package cli

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"meshdrop/core/app"
)

// Exit codes, documented in the README.
const (
	ExitOK       = 0
	ExitFailure  = 1 // the command ran and failed (a job failed, a provider error)
	ExitUsage    = 2 // bad arguments
	ExitNoKey    = 3 // no usable key or keychain
	ExitNotFound = 4 // no such key, job or file
	ExitUnknown  = 5 // a job ended "submission unknown" or was left unfinished
)

// Command is one CLI command (or group: "keys" handles "keys list", …).
type Command struct {
	Name    string
	Summary string // one line for the help
	Usage   string // the full usage text
	Run     func(e *Env, args []string) int
}

var (
	regMu    sync.Mutex
	commands = map[string]Command{}
)

// Register adds a command; each command file calls it from init.
func Register(c Command) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := commands[c.Name]; dup {
		panic("cli: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

// Env is what a command runs with: the shared core plus standard streams.
type Env struct {
	*app.App
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// StdinIsTerminal is true when standard input is an interactive terminal
	// (prompts and confirmations are asked only then).
	StdinIsTerminal bool
	// StdoutIsTerminal is true when standard output is a terminal (progress bars).
	StdoutIsTerminal bool
}

// Errorf prints a message for people on stderr.
func (e *Env) Errorf(format string, a ...any) {
	fmt.Fprintf(e.Stderr, "meshdrop: "+format+"\n", a...)
}

// IsCommand reports whether args[0] names a CLI command (main.go uses it to
// choose between the window and the command line).
func IsCommand(args []string) bool {
	if len(args) == 0 {
		return false
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "version" || args[0] == "--version" {
		return true
	}
	regMu.Lock()
	defer regMu.Unlock()
	_, ok := commands[args[0]]
	return ok
}

// NewEnv wraps the core with the process's standard streams.
func NewEnv(a *app.App) *Env {
	for _, w := range a.Warnings {
		fmt.Fprintln(os.Stderr, "meshdrop:", w)
	}
	return &Env{
		App: a, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		StdinIsTerminal:  isTerminal(os.Stdin),
		StdoutIsTerminal: isTerminal(os.Stdout),
	}
}

// Run runs one command line (without the program name) and returns the exit code.
func Run(e *Env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := lookup(args[1]); ok {
				fmt.Fprintln(e.Stdout, c.Usage)
				return ExitOK
			}
		}
		usage(e.Stdout)
		return ExitOK
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(e.Stdout, "meshdrop", versionString())
		return ExitOK
	}
	c, ok := lookup(args[0])
	if !ok {
		e.Errorf("unknown command %q; run 'meshdrop help' for the list", args[0])
		return ExitUsage
	}
	e.Log.Info("cli", "command", args[0])
	return c.Run(e, args[1:])
}

func lookup(name string) (Command, bool) {
	regMu.Lock()
	defer regMu.Unlock()
	c, ok := commands[name]
	return c, ok
}

func usage(w io.Writer) {
	regMu.Lock()
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	regMu.Unlock()
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Meshdrop turns prompts and images into 3D models.\n\n")
	b.WriteString("Usage:\n  meshdrop                 open the window\n  meshdrop [-v] COMMAND …  run a command (-v: log to stderr too)\n\nCommands:\n")
	for _, n := range names {
		c, _ := lookup(n)
		fmt.Fprintf(&b, "  %-12s %s\n", n, c.Summary)
	}
	b.WriteString("\n'meshdrop help COMMAND' shows a command's usage.\n")
	fmt.Fprint(w, b.String())
}
