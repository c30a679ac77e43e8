//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package jobs

// jobLock on systems without flock (Windows) is not enforced across
// processes: the standard library has no portable file lock and no module
// may be added for it. Within one process the runner still drives each job once.
type jobLock struct{}

func tryLock(path string) (l *jobLock, busy bool, err error) { return &jobLock{}, false, nil }

func (l *jobLock) unlock() {}
