package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Role says what the config is for; validation differs between the two ends.
type Role int

const (
	RoleAny    Role = iota // only checks that hold for both ends (config set, show)
	RoleServer             // `autovpn server`: TLS needs TLS_CERT and TLS_KEY files
	RoleClient             // `autovpn client`: needs a way to reach the server
)

func (r Role) String() string {
	switch r {
	case RoleServer:
		return "server"
	case RoleClient:
		return "client"
	}
	return "any"
}

// ParseRole is the inverse of Role.String.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(s) {
	case "server":
		return RoleServer, nil
	case "client":
		return RoleClient, nil
	case "any", "":
		return RoleAny, nil
	}
	return RoleAny, fmt.Errorf("role %q: want server, client or any", s)
}

// Error is one problem in a config: `file:line: KEY: msg`, with the parts
// that are unknown left out. Msg never holds a secret value.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors returns the individual *Error values inside err (as joined by Load,
// Parse and Validate), in order.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var e *Error
		if errors.As(err, &e) {
			out = append(out, e)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// source is where a key's effective value came from.
type source struct {
	line int    // line in the file (0: not from the file)
	env  string // environment variable name, when the value came from there
}

// errAt builds an *Error for key in c, located where the key was set.
func (c *Config) errAt(key, format string, a ...any) *Error {
	e := &Error{File: c.name, Key: key, Msg: fmt.Sprintf(format, a...)}
	if s, ok := c.src[key]; ok {
		switch {
		case s.env != "":
			e.File, e.Key = "environment", s.env
		default:
			e.Line = s.line
		}
	}
	return e
}

// joinSorted joins errs ordered by line (problems without a line last), so a
// user fixes the file from the top.
func joinSorted(errs []*Error) error {
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool {
		li, lj := errs[i].Line, errs[j].Line
		if (li == 0) != (lj == 0) {
			return lj == 0
		}
		return li < lj
	})
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// quote shows a (non-secret) value in a message, shortened if long.
func quote(v string) string {
	const max = 64
	if len(v) > max {
		v = v[:max] + "..."
	}
	return fmt.Sprintf("%q", v)
}
