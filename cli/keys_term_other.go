//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package cli

import "errors"

// echoOff is not available here (Windows consoles need an API outside the
// standard library and the modules Meshdrop uses): the prompt is refused
// rather than showing the secret; pipe it in on standard input instead.
func echoOff(fd int) (restore func(), err error) {
	return nil, errors.New("cannot hide typing on this console")
}
