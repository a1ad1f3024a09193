// Package sysedit is the one place that writes files autovpn does not own
// outright (the hosts file, a WireGuard config, config.env, PAC files): every
// change is a transaction that reads, backs up with a timestamp, writes a
// temp file in the same folder, fsyncs, renames, verifies by re-reading, and
// restores what it already wrote when a later file fails. A file that changed
// since it was read is never overwritten.
package sysedit

import (
	"io/fs"
	"os"
	"path/filepath"
)

// FS is the disk access a transaction needs. OS is the real one; tests pass
// fault-injecting fakes.
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

// syncDir makes a rename durable where the OS allows it; failures are
// ignored because some platforms and file systems cannot fsync a folder.
func syncDir(dir string) {
	if d, err := os.Open(filepath.Clean(dir)); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
