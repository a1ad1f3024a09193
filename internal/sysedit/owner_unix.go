//go:build unix

package sysedit

import (
	"errors"
	"io/fs"
	"syscall"
)

// owner returns the uid and gid of a file where the OS has them.
func owner(fi fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

// unrenamable reports whether a rename failed because its target is a
// mount point (EBUSY: a bind-mounted file; EXDEV: another file system).
func unrenamable(err error) bool {
	return errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.EXDEV)
}
