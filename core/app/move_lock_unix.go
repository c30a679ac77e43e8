//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package app

import (
	"errors"
	"os"
	"syscall"
)

// fileLock is an advisory lock (flock) on one file; the kernel drops it when
// the process dies, so a crash never leaves anything locked.
type fileLock struct{ f *os.File }

// tryFileLock takes a shared or exclusive lock on path without waiting;
// busy reports another holder in the way.
func tryFileLock(path string, exclusive bool) (l *fileLock, busy bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return &fileLock{f: f}, false, nil
}

func (l *fileLock) unlock() {
	if l != nil && l.f != nil {
		l.f.Close() // closing drops the flock
	}
}
