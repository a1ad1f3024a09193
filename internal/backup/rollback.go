package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/autovpn/autovpn/internal/hostsfile"
	"github.com/autovpn/autovpn/internal/sysedit"
	"github.com/autovpn/autovpn/internal/wgconf"
)

// RollbackResult says what a rollback did or, in a dry run, would do.
type RollbackResult struct {
	Manifest *Manifest
	// Diff is a unified diff of every change, with the values of secrets
	// (config keys such as PREFIX and PASS, WireGuard keys) masked.
	Diff     string
	Commit   *sysedit.Result // nil in a dry run or when nothing changed
	Skipped  []string        // files the backup did not have (left alone)
	Warnings []string        // e.g. newer backups skipped because they are damaged
	// Moved is set when the backup was made of the setup in another folder
	// that no longer exists, and its files were restored into the current
	// setup's folder: "OLD -> NEW".
	Moved string
}

// Rollback restores backup id ("" = newest) as one transaction: every file
// is staged first and written only if all could be; a failure puts back the
// files already written. The hosts file and the WireGuard config get back
// only autovpn's parts; everything else in them stays as it is now.
//
// When s.ConfigPath is set, the backup must be of that config: a backup of
// another setup that still exists is refused; a backup of a setup whose
// config is gone (the folder was moved or renamed, and the backups with
// it) is restored into the current config's folder, each file at the same
// place relative to the config. A file whose folder no longer exists is
// refused before anything is written.
func (s *Store) Rollback(id string, dryRun bool, fsys sysedit.FS) (*RollbackResult, error) {
	res := &RollbackResult{}
	var m *Manifest
	var err error
	if id == "" {
		var newer []Damaged
		m, newer, err = s.newest()
		for _, d := range newer {
			res.Warnings = append(res.Warnings, "skipped a newer backup: "+d.Warning())
		}
	} else {
		m, err = s.Get(id)
	}
	if err != nil {
		return nil, err
	}
	res.Manifest = m
	if err := m.verify(); err != nil {
		return nil, err
	}
	if fsys == nil {
		fsys = sysedit.OS{}
	}
	targets, moved, err := s.targets(m, fsys)
	if err != nil {
		return nil, err
	}
	res.Moved = moved
	tx := sysedit.New(sysedit.Options{FS: fsys, BackupDir: filepath.Join(s.Dir, SystemDir)})
	kinds := map[string]string{}
	var created []string // config files made here (0600) before the transaction
	undoCreated := func() {
		for _, p := range created {
			if b, err := os.ReadFile(p); err == nil && len(b) == 0 {
				os.Remove(p)
			}
		}
	}
	for i, f := range m.Files {
		dst := targets[i]
		if f.Absent {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s %s (it did not exist when the backup was made)", f.Kind, dst))
			continue
		}
		saved, err := os.ReadFile(filepath.Join(m.Dir, f.Name))
		if err != nil {
			undoCreated()
			return nil, fmt.Errorf("backup %s: %w", m.ID, err)
		}
		if f.Kind == KindConfig && !dryRun {
			// sysedit creates a missing file 0644; a config holds secrets.
			ok, err := createPrivate(fsys, dst)
			if err != nil {
				undoCreated()
				return nil, fmt.Errorf("rollback to %s: create %s %s: %w; nothing restored", m.ID, label(f.Kind), dst, err)
			}
			if ok {
				created = append(created, dst)
			}
		}
		kinds[dst] = f.Kind
		if err := stage(tx, f, dst, saved); err != nil {
			undoCreated()
			return nil, fmt.Errorf("rollback to %s: %w; nothing restored", m.ID, err)
		}
	}
	res.Diff = maskedDiff(tx.Changes(), kinds)
	if dryRun {
		return res, nil
	}
	if res.Commit, err = tx.Commit(); err != nil {
		undoCreated()
		return nil, fmt.Errorf("rollback to %s: %w", m.ID, err)
	}
	return res, nil
}

// createPrivate creates an empty file at path readable only by its owner
// when there is none, so that the transaction replaces it keeping 0600.
func createPrivate(fsys sysedit.FS, path string) (bool, error) {
	if _, err := fsys.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, f.Close()
}

// targets returns where each file of m goes back to (see Rollback), and
// "OLD -> NEW" when the setup moved. Nothing is written.
func (s *Store) targets(m *Manifest, fsys sysedit.FS) ([]string, string, error) {
	out := make([]string, len(m.Files))
	for i, f := range m.Files {
		out[i] = f.Source
	}
	moved := ""
	if s.ConfigPath != "" {
		oldCfg := ""
		for _, f := range m.Files {
			if f.Kind == KindConfig {
				oldCfg = f.Source
				break
			}
		}
		cur, err := filepath.Abs(s.ConfigPath)
		if err != nil {
			return nil, "", fmt.Errorf("config %s: %w", s.ConfigPath, err)
		}
		if oldCfg != "" && !samePath(fsys, oldCfg, cur) {
			if _, err := fsys.Stat(oldCfg); err == nil {
				return nil, "", fmt.Errorf("backup %s is of the setup at %s, not of %s; nothing restored (roll it back with `autovpn --config %s rollback %s`, or pick a backup of this setup from `autovpn backup list`)",
					m.ID, oldCfg, cur, oldCfg, m.ID)
			}
			oldDir, curDir := filepath.Dir(oldCfg), filepath.Dir(cur)
			for i, f := range m.Files {
				if f.Kind == KindConfig {
					out[i] = cur
				} else if rel, err := filepath.Rel(oldDir, f.Source); err == nil && filepath.IsLocal(rel) {
					out[i] = filepath.Join(curDir, rel)
				}
			}
			moved = oldDir + " -> " + curDir
		}
	}
	for i, f := range m.Files {
		if f.Absent {
			continue
		}
		dir := filepath.Dir(out[i])
		if fi, err := fsys.Stat(dir); err != nil || !fi.IsDir() {
			why := "no longer exists"
			if err == nil {
				why = "is not a folder"
			} else if !errors.Is(err, fs.ErrNotExist) {
				why = err.Error()
			}
			what := f.Source
			if out[i] != f.Source {
				what += " (to go back to " + out[i] + ")"
			}
			return nil, "", fmt.Errorf("backup %s: cannot restore %s %s: its folder %s %s, so the setup moved (or the folder was removed) since the backup was made; nothing restored (roll back with the config the backup was made of, or copy the files from %s by hand)",
				m.ID, label(f.Kind), what, dir, why, m.Dir)
		}
	}
	return out, moved, nil
}

// samePath reports whether a and b name the same file, or, when neither
// exists, the same path.
func samePath(fsys sysedit.FS, a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, err1 := fsys.Stat(a)
	fb, err2 := fsys.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// stage stages backup file f, saved, to go back to dst.
func stage(tx *sysedit.Tx, f FileEntry, dst string, saved []byte) error {
	cur, err := tx.Read(dst, label(f.Kind))
	if err != nil {
		return err
	}
	next := saved
	switch f.Kind {
	case KindHosts:
		h, err := hostsfile.Parse(bytes.NewReader(cur))
		if err != nil {
			return fmt.Errorf("hosts file %s: %w", dst, err)
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
			return fmt.Errorf("WireGuard config %s: %w", dst, err)
		}
		next = c.Bytes()
	}
	return tx.Write(dst, next)
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
