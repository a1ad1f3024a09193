package backup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/autovpn/autovpn/internal/hostsfile"
	"github.com/autovpn/autovpn/internal/sysedit"
	"github.com/autovpn/autovpn/internal/wgconf"
)

// RollbackResult says what a rollback did or, in a dry run, would do.
type RollbackResult struct {
	Manifest *Manifest
	Diff     string          // unified diff of every change
	Commit   *sysedit.Result // nil in a dry run or when nothing changed
	Skipped  []string        // files the backup did not have (left alone)
}

// Rollback restores backup id ("" = newest) as one transaction: every file
// is staged first and written only if all could be; a failure puts back the
// files already written. The hosts file and the WireGuard config get back
// only autovpn's parts; everything else in them stays as it is now.
func (s *Store) Rollback(id string, dryRun bool, fsys sysedit.FS) (*RollbackResult, error) {
	m, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	if err := m.verify(); err != nil {
		return nil, err
	}
	tx := sysedit.New(sysedit.Options{FS: fsys, BackupDir: filepath.Join(s.Dir, SystemDir)})
	res := &RollbackResult{Manifest: m}
	for _, f := range m.Files {
		if f.Absent {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s %s (it did not exist when the backup was made)", f.Kind, f.Source))
			continue
		}
		saved, err := os.ReadFile(filepath.Join(m.Dir, f.Name))
		if err != nil {
			return nil, fmt.Errorf("backup %s: %w", m.ID, err)
		}
		if err := stage(tx, f, saved); err != nil {
			return nil, fmt.Errorf("rollback to %s: %w; nothing restored", m.ID, err)
		}
	}
	res.Diff = tx.Diff()
	if dryRun {
		return res, nil
	}
	if res.Commit, err = tx.Commit(); err != nil {
		return nil, fmt.Errorf("rollback to %s: %w", m.ID, err)
	}
	return res, nil
}

func stage(tx *sysedit.Tx, f FileEntry, saved []byte) error {
	cur, err := tx.Read(f.Source, label(f.Kind))
	if err != nil {
		return err
	}
	next := saved
	switch f.Kind {
	case KindHosts:
		h, err := hostsfile.Parse(bytes.NewReader(cur))
		if err != nil {
			return fmt.Errorf("hosts file %s: %w", f.Source, err)
		}
		if next, err = h.WithBlock(saved); err != nil {
			return err
		}
	case KindWG:
		var w wgSaved
		if err := json.Unmarshal(saved, &w); err != nil {
			return fmt.Errorf("saved WireGuard settings: %w", err)
		}
		c, _ := wgconf.Parse(bytes.NewReader(cur))
		if err := c.SetManaged(w.Managed, w.ServerHosts); err != nil {
			return fmt.Errorf("WireGuard config %s: %w", f.Source, err)
		}
		next = c.Bytes()
	}
	return tx.Write(f.Source, next)
}

func label(kind string) string {
	switch kind {
	case KindConfig:
		return "config file"
	case KindDomains:
		return "domain list"
	case KindDirect:
		return "direct domain list"
	case KindIPList:
		return "IP list"
	case KindPAC:
		return "PAC file"
	case KindHosts:
		return "hosts file"
	case KindWG:
		return "WireGuard config"
	}
	return kind
}
