// Meshdrop turns prompts and images into 3D models through AI generation
// services. This is the window's binary, meshdrop-gui: without arguments (or
// with files to open) it opens the window; given a command it runs the
// headless command line on the same core too. The everyday command line is
// cmd/meshdrop, which links no window libraries and starts this binary when
// asked for the window. main only wires things together.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	fyneapp "fyne.io/fyne/v2/app"

	"meshdrop/cli"
	"meshdrop/core/app"
	"meshdrop/ui"
)

// AppID is Meshdrop's reverse-DNS application ID (also in FyneApp.toml).
const AppID = "io.meshdrop.app"

func main() {
	args := os.Args[1:]
	verbose := false
	if len(args) > 0 && (args[0] == "-v" || args[0] == "--verbose") {
		verbose, args = true, args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	core, err := app.New(ctx, verbose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "meshdrop:", err)
		os.Exit(cli.ExitFailure)
	}
	if cli.IsCommand(args) {
		code := cli.Run(cli.NewEnv(core), args)
		core.Close()
		os.Exit(code)
	}
	// Anything else is files to open ("Open with", ExecParams %F).
	ui.Run(fyneapp.NewWithID(AppID), core, args)
	core.Close()
}
