//go:build !(linux || darwin || freebsd)

package library

// freeSpace is not known here without a module the project does not use
// (Windows' GetDiskFreeSpaceEx is not in the standard library's syscall);
// a copy that runs out of room fails and leaves the old library in use.
func freeSpace(dir string) (int64, bool, error) { return 0, false, nil }
