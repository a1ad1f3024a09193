package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SetKey sets key (aliases accepted) to value in the config file at path and
// keeps every other byte of the file: the value is replaced in place on each
// line that sets the key (an inline comment stays), or `KEY=value` is
// appended. The key must be known and the value must parse for it. The file
// is replaced atomically and keeps its mode.
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
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Error{File: path, Msg: "no such config file; create one with `autovpn config init`"}
	}
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	return writeAtomic(path, []byte(setInText(string(data), k, enc)))
}

// checkValue parses value for k alone, on a scratch Config, and applies the
// single-key checks Validate would make.
func checkValue(k *keyDef, value string) error {
	c := Default()
	// Fill the keys that are checked together so only k's own problems show.
	c.Prefix, c.User, c.Pass = strings.Repeat("x", MinPrefixLen), "u", "p"
	if value == "" && !k.EmptyIsValue {
		return nil // empty means the default
	}
	if err := k.set(c, value); err != nil {
		if k.Secret {
			return errors.New("invalid value")
		}
		return err
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

// writeAtomic replaces path with data via a temporary file in the same
// folder, keeping path's permission bits.
func writeAtomic(path string, data []byte) (err error) {
	mode := fs.FileMode(0o600)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
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
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
