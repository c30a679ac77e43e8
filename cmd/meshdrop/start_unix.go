//go:build unix

package main

import (
	"fmt"
	"io"
	"os"
	"syscall"

	"meshdrop/cli"
)

// start replaces this process with the window, so signals, the exit code and
// the terminal all belong to it; it returns only when that fails.
func start(path string, args []string, stderr io.Writer) int {
	err := syscall.Exec(path, append([]string{path}, args...), os.Environ())
	fmt.Fprintf(stderr, "meshdrop: cannot start %s: %v\n", path, err)
	return cli.ExitFailure
}
