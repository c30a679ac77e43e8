package cli

import (
	"errors"
	"fmt"
	"io/fs"

	"meshdrop/core/library"
)

func init() {
	Register(Command{
		Name:    "import",
		Summary: "bring GLB files (or folders of them) into the library",
		Usage: `Usage: meshdrop import [--json] PATH...

Each PATH is a .glb file or a folder searched, with its subfolders, for .glb
files. Each model becomes a "local" job in the library (copied, checked,
with a thumbnail) so it can be browsed with the others. A model already in
the library is not imported twice. --json prints one JSON object per file.`,
		Run: runImport,
	})
	Register(Command{
		Name:    "export",
		Summary: "copy a job's files and provenance to a folder or .zip",
		Usage: `Usage: meshdrop export [--zip] [--json] ID DEST

Copies the job's model and other files, its input images and a
provenance.json (prompt, provider, model version, options, key fingerprint,
credits, dates, licence note) into the new folder DEST, or the zip file DEST
with --zip. When DEST is an existing folder the export goes inside it, named
after the job. Each file is checked against its recorded sha256.`,
		Run: runExport,
	})
}

// importLine is import's --json output for one file.
type importLine struct {
	Path      string `json:"path"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Warning   string `json:"warning,omitempty"`
	Error     string `json:"error,omitempty"`
}

func runImport(e *Env, args []string) int {
	fset := newFlags(e, "import")
	asJSON := fset.Bool("json", false, "one JSON object per file")
	paths, err := parseFlagsAnywhere(fset, args)
	if err != nil {
		return ExitUsage
	}
	if len(paths) == 0 {
		e.Errorf("import needs at least one PATH (a .glb file or a folder); see 'meshdrop help import'")
		return ExitUsage
	}
	l, code := openLibrary(e)
	if l == nil {
		return code
	}
	results := l.Import(paths)
	imported, failed, missing := 0, 0, 0
	for _, r := range results {
		line := importLine{Path: r.Path, ID: r.Job.ID, Name: r.Job.Name, Duplicate: r.Duplicate, Warning: r.Warning}
		switch {
		case r.Err != nil:
			failed++
			if errors.Is(r.Err, fs.ErrNotExist) {
				missing++
			}
			line.Error = r.Err.Error()
			if !*asJSON {
				e.Errorf("%v", r.Err)
			}
		case r.Duplicate:
			if !*asJSON {
				fmt.Fprintf(e.Stdout, "%s: already in the library as %s\n", r.Path, r.Job.ID)
			}
		default:
			imported++
			if !*asJSON {
				fmt.Fprintf(e.Stdout, "%s: imported as %s\n", r.Path, r.Job.ID)
				if r.Warning != "" {
					fmt.Fprintf(e.Stderr, "  %s\n", r.Warning)
				}
			}
		}
		if *asJSON {
			if err := printJSONLine(e.Stdout, line); err != nil {
				e.Errorf("%v", err)
				return ExitFailure
			}
		}
	}
	switch {
	case failed == 0:
		return ExitOK
	case missing == failed && imported == 0:
		return ExitNotFound
	}
	return ExitFailure
}

func runExport(e *Env, args []string) int {
	fset := newFlags(e, "export")
	asZip := fset.Bool("zip", false, "write a .zip instead of a folder")
	asJSON := fset.Bool("json", false, "print the result as one JSON object")
	pos, err := parseFlagsAnywhere(fset, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 2 {
		e.Errorf("usage: meshdrop export [--zip] [--json] ID DEST")
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
	out, err := l.Export(id, pos[1], *asZip)
	if errors.Is(err, library.ErrNoJob) {
		e.Errorf("%v", err)
		return ExitNotFound
	}
	if err != nil {
		e.Errorf("%v", err)
		return ExitFailure
	}
	if *asJSON {
		printJSONLine(e.Stdout, map[string]string{"id": id, "path": out})
	} else {
		fmt.Fprintf(e.Stdout, "exported %s to %s\n", id, out)
	}
	return ExitOK
}
