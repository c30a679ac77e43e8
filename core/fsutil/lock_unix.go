//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package fsutil

import (
	"errors"
	"os"
	"syscall"
)

// Lock is an advisory lock (flock) on one file, shared between Meshdrop
// processes (the window and a CLI). The kernel drops it when the process
// dies, so a crash never leaves anything locked.
type Lock struct{ f *os.File }

// LockFile takes an exclusive lock on path (created if missing), waiting
// for any other holder.
func LockFile(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Lock{f: f}, nil
}

// TryLock takes a shared or exclusive lock on path (created if missing)
// without waiting; busy reports another holder in the way.
func TryLock(path string, exclusive bool) (l *Lock, busy bool, err error) {
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
	return &Lock{f: f}, false, nil
}

// Unlock releases the lock (nil-safe).
func (l *Lock) Unlock() {
	if l != nil && l.f != nil {
		l.f.Close() // closing drops the flock
	}
}
