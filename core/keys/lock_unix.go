//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package keys

import (
	"os"
	"syscall"
)

// fileLock serialises changes to the key list between Meshdrop processes
// (the window and a CLI): each change reads, edits and writes the file under
// it. The kernel drops it if the process dies.
type fileLock struct{ f *os.File }

func lockFile(path string) (*fileLock, error) {
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
	return &fileLock{f: f}, nil
}

func (l *fileLock) unlock() {
	if l != nil && l.f != nil {
		l.f.Close() // closing drops the flock
	}
}
