//go:build linux

package sysedit

import (
	"bytes"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// copyXattrs gives the new file to the extended attributes of the file it
// replaces: an SELinux label (/etc/hosts is net_conf_t on Fedora and RHEL;
// a file new in /etc would get etc_t, and confined resolvers could no
// longer read it), POSIX ACLs, user attributes. Attributes the file system
// does not support or the user may not set are skipped.
func copyXattrs(from, to string) error {
	size, err := unix.Listxattr(from, nil)
	if err != nil || size == 0 {
		return skippable(err)
	}
	names := make([]byte, size)
	if size, err = unix.Listxattr(from, names); err != nil {
		return skippable(err)
	}
	for _, name := range bytes.Split(names[:size], []byte{0}) {
		if len(name) == 0 {
			continue
		}
		n, err := unix.Getxattr(from, string(name), nil)
		if err != nil {
			if err = skippable(err); err != nil {
				return fmt.Errorf("read attribute %s of %s: %w", name, from, err)
			}
			continue
		}
		val := make([]byte, n)
		if n, err = unix.Getxattr(from, string(name), val); err == nil {
			err = unix.Setxattr(to, string(name), val[:n], 0)
		}
		if err = skippable(err); err != nil {
			return fmt.Errorf("copy attribute %s of %s: %w", name, from, err)
		}
	}
	return nil
}

// skippable is nil for the errors that mean "not here": no support for
// extended attributes, no permission to set this one, or it vanished.
func skippable(err error) error {
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENODATA) {
		return nil
	}
	return err
}
