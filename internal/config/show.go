package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// masked replaces a secret value wherever one would be shown.
const masked = "********"

// KV is one effective key for `config show`.
type KV struct {
	Key    string
	Value  string // already masked when Secret
	Source string // "default", "config.env:12", "$AUTOVPN_PREFIX", ...
	Secret bool
}

// Masked lists every key with its effective value and where it came from,
// secrets replaced by ********, then the file's unknown keys (ignored; the
// values of secret-looking ones masked too).
func (c *Config) Masked() []KV {
	out := make([]KV, 0, len(keys)+len(c.extra))
	for _, k := range keys {
		kv := KV{Key: k.Name, Value: k.get(c), Source: "default", Secret: k.Secret}
		if k.Secret && kv.Value != "" {
			kv.Value = masked
		}
		if s, ok := c.src[k.Name]; ok {
			if s.env != "" {
				kv.Source = "$" + s.env
			} else {
				kv.Source = fmt.Sprintf("%s:%d", c.name, s.line)
			}
		}
		out = append(out, kv)
	}
	return append(out, c.extra...)
}

// Value returns the effective value of key (aliases accepted) as text, the
// way config.env would hold it; secrets are returned in clear.
func (c *Config) Value(key string) (string, error) {
	k := lookupKey(key)
	if k == nil {
		return "", unknownKeyError(key)
	}
	return k.get(c), nil
}

// GetKey reads the config at path (with environment overrides and defaults)
// and returns key's effective value. Problems in other keys do not matter;
// a problem in this key's own value is returned.
func GetKey(path, key string) (string, error) {
	k := lookupKey(key)
	if k == nil {
		return "", unknownKeyError(key)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", &Error{File: path, Msg: "no such config file; create one with `autovpn config init`"}
	}
	if err != nil {
		return "", fmt.Errorf("read config: %w", err)
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(path); err == nil {
		dir = filepath.Dir(abs)
	}
	c, errs := parse(bytes.NewReader(data), path, dir, os.LookupEnv)
	for _, e := range errs {
		if lookupKey(e.Key) == k || e.Key == EnvPrefix+k.Name {
			return "", e
		}
	}
	return k.get(c), nil
}

func unknownKeyError(key string) *Error {
	return &Error{Key: key, Msg: "unknown key; `autovpn config show` lists the keys"}
}
