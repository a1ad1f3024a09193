package domains

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data: it writes a temp file in the
// same folder, syncs it and renames it over path, so a reader sees the old
// or the new file, never half of one. A previous file is kept as path.bak
// (itself replaced atomically) and its permissions carry over.
func WriteFileAtomic(path string, data []byte) error {
	perm := fs.FileMode(0o644)
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if st, err := os.Stat(path); err == nil {
			perm = st.Mode().Perm()
		}
		if err := writeTemp(path+".bak", old, perm); err != nil {
			return fmt.Errorf("back up %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	default:
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
	}
	return writeTemp(path, data, perm)
}

func writeTemp(path string, data []byte, perm fs.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Legacy file names of the older toolkit.
const (
	LegacyDomainsFile = "需要获取IP的域名列表.txt"
	LegacyIPListFile  = "常用境外IP.txt"
)

// Imported is what Import found in a file.
type Imported struct {
	Domains []string  // normalised domains (from domain lines and IP lines)
	IPs     []IPEntry // IP lines
	Errors  []error   // one *LineError per rejected line
}

// Import reads a file of the older toolkit (or any list): a line holding an
// IP address is an IP-list line (any of ParseIPList's variants, its domain
// also counted as a domain), any other line holds domains (separated by
// commas, semicolons or spaces).
func Import(r io.Reader) (*Imported, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, err
	}
	im := &Imported{}
	for i, line := range lines {
		content, _ := cutComment(line)
		if content == "" {
			continue
		}
		if hasIP(content) {
			entries, err := parseIPLine(content)
			if err != nil {
				im.Errors = append(im.Errors, &LineError{Line: i + 1, Entry: content, Err: err})
				continue
			}
			im.IPs = append(im.IPs, entries...)
			for _, e := range entries {
				if e.Domain != "" {
					im.Domains = append(im.Domains, e.Domain)
				}
			}
			continue
		}
		for _, f := range SplitEntries(content) {
			d, err := Normalize(f)
			if err != nil {
				im.Errors = append(im.Errors, &LineError{Line: i + 1, Entry: f, Err: err})
				continue
			}
			im.Domains = append(im.Domains, d)
		}
	}
	return im, nil
}

// ImportFile is Import on a file; line errors name it.
func ImportFile(path string) (*Imported, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	im, err := Import(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	withFile(im.Errors, path)
	return im, nil
}

func hasIP(s string) bool {
	for _, f := range SplitEntries(s) {
		if _, err := parseIP(f); err == nil {
			return true
		}
	}
	return false
}
