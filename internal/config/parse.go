package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/autovpn/autovpn/internal/netx"
)

// EnvPrefix is prepended to a key to name its environment override.
const EnvPrefix = "AUTOVPN_"

// Default returns a Config with every default filled in and no file behind
// it (used by `demo`). Its PREFIX is empty: the caller must set one.
func Default() *Config {
	c := &Config{}
	for _, k := range keys {
		if k.Default != "" || k.EmptyIsValue {
			if err := k.set(c, k.Default); err != nil {
				panic("config: bad default for " + k.Name + ": " + err.Error())
			}
		}
	}
	c.HostsFile = osHostsFile()
	c.deriveDefaults()
	return c
}

// deriveDefaults fills the values that depend on other keys.
func (c *Config) deriveDefaults() {
	if len(c.ServerListen) == 0 {
		c.ServerListen = []string{"[::]:" + strconv.Itoa(int(c.ServerPort))}
	}
	c.Policy = netx.PolicyFromSwitches(c.EnableIPv6, c.PreferIPv6, c.Fallback)
}

func osHostsFile() string {
	if runtime.GOOS == "windows" {
		root := os.Getenv("SystemRoot")
		if root == "" {
			root = `C:\Windows`
		}
		return filepath.Join(root, "System32", "drivers", "etc", "hosts")
	}
	return "/etc/hosts"
}

// Load reads the config file at path, applies AUTOVPN_<KEY> environment
// overrides and defaults, and validates it for role. All problems are
// returned at once, joined, as *Error values; the Config is nil then.
func Load(path string, role Role) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{File: path, Msg: "no such config file; create one with `autovpn config init` (or point --config / AUTOVPN_CONFIG at yours)"}
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c, errs := parse(bytes.NewReader(data), path, filepath.Dir(abs), os.LookupEnv)
	c.Path = abs
	return finish(c, errs, role)
}

// Parse is Load without the disk: r holds config.env, name is its file name
// (for messages; relative paths are resolved against filepath.Dir(name)),
// env looks up overrides (os.LookupEnv, or nil for none).
func Parse(r io.Reader, name string, env func(string) (string, bool), role Role) (*Config, error) {
	c, errs := parse(r, name, filepath.Dir(name), env)
	c.Path = name
	return finish(c, errs, role)
}

func finish(c *Config, errs []*Error, role Role) (*Config, error) {
	if err := c.Validate(role); err != nil {
		errs = append(errs, Errors(err)...)
	}
	if err := joinSorted(errs); err != nil {
		return nil, err
	}
	return c, nil
}

// parse reads r into a Config without validating it as a whole; it returns
// the problems found in single values.
func parse(r io.Reader, name, dir string, env func(string) (string, bool)) (*Config, []*Error) {
	c := Default()
	c.name, c.Dir, c.src = name, dir, map[string]source{}
	data, err := io.ReadAll(r)
	if err != nil {
		return c, []*Error{{File: name, Msg: "read: " + err.Error()}}
	}
	raw, errs := c.readLines(splitLines(string(data)))
	if env != nil {
		for _, k := range keys {
			if v, ok := env(EnvPrefix + k.Name); ok {
				raw[k.Name] = v
				c.src[k.Name] = source{env: EnvPrefix + k.Name}
			}
		}
	}
	listenSet := false
	for _, k := range keys {
		v, ok := raw[k.Name]
		if !ok || (v == "" && !k.EmptyIsValue) {
			continue // unset or empty: keep the default
		}
		listenSet = listenSet || k.Name == "SERVER_LISTEN"
		if err := k.set(c, v); err != nil {
			if k.Secret {
				errs = append(errs, c.errAt(k.Name, "invalid value"))
			} else {
				errs = append(errs, c.errAt(k.Name, "%s", err.Error()))
			}
		}
	}
	if !listenSet {
		c.ServerListen = nil // derive from the effective SERVER_PORT
	}
	c.resolvePaths()
	c.deriveDefaults()
	return c, errs
}

// readLines lexes the file, recording known keys' values (the last line of a
// key wins) and warning about unknown keys and foreign secrets.
func (c *Config) readLines(lines []string) (map[string]string, []*Error) {
	raw := map[string]string{}
	var errs []*Error
	for i, line := range lines {
		n := i + 1
		l := lexLine(line)
		if l.err != "" {
			e := &Error{File: c.name, Line: n, Msg: l.err}
			if l.key != "" {
				e.Key = l.key
			}
			errs = append(errs, e)
			continue
		}
		if l.key == "" {
			continue
		}
		k := lookupKey(l.key)
		if k == nil {
			c.unknownKey(n, l.key, l.value)
			continue
		}
		if prev, ok := c.src[k.Name]; ok {
			c.warnf(&Error{File: c.name, Line: n, Key: l.key, Msg: fmt.Sprintf("%s is also set on line %d; this line wins", k.Name, prev.line)})
		}
		raw[k.Name] = l.value
		c.src[k.Name] = source{line: n}
	}
	return raw, errs
}

func (c *Config) unknownKey(line int, key, value string) {
	e := &Error{File: c.name, Line: line, Key: key}
	if isForeignSecret(key) {
		if value != "" {
			value = masked
		}
		e.Msg = "holds a secret autovpn does not use; you can remove it from this file"
	} else {
		e.Msg = "unknown key, ignored"
	}
	c.warnf(e)
	c.extra = append(c.extra, KV{Key: key, Value: value, Source: fmt.Sprintf("%s:%d (unknown, ignored)", c.name, line), Secret: isForeignSecret(key)})
}

func (c *Config) warnf(e *Error) { c.parseWarn = append(c.parseWarn, e.Error()) }

// resolvePaths makes relative paths relative to the config's folder.
func (c *Config) resolvePaths() {
	if c.Dir == "" {
		return
	}
	for _, k := range keys {
		if !k.Path {
			continue
		}
		if v := k.get(c); v != "" && !filepath.IsAbs(v) {
			_ = k.set(c, filepath.Join(c.Dir, v))
		}
	}
}
