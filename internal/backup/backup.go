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
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// List returns the backups, newest first. Folders without a readable
// manifest are skipped (they are not backups: e.g. SystemDir).
func (s *Store) List() ([]*Manifest, error) {
	des, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list backups in %s: %w", s.Dir, err)
	}
	var ms []*Manifest
	for _, de := range des {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		if m, err := s.read(de.Name()); err == nil {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(i, j int) bool {
		if !ms[i].Time.Equal(ms[j].Time) {
			return ms[i].Time.After(ms[j].Time)
		}
		return ms[i].ID > ms[j].ID
	})
	return ms, nil
}

// Get returns backup id, or the newest one when id is "".
func (s *Store) Get(id string) (*Manifest, error) {
	if id != "" {
		if strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
			return nil, fmt.Errorf("backup ID %q: not a backup ID (see `autovpn backup list`)", id)
		}
		m, err := s.read(id)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("backup %s: not found in %s (see `autovpn backup list`)", id, s.Dir)
		}
		return m, err
	}
	ms, err := s.List()
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no backups in %s; make one with `autovpn backup create`", s.Dir)
	}
	return ms[0], nil
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
