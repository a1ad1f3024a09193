// Package sysedit is the one place that writes files autovpn does not own
// outright (the hosts file, a WireGuard config, config.env, PAC files): every
// change is a transaction that reads, locks against other autovpn processes,
// backs up with a timestamp, writes a temp file in the same folder, fsyncs,
// renames, verifies by re-reading, and restores what it already wrote when a
// later file fails. A file that changed since it was read is never
// overwritten: it is checked before the backup and again right before the
// rename. A symbolic link is followed: the file it leads to is replaced and
// the link kept.
package sysedit

import (
	"io/fs"
	"os"
	"path/filepath"
)

// FS is the disk access a transaction needs. OS is the real one; tests pass
// fault-injecting fakes (usually embedding OS). An FS may also have the
// methods of OS beyond these (CopyXattrs, EvalSymlinks, Lock, SyncDir, WriteInPlace);
// a transaction uses each one it finds and does without the others.
type FS interface {
	ReadFile(name string) ([]byte, error)
	Stat(name string) (fs.FileInfo, error)
	// WriteTemp creates a new file in dir, writes data, syncs and closes it,
	// sets perm, and returns its path. On error nothing is left behind.
	WriteTemp(dir, pattern string, data []byte, perm fs.FileMode) (string, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	MkdirAll(dir string, perm fs.FileMode) error
	// Chown copies ownership; implementations may ignore it where the OS
	// has no such notion.
	Chown(name string, uid, gid int) error
	ReadDir(dir string) ([]fs.DirEntry, error)
}

// OS is the FS of the real disk.
type OS struct{}

var _ FS = OS{}

func (OS) ReadFile(name string) ([]byte, error)        { return os.ReadFile(name) }
func (OS) Stat(name string) (fs.FileInfo, error)       { return os.Stat(name) }
func (OS) Rename(oldpath, newpath string) error        { return os.Rename(oldpath, newpath) }
func (OS) Remove(name string) error                    { return os.Remove(name) }
func (OS) MkdirAll(dir string, perm fs.FileMode) error { return os.MkdirAll(dir, perm) }
func (OS) Chown(name string, uid, gid int) error       { return os.Chown(name, uid, gid) }
func (OS) ReadDir(dir string) ([]fs.DirEntry, error)   { return os.ReadDir(dir) }

// EvalSymlinks is Resolve: the file a path names once links are followed.
func (OS) EvalSymlinks(path string) (string, error) { return Resolve(path) }

// Lock is the package's Lock.
func (OS) Lock(path string) (release func(), err error) { return Lock(path) }

// CopyXattrs copies the extended attributes (SELinux label, ACLs) of from
// onto to, where the OS has them.
func (OS) CopyXattrs(from, to string) error { return copyXattrs(from, to) }

// SyncDir makes the renames in dir durable where the OS allows it.
func (OS) SyncDir(dir string) error { return SyncDir(dir) }

// WriteInPlace overwrites the content of the existing file name, keeping
// the file itself (its inode, mode and owner): for a file that cannot be
// renamed over, such as a bind-mounted /etc/hosts in a container. It writes
// from the start, truncates and syncs. A crash midway can leave the file
// torn, so a transaction calls it only once a backup is safely on disk.
func (OS) WriteInPlace(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteTemp writes data to a fresh temp file in dir and syncs it to disk.
func (OS) WriteTemp(dir, pattern string, data []byte, perm fs.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// SyncDir makes a rename in dir durable where the OS allows it. Callers
// ignore its error because some platforms and file systems cannot fsync a
// folder. (The domain lists and backups use it too.)
func SyncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return err
	}
	err = d.Sync()
	d.Close()
	return err
}
