package sysedit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"time"
)

// ErrChanged is wrapped by Commit's error when a file changed on disk
// between Read and Commit.
var ErrChanged = errors.New("changed since it was read")

// Options configure a transaction. The zero value writes to the real disk and
// keeps backups next to each file.
type Options struct {
	FS        FS               // nil means OS{}
	BackupDir string           // folder for timestamped backups; "" = beside each file
	Now       func() time.Time // nil means time.Now
}

// Tx is one transaction over one or more files. Use it from one goroutine.
type Tx struct {
	fs        FS
	backupDir string
	now       func() time.Time
	files     []*entry
}

type entry struct {
	path, label string
	real        string // path with symbolic links followed: the file read and replaced
	exists      bool
	orig        []byte
	info        fs.FileInfo // nil when the file did not exist
	next        []byte
	staged      bool
}

// New starts a transaction.
func New(opts Options) *Tx {
	t := &Tx{fs: opts.FS, backupDir: opts.BackupDir, now: opts.Now}
	if t.fs == nil {
		t.fs = OS{}
	}
	if t.now == nil {
		t.now = time.Now
	}
	return t
}

// Read reads path (label names it in messages, e.g. "hosts file") and
// remembers its content so Commit can tell if it changed. A missing file
// reads as empty; Exists tells the difference.
func (t *Tx) Read(path, label string) ([]byte, error) {
	if e := t.find(path); e != nil {
		return e.orig, nil
	}
	real, err := t.resolve(path)
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", label, path, err)
	}
	e := &entry{path: path, real: real, label: label}
	info, err := t.fs.Stat(real)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read %s %s: %w", label, path, err)
	case info.IsDir():
		return nil, fmt.Errorf("read %s %s: is a folder, not a file", label, path)
	default:
		data, err := t.fs.ReadFile(real)
		if err != nil {
			return nil, fmt.Errorf("read %s %s: %w", label, path, err)
		}
		e.exists, e.orig, e.info = true, data, info
	}
	t.files = append(t.files, e)
	return e.orig, nil
}

// resolve follows symbolic links where the FS can.
func (t *Tx) resolve(path string) (string, error) {
	if r, ok := t.fs.(interface {
		EvalSymlinks(string) (string, error)
	}); ok {
		return r.EvalSymlinks(path)
	}
	return path, nil
}

// Exists reports whether path existed when it was Read.
func (t *Tx) Exists(path string) bool {
	e := t.find(path)
	return e != nil && e.exists
}

// Write stages new content for a file that was Read.
func (t *Tx) Write(path string, data []byte) error {
	e := t.find(path)
	if e == nil {
		return fmt.Errorf("sysedit: %s was not read in this transaction", path)
	}
	e.next, e.staged = bytes.Clone(data), true
	return nil
}

func (t *Tx) find(path string) *entry {
	for _, e := range t.files {
		if e.path == path {
			return e
		}
	}
	return nil
}

// Change is one staged file whose content differs from what was read.
type Change struct {
	Path, Label string
	Old, New    []byte
	Created     bool // the file did not exist
}

// Changes lists the staged files whose content would change, in Read order.
func (t *Tx) Changes() []Change {
	var cs []Change
	for _, e := range t.changed() {
		cs = append(cs, Change{Path: e.path, Label: e.label, Old: e.orig, New: e.next, Created: !e.exists})
	}
	return cs
}

func (t *Tx) changed() []*entry {
	var es []*entry
	for _, e := range t.files {
		if e.staged && (!e.exists || !bytes.Equal(e.orig, e.next)) {
			es = append(es, e)
		}
	}
	return es
}

// Diff is a unified diff of every change (empty when nothing changes).
func (t *Tx) Diff() string {
	var b bytes.Buffer
	for _, c := range t.Changes() {
		old := c.Path
		if c.Created {
			old = "/dev/null"
		}
		b.WriteString(Unified(old, c.Path+" (new)", c.Old, c.New))
	}
	return b.String()
}

// Result says what Commit did.
type Result struct {
	Written []string // files written, in order
	Backups []string // backup copies made (of files that existed)
	// InPlace lists the written files that could not be replaced by a
	// rename (a bind mount) and were overwritten in place after their
	// backup was on disk.
	InPlace []string
}

// Commit writes every changed file. It locks them against other autovpn
// processes (see Lock) and checks that none changed on disk since Read;
// then, file by file, backs up, writes a temp file, checks once more that
// the file is unchanged, renames and verifies. When a file fails, the files
// already written are put back and the error reports both the failure and
// the restore.
func (t *Tx) Commit() (*Result, error) {
	todo := t.changed()
	res := &Result{}
	if len(todo) == 0 {
		return res, nil
	}
	release, err := t.lock(todo)
	if err != nil {
		return nil, err
	}
	defer release()
	for _, e := range todo {
		if err := t.checkUnchanged(e); err != nil {
			return nil, err
		}
	}
	stamp := t.now()
	for i, e := range todo {
		bak, inPlace, err := t.commitOne(e, stamp)
		if err != nil {
			return nil, t.undo(todo[:i], err)
		}
		if bak != "" {
			res.Backups = append(res.Backups, bak)
		}
		if inPlace {
			res.InPlace = append(res.InPlace, e.path)
		}
		res.Written = append(res.Written, e.path)
	}
	return res, nil
}

