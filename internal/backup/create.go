package backup

import (
	"bytes"
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

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/hostsfile"
	"github.com/autovpn/autovpn/internal/sysedit"
	"github.com/autovpn/autovpn/internal/wgconf"
)

// Sources are the files of a setup.
type Sources struct {
	ConfigFile, DomainsFile, DirectDomainsFile, IPListFile string
	PACDir                                                 string
	HostsFile                                              string
	WGConfPath                                             string   // "" when WireGuard is not used
	ServerHosts                                            []string // to find the tunnel peer
}

// SourcesOf returns the files of the setup described by c.
func SourcesOf(c *config.Config) Sources {
	return Sources{
		ConfigFile: c.Path, DomainsFile: c.DomainsFile, DirectDomainsFile: c.DirectDomainsFile,
		IPListFile: c.IPListFile, PACDir: c.PACDir, HostsFile: c.HostsFile, WGConfPath: c.WGConfPath,
		ServerHosts: append(append([]string{}, c.ServerHosts...), c.ServerHostsV6...),
	}
}

// wgSaved is what a backup keeps of a WireGuard config.
type wgSaved struct {
	Managed     wgconf.Managed `json:"managed"`
	ServerHosts []string       `json:"server_hosts"`
}

type snapshot struct {
	entry FileEntry
	data  []byte
}

// Create snapshots src into a new backup. The backup appears atomically:
// it is written to a hidden folder and renamed into place.
func (s *Store) Create(src Sources) (*Manifest, error) {
	snaps, err := collect(src)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("backup folder %s: %w", s.Dir, err)
	}
	t := s.now()
	m := &Manifest{ID: s.newID(t), Time: t, Version: s.Version}
	tmp, err := os.MkdirTemp(s.Dir, ".new-")
	if err != nil {
		return nil, fmt.Errorf("backup folder %s: %w", s.Dir, err)
	}
	defer os.RemoveAll(tmp)
	for i, sn := range snaps {
		e := sn.entry
		if !e.Absent {
			e.Name = fmt.Sprintf("%02d-%s", i+1, filepath.Base(e.Source))
			if e.Kind == KindWG {
				e.Name += ".json"
			}
			sum := sha256.Sum256(sn.data)
			e.SHA256, e.Size = hex.EncodeToString(sum[:]), int64(len(sn.data))
			if err := writeSynced(filepath.Join(tmp, e.Name), sn.data); err != nil {
				return nil, fmt.Errorf("write backup in %s: %w", s.Dir, err)
			}
		}
		m.Files = append(m.Files, e)
	}
	mj, _ := json.MarshalIndent(m, "", "  ")
	if err := writeSynced(filepath.Join(tmp, manifestName), append(mj, '\n')); err != nil {
		return nil, fmt.Errorf("write backup in %s: %w", s.Dir, err)
	}
	// Everything is on disk before the backup appears under its name: a
	// crash leaves a hidden .new- folder, never a backup with an empty
	// manifest or copies.
	_ = sysedit.SyncDir(tmp)
	m.Dir = filepath.Join(s.Dir, m.ID)
	if err := os.Rename(tmp, m.Dir); err != nil {
		return nil, fmt.Errorf("write backup %s: %w", m.Dir, err)
	}
	_ = sysedit.SyncDir(s.Dir)
	return m, nil
}

// writeSynced writes a new file readable only by its owner and syncs it
// to disk.
func writeSynced(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (s *Store) newID(t time.Time) string {
	base := t.Format(idLayout)
	id := base
	for n := 2; ; n++ {
		if _, err := os.Stat(filepath.Join(s.Dir, id)); errors.Is(err, fs.ErrNotExist) {
			return id
		}
		id = fmt.Sprintf("%s-%d", base, n)
	}
}

func collect(src Sources) ([]snapshot, error) {
	var snaps []snapshot
	for _, f := range []struct{ kind, path string }{
		{KindConfig, src.ConfigFile}, {KindDomains, src.DomainsFile},
		{KindDirect, src.DirectDomainsFile}, {KindIPList, src.IPListFile},
	} {
		sn, err := whole(f.kind, f.path)
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, sn)
	}
	pacs, err := pacFiles(src.PACDir)
	if err != nil {
		return nil, err
	}
	for _, p := range pacs {
		sn, err := whole(KindPAC, p)
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, sn)
	}
	sn, err := hostsBlock(src.HostsFile)
	if err != nil {
		return nil, err
	}
	snaps = append(snaps, sn)
	if src.WGConfPath != "" {
		sn, err := wgPart(src.WGConfPath, src.ServerHosts)
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, sn)
	}
	return snaps, nil
}

func readOptional(path string) (data []byte, absent bool, err error) {
	data, err = os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true, nil
	}
	return data, false, err
}

func whole(kind, path string) (snapshot, error) {
	data, absent, err := readOptional(path)
	if err != nil {
		return snapshot{}, fmt.Errorf("back up %s: %w", path, err)
	}
	return snapshot{FileEntry{Kind: kind, Source: path, Absent: absent}, data}, nil
}

func pacFiles(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || dir == "" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("back up PAC folder %s: %w", dir, err)
	}
	var ps []string
	for _, de := range des {
		if !de.IsDir() && strings.HasSuffix(de.Name(), ".pac") {
			ps = append(ps, filepath.Join(dir, de.Name()))
		}
	}
	sort.Strings(ps)
	return ps, nil
}

func hostsBlock(path string) (snapshot, error) {
	data, absent, err := readOptional(path)
	if err != nil || absent {
		return snapshot{FileEntry{Kind: KindHosts, Source: path, Absent: absent}, nil}, err
	}
	f, err := hostsfile.Parse(bytes.NewReader(data))
	if err != nil {
		return snapshot{}, fmt.Errorf("back up hosts file %s: %w", path, err)
	}
	return snapshot{FileEntry{Kind: KindHosts, Source: path}, f.Block()}, nil
}

func wgPart(path string, servers []string) (snapshot, error) {
	data, absent, err := readOptional(path)
	if err != nil || absent {
		return snapshot{FileEntry{Kind: KindWG, Source: path, Absent: absent}, nil}, err
	}
	c, _ := wgconf.Parse(bytes.NewReader(data))
	m, err := c.Managed(servers)
	if err != nil {
		return snapshot{}, fmt.Errorf("back up WireGuard config %s: %w", path, err)
	}
	b, _ := json.MarshalIndent(wgSaved{m, servers}, "", "  ")
	return snapshot{FileEntry{Kind: KindWG, Source: path}, b}, nil
}
