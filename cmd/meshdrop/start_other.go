//go:build !unix

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"

	"meshdrop/cli"
)

// start runs the window and waits for it (no exec(2) here), passing on its
// exit code; Ctrl+C is the window's to answer.
func start(path string, args []string, stderr io.Writer) int {
	c := exec.Command(path, args...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, stderr
	signal.Ignore(os.Interrupt)
	err := c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(stderr, "meshdrop: cannot start %s: %v\n", path, err)
		return cli.ExitFailure
	}
	return 0
}
