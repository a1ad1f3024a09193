package domains

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/autovpn/autovpn/internal/sysedit"
)

// WriteFileAtomic replaces path with data: it writes a temp file in the
// same folder, syncs it and renames it over path, so a reader sees the old
// or the new file, never half of one. A previous file is kept as path.bak
// (itself replaced atomically) and its permissions carry over. It runs as
// EditFile: locked, and a symbolic link at path is kept.
func WriteFileAtomic(path string, data []byte) error {
	return EditFile(path, func([]byte) ([]byte, error) { return data, nil })
}

// EditFile is one read-modify-write of the list file at path, made while
// holding the lock autovpn processes take to edit a file (sysedit.Lock), so
// parallel edits all land. edit gets the current content (nil for a missing
// file) and returns the new one; its error is returned as it is, and
// nothing is written when it fails or returns the content unchanged (nil
// for a missing file). The
// new content is written as WriteFileAtomic says, to the file a symbolic
// link at path leads to (the link stays). If another program changed the
// file meanwhile, nothing is written and the error wraps sysedit.ErrChanged.
func EditFile(path string, edit func(old []byte) ([]byte, error)) error {
	real, err := sysedit.Resolve(path)
	if err != nil {
		return err
	}
	release, err := sysedit.Lock(real)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer release()
	old, err := os.ReadFile(real)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	next, err := edit(old)
	if err != nil || (exists && bytes.Equal(old, next)) || (!exists && next == nil) {
		return err
	}
	perm := fs.FileMode(0o644)
	if exists {
		if st, err := os.Stat(real); err == nil {
			perm = st.Mode().Perm()
		}
		if err := writeTemp(real+".bak", old, perm, nil); err != nil {
			return fmt.Errorf("back up %s: %w", path, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		return err
	}
	// Another program may have written the file since it was read: the
	// rename would lose that, so look again right before it.
	unchanged := func() error {
		now, err := os.ReadFile(real)
		if (err == nil) != exists || (err != nil && !errors.Is(err, fs.ErrNotExist)) || !bytes.Equal(now, old) {
			return fmt.Errorf("%s %w; nothing written — run the command again", path, sysedit.ErrChanged)
		}
		return nil
	}
	if err := writeTemp(real, next, perm, unchanged); err != nil {
		if errors.Is(err, sysedit.ErrChanged) {
			return err
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeTemp writes data to a synced temp file beside path and, if check
// (when not nil) passes, renames it over path and syncs the folder.
func writeTemp(path string, data []byte, perm fs.FileMode, check func() error) (err error) {
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
	if check != nil {
		if err = check(); err != nil {
			return err
		}
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	_ = sysedit.SyncDir(filepath.Dir(path)) // not every file system can
	return nil
}

// ParseListFile parses data, the content of the domain list at path, as
// ReadList does: line errors name path. Use it with EditFile.
func ParseListFile(path string, data []byte) (*List, error) {
	l, errs := ParseList(bytes.NewReader(data))
	withFile(errs, path)
	if len(errs) > 0 {
		return l, errors.Join(errs...)
	}
	return l, nil
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
