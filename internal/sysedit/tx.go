package sysedit

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
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
	exists      bool
	orig        []byte
	sum         [32]byte
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
	e := &entry{path: path, label: label}
	info, err := t.fs.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read %s %s: %w", label, path, err)
	case info.IsDir():
		return nil, fmt.Errorf("read %s %s: is a folder, not a file", label, path)
	default:
		data, err := t.fs.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s %s: %w", label, path, err)
		}
		e.exists, e.orig, e.info = true, data, info
	}
	e.sum = sha256.Sum256(e.orig)
	t.files = append(t.files, e)
	return e.orig, nil
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
}

// Commit writes every changed file. It first checks that none changed on
// disk since Read; then, file by file, backs up, writes atomically and
// verifies. When a file fails, the files already written are put back and
// the error reports both the failure and the restore.
func (t *Tx) Commit() (*Result, error) {
	todo := t.changed()
	for _, e := range todo {
		if err := t.checkUnchanged(e); err != nil {
			return nil, err
		}
	}
	res := &Result{}
	stamp := t.now()
	for i, e := range todo {
		bak, err := t.commitOne(e, stamp)
		if err != nil {
			return nil, t.undo(todo[:i], err)
		}
		if bak != "" {
			res.Backups = append(res.Backups, bak)
		}
		res.Written = append(res.Written, e.path)
	}
	return res, nil
}

func (t *Tx) commitOne(e *entry, stamp time.Time) (backup string, err error) {
	if e.exists {
		if backup, err = t.backup(e, stamp); err != nil {
			return "", err
		}
	}
	if err := t.replace(e, e.next); err != nil {
		return backup, fmt.Errorf("write %s %s: %w; the file is unchanged", e.label, e.path, err)
	}
	got, err := t.fs.ReadFile(e.path)
	if err != nil || !bytes.Equal(got, e.next) {
		if err == nil {
			err = errors.New("content read back differs from what was written")
		}
		verr := fmt.Errorf("verify %s %s: %w", e.label, e.path, err)
		if rerr := t.restore(e); rerr != nil {
			return backup, errors.Join(verr, rerr)
		}
		return backup, verr
	}
	return backup, nil
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

// restore puts a written file back as it was read.
func (t *Tx) restore(e *entry) error {
	var err error
	if e.exists {
		err = t.replace(e, e.orig)
	} else {
		err = t.fs.Remove(e.path)
	}
	if err != nil {
		return fmt.Errorf("restoring %s %s also failed: %w (a backup copy is in %s)", e.label, e.path, err, t.backupFolder(e))
	}
	return nil
}

// replace writes data to a temp file beside e.path and renames it over.
func (t *Tx) replace(e *entry, data []byte) error {
	dir := filepath.Dir(e.path)
	perm := fs.FileMode(0o644)
	if e.info != nil {
		perm = e.info.Mode().Perm()
	} else if err := t.fs.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := t.fs.WriteTemp(dir, "."+filepath.Base(e.path)+".autovpn-*", data, perm)
	if err != nil {
		return err
	}
	if e.info != nil {
		if uid, gid, ok := owner(e.info); ok {
			// Only root may give a file away; a user editing their own
			// file keeps ownership anyway, so EPERM is not an error.
			if err := t.fs.Chown(tmp, uid, gid); err != nil && !errors.Is(err, fs.ErrPermission) {
				t.fs.Remove(tmp)
				return err
			}
		}
	}
	if err := t.fs.Rename(tmp, e.path); err != nil {
		t.fs.Remove(tmp)
		return err
	}
	if _, ok := t.fs.(OS); ok {
		syncDir(dir)
	}
	return nil
}

func (t *Tx) checkUnchanged(e *entry) error {
	info, err := t.fs.Stat(e.path)
	var now []byte
	exists := err == nil
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("check %s %s: %w; nothing written", e.label, e.path, err)
	default:
		if now, err = t.fs.ReadFile(e.path); err != nil {
			return fmt.Errorf("check %s %s: %w; nothing written", e.label, e.path, err)
		}
	}
	if exists == e.exists && sha256.Sum256(now) == e.sum {
		return nil
	}
	return fmt.Errorf("%s %s %w (%s); nothing written — run the command again",
		e.label, e.path, ErrChanged, describeChange(e, info, exists))
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
