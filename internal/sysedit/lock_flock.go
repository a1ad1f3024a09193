//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package sysedit

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an flock on the lock file name without waiting. It returns
// a nil release and no error when another process holds it. Release removes
// the file before unlocking, so no lock file is left behind; a waiter that
// then gets the lock of the removed file sees that and tries again.
func tryLock(name string) (release func(), err error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, err
	}
	held, ferr := f.Stat()
	now, serr := os.Lstat(name)
	if ferr != nil || serr != nil || !os.SameFile(held, now) {
		f.Close() // the holder before us removed it: the lock guards nothing
		return nil, nil
	}
	return func() {
		os.Remove(name)
		syscall.Flock(fd, syscall.LOCK_UN)
		f.Close()
	}, nil
}