// lock takes the lock of every file in es, in path order so that two
// transactions never wait for each other. The release undoes it.
func (t *Tx) lock(es []*entry) (release func(), err error) {
	l, ok := t.fs.(interface {
		Lock(string) (func(), error)
	})
	if !ok {
		return func() {}, nil
	}
	byReal := map[string]*entry{}
	var reals []string
	for _, e := range es {
		if byReal[e.real] == nil {
			byReal[e.real] = e
			reals = append(reals, e.real)
		}
	}
	sort.Strings(reals)
	var held []func()
	release = func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i]()
		}
	}
	for _, r := range reals {
		rel, err := l.Lock(r)
		if err != nil {
			release()
			e := byReal[r]
			return nil, fmt.Errorf("%s %s: %w; nothing written", e.label, e.path, err)
		}
		held = append(held, rel)
	}
	return release, nil
}

func (t *Tx) commitOne(e *entry, stamp time.Time) (backup string, inPlace bool, err error) {
	if e.exists {
		if backup, err = t.backup(e, stamp); err != nil {
			return "", false, err
		}
	}
	inPlace, err = t.replace(e, e.next, e.exists, e.orig)
	var ch *changedError
	switch {
	case errors.As(err, &ch):
		return backup, false, t.changedMsg(e, ch)
	case err != nil && inPlace:
		return backup, false, fmt.Errorf("write %s %s: %w; the previous version is in %s", e.label, e.path, err, backup)
	case err != nil:
		return backup, false, fmt.Errorf("write %s %s: %w; the file is unchanged", e.label, e.path, err)
	}
	got, err := t.fs.ReadFile(e.real)
	if err != nil || !bytes.Equal(got, e.next) {
		if err == nil {
			err = errors.New("content read back differs from what was written")
		}
		verr := fmt.Errorf("verify %s %s: %w", e.label, e.path, err)
		if rerr := t.restore(e); rerr != nil {
			return backup, inPlace, errors.Join(verr, rerr)
		}
		return backup, inPlace, verr
	}
	return backup, inPlace, nil
}

// undo restores the files in done (already written) after cause.
func (t *Tx) undo(done []*entry, cause error) error {
	errs := []error{cause}
	var restored []string
	for i := len(done) - 1; i >= 0; i-- {
		if err := t.restore(done[i]); err != nil {
			errs = append(errs, err)
			continue
		}
		restored = append(restored, done[i].path)
	}
	if len(restored) > 0 {
		errs = append(errs, fmt.Errorf("restored the files already written: %s", joinPaths(restored)))
	}
	return errors.Join(errs...)
}

// restore puts a written file back as it was read, unless another writer
// changed it again since.
func (t *Tx) restore(e *entry) error {
	var err error
	if e.exists {
		_, err = t.replace(e, e.orig, true, e.next)
	} else if ch := t.differs(e, true, e.next); ch != nil {
		err = ch
	} else {
		err = t.fs.Remove(e.real)
	}
	if ch := (*changedError)(nil); errors.As(err, &ch) && ch.err == nil {
		err = errors.New("it changed again after autovpn wrote it, so it was left as it is")
	}
	if err != nil {
		return fmt.Errorf("restoring %s %s also failed: %w (a backup copy is in %s)", e.label, e.path, err, t.backupFolder(e))
	}
	return nil
}

