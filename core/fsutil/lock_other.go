//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package fsutil

// Lock on systems without flock (Windows) is not enforced across processes:
// the standard library has no portable file lock and no module may be added
// for it. Within one process each user still serialises its own work (the
// vault's mutex, the runner driving each job once, MoveLibrary closing its
// own library and runner first).
type Lock struct{}

// LockFile does not lock here (see Lock).
func LockFile(path string) (*Lock, error) { return &Lock{}, nil }

// TryLock does not lock here (see Lock).
func TryLock(path string, exclusive bool) (l *Lock, busy bool, err error) {
	return &Lock{}, false, nil
}

// Unlock does nothing here.
func (l *Lock) Unlock() {}
