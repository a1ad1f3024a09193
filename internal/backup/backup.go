// Package backup snapshots an autovpn setup — config.env, the domain, direct
// and IP lists, the generated PAC files, and autovpn's parts of the hosts
// file and the WireGuard config — into BACKUP_DIR/<ID>/ with a manifest, and
// rolls a snapshot back as one sysedit transaction followed by health checks.
package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Kinds of files in a backup.
const (
	KindConfig  = "config"
	KindDomains = "domains"
	KindDirect  = "direct-domains"
	KindIPList  = "ip-list"
	KindPAC     = "pac"
	KindHosts   = "hosts-block" // only autovpn's block of the hosts file
	KindWG      = "wireguard"   // only the keys autovpn manages, as JSON
)

const (
	manifestName = "manifest.json"
	idLayout     = "20060102T150405Z"
	// SystemDir is the folder under BACKUP_DIR where sysedit keeps its
	// timestamped copies of edited files.
	SystemDir = "files"
	// DefaultKeep is how many backups Prune keeps unless told otherwise.
	DefaultKeep = 10
)

// Manifest describes one backup.
type Manifest struct {
	ID      string      `json:"id"`
	Time    time.Time   `json:"time"`
	Version string      `json:"version"`
	Files   []FileEntry `json:"files"`
	Dir     string      `json:"-"` // the backup's folder
}

// FileEntry is one file of a backup.
type FileEntry struct {
	Kind   string `json:"kind"`
	Source string `json:"source"`           // the original file (absolute path)
	Name   string `json:"name,omitempty"`   // the copy, relative to the backup folder
	SHA256 string `json:"sha256,omitempty"` // of the copy
	Size   int64  `json:"size"`
	Absent bool   `json:"absent,omitempty"` // the source did not exist; rollback leaves it alone
}

// Store is a BACKUP_DIR.
type Store struct {
	Dir     string
	Version string           // recorded in manifests
	Now     func() time.Time // nil: time.Now
	// ConfigPath is the config a rollback is for ("" = restore every file
	// where it was); see Rollback.
	ConfigPath string
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Damaged is a folder in BACKUP_DIR that looks like a backup but whose
// manifest is missing or unreadable: it cannot be listed, rolled back or
// pruned, and is reported instead of being skipped without a word.
type Damaged struct {
	ID   string
	Dir  string
	Time time.Time // from the folder's name (zero when the name is no ID)
	Err  error
}

// Warning is a line for the user naming the folder and what is wrong.
func (d Damaged) Warning() string {
	return fmt.Sprintf("backup folder %s is damaged and was skipped: %v; it is not used by rollback or pruned (restore its files by hand, or remove the folder)", d.Dir, d.Err)
}

// List returns the backups, newest first. Folders without a readable
// manifest are left out; Scan reports them.
func (s *Store) List() ([]*Manifest, error) {
	ms, _, err := s.Scan()
	return ms, err
}

// Scan returns the backups, newest first, and the folders that look like
// backups (a manifest, or a name that is a backup ID) but whose manifest
// cannot be read, newest first. Other folders (SystemDir, hidden folders
// of backups being written) are not backups.
func (s *Store) Scan() ([]*Manifest, []Damaged, error) {
	des, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("list backups in %s: %w", s.Dir, err)
	}
	var ms []*Manifest
	var bad []Damaged
	for _, de := range des {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") || de.Name() == SystemDir {
			continue
		}
		m, err := s.read(de.Name())
		if err == nil {
			ms = append(ms, m)
			continue
		}
		t, isID := idTime(de.Name())
		if errors.Is(err, fs.ErrNotExist) && !isID {
			continue // no manifest and no backup name: not a backup
		}
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%s is missing", manifestName)
		}
		bad = append(bad, Damaged{ID: de.Name(), Dir: filepath.Join(s.Dir, de.Name()), Time: t, Err: err})
	}
	sort.Slice(ms, func(i, j int) bool {
		if !ms[i].Time.Equal(ms[j].Time) {
			return ms[i].Time.After(ms[j].Time)
		}
		return ms[i].ID > ms[j].ID
	})
	sort.Slice(bad, func(i, j int) bool { return bad[i].ID > bad[j].ID })
	return ms, bad, nil
}

