//go:build linux || darwin || freebsd

package library

import (
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"
)

// freeSpace reports the bytes an unprivileged user may still write on the
// file system holding dir (or its nearest existing parent).
func freeSpace(dir string) (int64, bool, error) {
	for {
		var st syscall.Statfs_t
		err := syscall.Statfs(dir, &st)
		if err == nil {
			return int64(uint64(st.Bavail) * uint64(st.Bsize)), true, nil
		}
		parent := filepath.Dir(dir)
		if !errors.Is(err, fs.ErrNotExist) || parent == dir {
			return 0, false, err
		}
		dir = parent
	}
}
