//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package jobs

import (
	"errors"
	"os"
	"syscall"
)

// jobLock is an advisory lock on one job, held by the process driving it so
// that two Meshdrop processes (the window and a CLI, or two CLIs) never
// drive the same job. The kernel drops it when the process dies, so a
// crash never leaves a job locked.
type jobLock struct{ f *os.File }

// tryLock takes the lock at path, or reports busy=true if another process holds it.
func tryLock(path string) (l *jobLock, busy bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return &jobLock{f: f}, false, nil
}

func (l *jobLock) unlock() {
	if l != nil && l.f != nil {
		l.f.Close() // closing drops the flock
	}
}
