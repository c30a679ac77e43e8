package cli

import (
	"fmt"
	"path/filepath"

	"meshdrop/core/library"
)

func init() {
	Register(Command{
		Name:    "library",
		Summary: "show where the library is, or move it",
		Usage: `Usage: meshdrop library where
       meshdrop library move DIR

where   prints the library's folder.
move    moves the library (every job's model, inputs, thumbnail and record)
        to DIR, a new folder or an empty one, and remembers the new place in
        the settings (library_dir). On the same disk this is one rename;
        onto another disk the files are copied, checked against their
        sizes and recorded sha256 sums, and only then is the old folder
        removed. A copy stopped part-way leaves the old library in use;
        running the same command again clears the unfinished copy.
        Close the Meshdrop window and wait for running jobs first: the move
        is refused while jobs run or another Meshdrop has the library open.
        Progress goes to stderr.`,
		Run: runLibrary,
	})
}

func runLibrary(e *Env, args []string) int {
	if len(args) == 0 {
		e.Errorf("library needs 'where' or 'move DIR'; see 'meshdrop help library'")
		return ExitUsage
	}
	switch args[0] {
	case "where":
		if len(args) != 1 {
			e.Errorf("library where takes no arguments")
			return ExitUsage
		}
		fmt.Fprintln(e.Stdout, e.LibraryDir())
		return ExitOK
	case "move":
		if len(args) != 2 || args[1] == "" {
			e.Errorf("library move needs one DIR (a new or empty folder); see 'meshdrop help library'")
			return ExitUsage
		}
		return runLibraryMove(e, args[1])
	}
	e.Errorf("unknown library command %q; use 'where' or 'move DIR'", args[0])
	return ExitUsage
}

func runLibraryMove(e *Env, dst string) int {
	abs, err := filepath.Abs(dst)
	if err != nil {
		e.Errorf("cannot use %q: %v", dst, err)
		return ExitUsage
	}
	var last library.MoveProgress
	lastTenth := -1
	res, err := e.MoveLibrary(abs, func(p library.MoveProgress) error {
		// One line per phase and per tenth done: readable in a log too.
		tenth := int(p.Fraction() * 10)
		if p.Phase != last.Phase || tenth != lastTenth {
			fmt.Fprintf(e.Stderr, "meshdrop: %s\n", p)
		}
		last, lastTenth = p, tenth
		return nil
	})
	if err != nil {
		// Refusals (jobs running, a non-empty folder) and failures alike:
		// the library stays where it was, and the message says what to do.
		e.Errorf("%v", err)
		return ExitFailure
	}
	for _, w := range res.Warnings {
		e.Errorf("%s", w)
	}
	how := "moved (renamed on the same disk)"
	if res.Copied {
		how = fmt.Sprintf("copied and checked (%d files, %s), old folder removed", res.Files, library.HumanBytes(res.Bytes))
	}
	fmt.Fprintf(e.Stdout, "The library is now in %s: %s.\n", res.To, how)
	return ExitOK
}
