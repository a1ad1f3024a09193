package sysedit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrLocked is wrapped by the error of Lock (and so of Commit) when another
// autovpn process kept a file locked for longer than lockWait.
var ErrLocked = errors.New("another autovpn process is editing it")

const (
	lockWait = 30 * time.Second     // how long Lock waits for another process
	lockPoll = 5 * time.Millisecond // how often it looks again
)

// Lock takes the advisory lock that autovpn processes hold while they edit
// path (symbolic links resolved), so two of them never interleave a read,
// check and write of one file. Commit takes it itself; other writers of a
// file (the domain list) take it around their whole read-modify-write.
// Other programs do not know the lock: for them Commit still checks that a
// file is unchanged. The lock is a file ".NAME.autovpn.lock" beside the
// file; release unlocks it. Lock waits up to 30 s for another holder, then
// fails with ErrLocked. A process that dies releases its lock.
func Lock(path string) (release func(), err error) {
	real, err := Resolve(path)
	if err != nil {
		return nil, err
	}
	name := lockName(real)
	// The file's folder may not exist yet: the edit will create it anyway.
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	deadline := time.Now().Add(lockWait)
	for {
		release, err := tryLock(name)
		switch {
		case err != nil:
			return nil, fmt.Errorf("lock: %w", err)
		case release != nil:
			return release, nil
		case time.Now().After(deadline):
			return nil, fmt.Errorf("lock: %w (it has held %s for over %s); if no other autovpn runs, delete that file",
				ErrLocked, name, lockWait)
		}
		time.Sleep(lockPoll)
	}
}

// lockName is the lock file of the (resolved) file real.
func lockName(real string) string {
	return filepath.Join(filepath.Dir(real), "."+filepath.Base(real)+".autovpn.lock")
}

// maxLinks bounds a chain of symbolic links, as Linux's MAXSYMLINKS.
const maxLinks = 40

// Resolve returns the file that path names once symbolic links are followed
// (/etc/hosts may be a link, as on NixOS): edits replace that file and keep
// the link. A dangling link resolves to the missing file it points to, so
// creating it keeps the link too; any other missing path is returned as is.
func Resolve(path string) (string, error) {
	for range maxLinks {
		real, err := filepath.EvalSymlinks(path)
		if err == nil {
			return real, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		target, lerr := os.Readlink(path)
		if lerr != nil {
			return path, nil // a missing file, not a dangling link
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", fmt.Errorf("resolve %s: too many levels of symbolic links", path)
}
