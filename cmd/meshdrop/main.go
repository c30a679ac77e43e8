// Command meshdrop is Meshdrop's command line, and the launcher of its window.
//
// The window's binary (meshdrop-gui, built from the repository's top-level
// main.go) links Fyne, OpenGL and GTK; loading those libraries costs about
// 50–100 ms before main runs, which would be paid by every headless command
// (a 256² thumbnail takes less than that). This binary links none of them:
// it runs commands itself and, without a command, starts meshdrop-gui from
// the same folder with the same arguments.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"meshdrop/cli"
	"meshdrop/core/app"
)

// GUIName is the window's executable, installed beside this one.
const GUIName = "meshdrop-gui"

func main() {
	args := os.Args[1:]
	cmdArgs, verbose := args, false
	if len(cmdArgs) > 0 && (cmdArgs[0] == "-v" || cmdArgs[0] == "--verbose") {
		verbose, cmdArgs = true, cmdArgs[1:]
	}
	if !cli.IsCommand(cmdArgs) {
		os.Exit(openWindow(args, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	core, err := app.New(ctx, verbose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "meshdrop:", err)
		os.Exit(cli.ExitFailure)
	}
	code := cli.Run(cli.NewEnv(core), cmdArgs)
	core.Close()
	os.Exit(code)
}

// guiPath finds meshdrop-gui: beside this executable first, then on PATH.
func guiPath() (string, error) {
	if self, err := os.Executable(); err == nil {
		if self, err = filepath.EvalSymlinks(self); err == nil {
			p := filepath.Join(filepath.Dir(self), GUIName+exeSuffix())
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
	}
	return exec.LookPath(GUIName)
}

// openWindow runs meshdrop-gui with args and returns its exit code.
func openWindow(args []string, stderr io.Writer) int {
	p, err := guiPath()
	if err != nil {
		fmt.Fprintf(stderr, "meshdrop: cannot open the window: %s is not installed beside meshdrop or on PATH.\n"+
			"Build both with 'make build' (or install them with 'make install'); 'meshdrop help' lists the commands that work without a window.\n", GUIName)
		return cli.ExitFailure
	}
	return start(p, args, stderr)
}

func exeSuffix() string {
	if filepath.Separator == '\\' {
		return ".exe"
	}
	return ""
}
