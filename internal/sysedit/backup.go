package sysedit

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// stampLayout names backups: sortable, typeable, UTC.
const stampLayout = "20060102T150405Z"

func (t *Tx) backupFolder(e *entry) string {
	if t.backupDir != "" {
		return t.backupDir
	}
	return filepath.Dir(e.path)
}

// backup copies e's original content to BASE.STAMP.bak in the backup folder.
func (t *Tx) backup(e *entry, stamp time.Time) (string, error) {
	dir := t.backupFolder(e)
	if err := t.fs.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("back up %s %s: %w; nothing written", e.label, e.path, err)
	}
	base := filepath.Base(e.path) + "." + stamp.UTC().Format(stampLayout)
	name := filepath.Join(dir, base+".bak")
	for n := 2; ; n++ {
		if _, err := t.fs.Stat(name); errors.Is(err, fs.ErrNotExist) {
			break
		}
		name = filepath.Join(dir, fmt.Sprintf("%s-%d.bak", base, n))
	}
	// Backups may hold secrets (a WireGuard private key): owner-only.
	tmp, err := t.fs.WriteTemp(dir, ".backup-*", e.orig, 0o600)
	if err == nil {
		if err = t.fs.Rename(tmp, name); err != nil {
			t.fs.Remove(tmp)
		}
	}
	if err != nil {
		return "", fmt.Errorf("back up %s %s to %s: %w; nothing written", e.label, e.path, dir, err)
	}
	// The backup's name must be on disk before the edit is: a power cut
	// could otherwise keep the edit and lose the copy of what it replaced.
	if s, ok := t.fs.(interface{ SyncDir(string) error }); ok {
		_ = s.SyncDir(dir) // see SyncDir
	}
	return name, nil
}

// Backup is one timestamped copy of a file made by a transaction.
type Backup struct {
	ID   string    // the stamp, e.g. 20261124T150405Z or 20261124T150405Z-2
	Path string    // the copy
	Time time.Time // when it was taken (UTC, second resolution)
}

// ListBackups lists the copies of file kept in dir ("" = beside the file),
// newest first. A missing folder means no backups.
func ListBackups(fsys FS, dir, file string) ([]Backup, error) {
	if fsys == nil {
		fsys = OS{}
	}
	if dir == "" {
		dir = filepath.Dir(file)
	}
	des, err := fsys.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list backups in %s: %w", dir, err)
	}
	prefix := filepath.Base(file) + "."
	var bs []Backup
	for _, de := range des {
		n := de.Name()
		if de.IsDir() || !strings.HasPrefix(n, prefix) || !strings.HasSuffix(n, ".bak") {
			continue
		}
		id := strings.TrimSuffix(strings.TrimPrefix(n, prefix), ".bak")
		ts, _, _ := strings.Cut(id, "-")
		tm, err := time.Parse(stampLayout, ts)
		if err != nil {
			continue
		}
		bs = append(bs, Backup{ID: id, Path: filepath.Join(dir, n), Time: tm})
	}
	sort.Slice(bs, func(i, j int) bool {
		if !bs[i].Time.Equal(bs[j].Time) {
			return bs[i].Time.After(bs[j].Time)
		}
		return len(bs[i].ID) > len(bs[j].ID) || (len(bs[i].ID) == len(bs[j].ID) && bs[i].ID > bs[j].ID)
	})
	return bs, nil
}
