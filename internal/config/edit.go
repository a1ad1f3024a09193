package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/autovpn/autovpn/internal/sysedit"
)

// SetKey sets key (aliases accepted) to value in the config file at path and
// keeps every other byte of the file: the value is replaced in place on each
// line that sets the key (an inline comment stays), or `KEY=value` is
// appended. The key must be known and the value must parse for it; an empty
// value means the key's default, so a key with no valid default (PREFIX)
// cannot be emptied. A symbolic link is followed: the file it names is
// replaced atomically (keeping its mode) and the link stays. The edit holds
// sysedit.Lock, so parallel sets of other keys all land, and it fails rather
// than overwrite a change another program made meanwhile.
func SetKey(path, key, value string) error {
	k := lookupKey(key)
	if k == nil {
		return unknownKeyError(key)
	}
	if err := checkValue(k, value); err != nil {
		return &Error{File: path, Key: k.Name, Msg: err.Error()}
	}
	enc, err := encodeValue(value)
	if err != nil {
		return &Error{File: path, Key: k.Name, Msg: err.Error()}
	}
	real, err := sysedit.Resolve(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	// Look before locking: Lock would create a missing folder.
	if _, err := os.Stat(real); errors.Is(err, fs.ErrNotExist) {
		return &Error{File: path, Msg: "no such config file; create one with `autovpn config init`"}
	}
	release, err := sysedit.Lock(real)
	if err != nil {
		return &Error{File: path, Msg: err.Error()}
	}
	defer release()
	data, err := os.ReadFile(real)
	if errors.Is(err, fs.ErrNotExist) {
		return &Error{File: path, Msg: "no such config file; create one with `autovpn config init`"}
	}
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	return writeAtomic(path, real, data, []byte(setInText(string(data), k, enc)))
}

// checkValue parses value for k alone, on a scratch Config, and applies the
// single-key checks Validate would make.
func checkValue(k *keyDef, value string) error {
	c := Default()
	// Fill the required keys and those checked together so only k's own
	// problems show; k itself keeps its default.
	if k.Name != "PREFIX" {
		c.Prefix = strings.Repeat("x", MinPrefixLen)
	}
	if k.Name != "USER" {
		c.User = "u"
	}
	if k.Name != "PASS" {
		c.Pass = "p"
	}
	// An empty value means the default (as Load reads it): check k as it is
	// in Default(), so a required key with no default is refused.
	if value != "" || k.EmptyIsValue {
		if err := k.set(c, value); err != nil {
			if k.Secret {
				return errors.New("invalid value")
			}
			return err
		}
	}
	c.deriveDefaults()
	for _, e := range Errors(c.Validate(RoleAny)) {
		if e.Key == k.Name {
			return errors.New(e.Msg)
		}
	}
	return nil
}

// encodeValue quotes a value when config.env would otherwise read it back
// differently.
func encodeValue(v string) (string, error) {
	if strings.ContainsAny(v, "\r\n") {
		return "", errors.New("a value cannot contain a line break")
	}
	if v == "" || !strings.ContainsAny(v, " \t#\"'") {
		return v, nil
	}
	if !strings.Contains(v, `"`) {
		return `"` + v + `"`, nil
	}
	if !strings.Contains(v, "'") {
		return "'" + v + "'", nil
	}
	return "", errors.New(`a value cannot contain both ' and "`)
}

// setInText returns text with k's value replaced by enc on every line that
// sets k, or with KEY=enc appended.
func setInText(text string, k *keyDef, enc string) string {
	bom := ""
	if rest, ok := strings.CutPrefix(text, "\ufeff"); ok {
		bom, text = "\ufeff", rest
	}
	eol := "\n"
	if strings.Contains(text, "\r\n") {
		eol = "\r\n"
	}
	parts := strings.SplitAfter(text, "\n")
	found := false
	for i, p := range parts {
		body := strings.TrimSuffix(strings.TrimSuffix(p, "\n"), "\r")
		l := lexLine(body)
		if l.key == "" || l.err != "" || lookupKey(l.key) != k {
			continue
		}
		sep := ""
		if l.valEnd < len(body) && body[l.valEnd] == '#' {
			sep = " " // KEY=# comment: keep the comment a comment
		}
		parts[i] = body[:l.valStart] + enc + sep + body[l.valEnd:] + p[len(body):]
		found = true
	}
	out := strings.Join(parts, "")
	if !found {
		switch {
		case strings.HasSuffix(out, "\r"):
			out += "\n" // a last line cut after its CR: complete the CRLF
		case out != "" && !strings.HasSuffix(out, "\n"):
			out += eol
		}
		out += k.Name + "=" + enc + eol
	}
	return bom + out // after the checks above: a file of only a BOM is empty
}

// writeAtomic replaces real (path with its links resolved) with data via a
// temporary file in real's folder, keeping real's permission bits. Just
// before the rename it checks that real still holds old, so a change made
// since it was read (by a program that does not take the lock) is not lost.
// Errors name path, the file the user gave.
func writeAtomic(path, real string, old, data []byte) (err error) {
	mode := fs.FileMode(0o600)
	if st, err := os.Stat(real); err == nil {
		mode = st.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(real), "."+filepath.Base(real)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if now, rerr := os.ReadFile(real); rerr != nil || !bytes.Equal(now, old) {
		return &Error{File: path, Msg: "changed while being edited; run again"}
	}
	if err = os.Rename(f.Name(), real); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