// idTime parses the time out of a backup ID ("20260102T150405Z" or with a
// "-N" suffix).
func idTime(id string) (time.Time, bool) {
	if len(id) < len(idLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(idLayout, id[:len(idLayout)])
	if err != nil || (len(id) > len(idLayout) && id[len(idLayout)] != '-') {
		return time.Time{}, false
	}
	return t, true
}

// Get returns backup id, or the newest one when id is "".
func (s *Store) Get(id string) (*Manifest, error) {
	if id != "" {
		if strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
			return nil, fmt.Errorf("backup ID %q: not a backup ID (see `autovpn backup list`)", id)
		}
		m, err := s.read(id)
		if errors.Is(err, fs.ErrNotExist) {
			if fi, serr := os.Stat(filepath.Join(s.Dir, id)); serr == nil && fi.IsDir() {
				return nil, fmt.Errorf("backup %s: %s is missing in %s; the backup is damaged, nothing restored", id, manifestName, filepath.Join(s.Dir, id))
			}
			return nil, fmt.Errorf("backup %s: not found in %s (see `autovpn backup list`)", id, s.Dir)
		}
		if err != nil {
			return nil, fmt.Errorf("%w; the backup is damaged, nothing restored", err)
		}
		return m, nil
	}
	m, _, err := s.newest()
	return m, err
}

// newest returns the newest backup and the damaged folders that look newer
// than it (or all of them when there is no backup).
func (s *Store) newest() (*Manifest, []Damaged, error) {
	ms, bad, err := s.Scan()
	if err != nil {
		return nil, nil, err
	}
	if len(ms) == 0 {
		msg := fmt.Sprintf("no backups in %s; make one with `autovpn backup create`", s.Dir)
		if len(bad) > 0 {
			msg = fmt.Sprintf("no usable backups in %s: %d damaged (%s)", s.Dir, len(bad), bad[0].Warning())
		}
		return nil, bad, errors.New(msg)
	}
	// A damaged folder is newer when its name says so; one whose name is
	// no ID may be newer too.
	t0 := ms[0].Time.Truncate(time.Second)
	var newer []Damaged
	for _, d := range bad {
		if d.Time.IsZero() || d.Time.After(t0) || (d.Time.Equal(t0) && d.ID > ms[0].ID) {
			newer = append(newer, d)
		}
	}
	return ms[0], newer, nil
}

func (s *Store) read(id string) (*Manifest, error) {
	dir := filepath.Join(s.Dir, id)
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("backup %s: %s: %w", id, manifestName, err)
	}
	if m.ID != id {
		return nil, fmt.Errorf("backup %s: manifest names ID %q", id, m.ID)
	}
	m.Dir = dir
	return &m, nil
}

// Prune removes all but the newest keep backups and returns their IDs.
func (s *Store) Prune(keep int) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("--keep %d: keep at least 1 backup", keep)
	}
	ms, err := s.List()
	if err != nil || len(ms) <= keep {
		return nil, err
	}
	var gone []string
	for _, m := range ms[keep:] {
		if err := os.RemoveAll(m.Dir); err != nil {
			return gone, fmt.Errorf("prune backup %s: %w", m.ID, err)
		}
		gone = append(gone, m.ID)
	}
	return gone, nil
}

// verify checks every copy against its checksum.
func (m *Manifest) verify() error {
	for _, f := range m.Files {
		if f.Absent {
			continue
		}
		b, err := os.ReadFile(filepath.Join(m.Dir, f.Name))
		if err != nil {
			return fmt.Errorf("backup %s: %w; the backup is damaged, nothing restored", m.ID, err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != f.SHA256 {
			return fmt.Errorf("backup %s: %s: checksum mismatch; the backup is damaged, nothing restored", m.ID, f.Name)
		}
	}
	return nil
}
