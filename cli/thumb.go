package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"meshdrop/core/render"
)

func init() {
	Register(Command{
		Name:    "thumb",
		Summary: "draw a PNG thumbnail of a GLB model",
		Usage: `Usage: meshdrop thumb IN.glb OUT.png [--size N]

Draws IN.glb from a three-quarter view, fitted and lit, on a transparent
background, and writes it to OUT.png (atomically: readers never see a partial
file). --size is the width and height in pixels (default 256, at most 4096).`,
		Run: runThumb,
	})
}

func runThumb(e *Env, args []string) int {
	size := render.DefaultThumbSize
	var files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--size" || a == "-size" || a == "-s":
			if i+1 >= len(args) {
				e.Errorf("--size needs a number of pixels, e.g. --size 256")
				return ExitUsage
			}
			i++
			a = "--size=" + args[i]
			fallthrough
		case strings.HasPrefix(a, "--size="):
			n, err := strconv.Atoi(strings.TrimPrefix(a, "--size="))
			if err != nil || n < 16 || n > render.MaxThumbSize {
				e.Errorf("--size must be a whole number of pixels from 16 to %d, got %q", render.MaxThumbSize, strings.TrimPrefix(a, "--size="))
				return ExitUsage
			}
			size = n
		case strings.HasPrefix(a, "-") && a != "-":
			e.Errorf("unknown option %q; usage: meshdrop thumb IN.glb OUT.png [--size N]", a)
			return ExitUsage
		default:
			files = append(files, a)
		}
	}
	if len(files) != 2 {
		e.Errorf("thumb needs an input model and an output PNG; usage: meshdrop thumb IN.glb OUT.png [--size N]")
		return ExitUsage
	}
	in, out := files[0], files[1]
	if _, err := os.Stat(in); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			e.Errorf("no such model: %s", in)
			return ExitNotFound
		}
		e.Errorf("cannot read %s: %v", in, err)
		return ExitFailure
	}
	if err := render.ThumbnailFile(in, out, size); err != nil {
		e.Errorf("%v", err)
		return ExitFailure
	}
	if e.StdoutIsTerminal {
		fmt.Fprintf(e.Stdout, "wrote %s (%d×%d)\n", out, size, size)
	}
	return ExitOK
}
