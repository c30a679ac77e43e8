//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package app

// fileLock without flock (Windows) is not enforced across processes, as
// for the job locks (core/jobs/lock_other.go): the standard library has no
// portable file lock. Within one process MoveLibrary still closes its own
// library and runner first.
type fileLock struct{}

func tryFileLock(path string, exclusive bool) (l *fileLock, busy bool, err error) {
	return &fileLock{}, false, nil
}

func (l *fileLock) unlock() {}