// replace writes data to a temp file beside the real file of e and renames
// it over, if the file still exists as wantExists and holds before; else it
// returns a *changedError and leaves the file alone. A file that cannot be
// renamed over (a bind mount: EBUSY, or EXDEV) and existed when read, so
// that it has a backup on disk by now, is overwritten in place instead;
// inPlace reports that, and with an error that the file may be damaged.
func (t *Tx) replace(e *entry, data []byte, wantExists bool, before []byte) (inPlace bool, err error) {
	dir := filepath.Dir(e.real)
	perm := fs.FileMode(0o644)
	if e.info != nil {
		perm = e.info.Mode().Perm()
	} else if err := t.fs.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	tmp, err := t.fs.WriteTemp(dir, "."+filepath.Base(e.real)+".autovpn-*", data, perm)
	if err != nil {
		return false, err
	}
	if e.info != nil {
		if uid, gid, ok := owner(e.info); ok {
			// Only root may give a file away; a user editing their own
			// file keeps ownership anyway, so EPERM is not an error.
			if err := t.fs.Chown(tmp, uid, gid); err != nil && !errors.Is(err, fs.ErrPermission) {
				t.fs.Remove(tmp)
				return false, err
			}
		}
		if x, ok := t.fs.(interface{ CopyXattrs(from, to string) error }); ok {
			if err := x.CopyXattrs(e.real, tmp); err != nil {
				t.fs.Remove(tmp)
				return false, err
			}
		}
	}
	// A last look, now that the backup and the temp file are written: a
	// change made meanwhile by another program would be lost by the rename
	// and is in no backup. (Other autovpn processes wait for our lock.)
	if ch := t.differs(e, wantExists, before); ch != nil {
		t.fs.Remove(tmp)
		return false, ch
	}
	if err := t.fs.Rename(tmp, e.real); err != nil {
		t.fs.Remove(tmp)
		return t.writeInPlace(e, data, wantExists, before, err)
	}
	if s, ok := t.fs.(interface{ SyncDir(string) error }); ok {
		_ = s.SyncDir(dir) // see SyncDir
	}
	return false, nil
}

// writeInPlace overwrites e's file in place after its rename failed with
// renameErr, when that is safe: the rename failed because the file is a
// mount point, the file existed when read (so its backup was synced to
// disk before this) and it still holds before. If the write fails, before
// is written back; only if that fails too is inPlace reported with the
// error (the file may be damaged).
func (t *Tx) writeInPlace(e *entry, data []byte, wantExists bool, before []byte, renameErr error) (inPlace bool, err error) {
	w, ok := t.fs.(interface {
		WriteInPlace(string, []byte) error
	})
	busy := unrenamable(renameErr)
	if !busy || !ok || !e.exists || !wantExists {
		if busy {
			return false, fmt.Errorf("%w (it is a mount point, such as a container's bind-mounted /etc/hosts, so a rename cannot replace it; edit the file it is mounted from)", renameErr)
		}
		return false, renameErr
	}
	if ch := t.differs(e, wantExists, before); ch != nil {
		return false, ch
	}
	if err := w.WriteInPlace(e.real, data); err != nil {
		err = fmt.Errorf("writing in place (renaming over it failed: %v): %w", renameErr, err)
		if perr := w.WriteInPlace(e.real, before); perr != nil {
			return true, fmt.Errorf("%w; putting the old content back failed too: %v", err, perr)
		}
		return false, err
	}
	return true, nil
}

// changedError says that a file is not as expected: why is for messages.
type changedError struct {
	info   fs.FileInfo // nil when it does not exist
	exists bool
	err    error // a failure to look, if that was the reason
}

func (c *changedError) Error() string {
	if c.err != nil {
		return c.err.Error()
	}
	return ErrChanged.Error()
}

func (c *changedError) Unwrap() error {
	if c.err != nil {
		return c.err
	}
	return ErrChanged
}

// differs returns nil when e's real file exists as wantExists and holds
// want, else a *changedError saying how it is.
func (t *Tx) differs(e *entry, wantExists bool, want []byte) *changedError {
	info, err := t.fs.Stat(e.real)
	var now []byte
	exists := err == nil
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return &changedError{err: err}
	default:
		if now, err = t.fs.ReadFile(e.real); err != nil {
			return &changedError{err: err}
		}
	}
	if exists == wantExists && bytes.Equal(now, want) {
		return nil
	}
	return &changedError{info: info, exists: exists}
}

func (t *Tx) checkUnchanged(e *entry) error {
	if real, err := t.resolve(e.path); err == nil && real != e.real {
		return fmt.Errorf("%s %s %w (it now leads to %s, not %s); nothing written — run the command again",
			e.label, e.path, ErrChanged, real, e.real)
	}
	if ch := t.differs(e, e.exists, e.orig); ch != nil {
		return t.changedMsg(e, ch)
	}
	return nil
}

// changedMsg is the error of a commit that found e's file changed.
func (t *Tx) changedMsg(e *entry, ch *changedError) error {
	if ch.err != nil {
		return fmt.Errorf("check %s %s: %w; nothing written", e.label, e.path, ch.err)
	}
	return fmt.Errorf("%s %s %w (%s); nothing written — run the command again",
		e.label, e.path, ErrChanged, describeChange(e, ch.info, ch.exists))
}

func describeChange(e *entry, info fs.FileInfo, exists bool) string {
	switch {
	case !e.exists:
		return "it was created meanwhile"
	case !exists:
		return "it was deleted meanwhile"
	}
	return fmt.Sprintf("size %d → %d bytes, modified %s → %s", e.info.Size(), info.Size(),
		e.info.ModTime().Format(time.RFC3339), info.ModTime().Format(time.RFC3339))
}

func joinPaths(ps []string) string {
	var b bytes.Buffer
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p)
	}
	return b.String()
}
