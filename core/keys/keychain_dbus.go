//go:build linux || freebsd || netbsd || openbsd || dragonfly

package keys

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errNoSessionBus: there is no D-Bus session to find a Secret Service on.
var errNoSessionBus = errors.New("there is no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set and /run/user/<uid>/bus does not exist)")

// sessionBusKnown reports whether a D-Bus session can be found the way
// godbus finds one, without its last resort: when neither the variable nor
// the per-user bus socket exists, godbus runs "dbus-launch --autolaunch",
// which on a machine without a desktop starts a new, never-ending session
// bus (and keyring) for every process. Meshdrop says so instead.
func sessionBusKnown() error {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	dir := filepath.Join("/run/user", fmt.Sprint(os.Getuid()))
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return nil
		}
	}
	return errNoSessionBus
}
