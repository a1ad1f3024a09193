// Package wgconf reads and edits a WireGuard client config (wg-quick format)
// without losing anything: every line, comment, section and key it does not
// manage stays byte for byte. Sync points the tunnel peer at the local UDP
// forward and routes the listed addresses (IPv4 /32, IPv6 /128) plus the
// tunnel subnet through it. It is pure: bytes in, bytes out.
package wgconf

import (
	"bytes"
	"io"
	"strings"
)

type lineKind int

const (
	kindOther   lineKind = iota // blank, comment or junk: kept as is
	kindSection                 // [Name]
	kindKey                     // Key = Value
)

type line struct {
	raw     string // the whole line with its terminator
	kind    lineKind
	name    string // section name or key, as written
	value   string // key value without comment and blanks
	comment string // "# ..." after the value, if any
	indent  string
}

// Conf is a parsed WireGuard config.
type Conf struct {
	lines []*line
	eol   string
}

// Parse reads a config. It never rejects a line: unknown content is kept;
// Validate says what is wrong with the result.
func Parse(r io.Reader) (*Conf, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	c := &Conf{eol: "\n"}
	if crlf := bytes.Count(data, []byte("\r\n")); crlf > 0 && 2*crlf >= bytes.Count(data, []byte("\n")) {
		c.eol = "\r\n"
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			i = len(data) - 1
		}
		c.lines = append(c.lines, parseLine(string(data[:i+1])))
		data = data[i+1:]
	}
	return c, nil
}

func parseLine(raw string) *line {
	l := &line{raw: raw}
	body := strings.TrimRight(raw, "\r\n")
	content, comment, hasComment := strings.Cut(body, "#")
	if hasComment {
		l.comment = "#" + comment
	}
	t := strings.TrimSpace(content)
	l.indent = content[:len(content)-len(strings.TrimLeft(content, " \t"))]
	switch {
	case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
		l.kind, l.name = kindSection, strings.TrimSpace(t[1:len(t)-1])
	case strings.Contains(t, "="):
		k, v, _ := strings.Cut(t, "=")
		l.kind, l.name, l.value = kindKey, strings.TrimSpace(k), strings.TrimSpace(v)
		if l.name == "" {
			l.kind = kindOther
		}
	}
	return l
}

// Bytes renders the config.
func (c *Conf) Bytes() []byte {
	var b strings.Builder
	for _, l := range c.lines {
		b.WriteString(l.raw)
	}
	return []byte(b.String())
}

// section is a [Name] header line index and the end (exclusive) of its lines.
type section struct {
	name       string
	head, stop int
}

func (c *Conf) sections() []section {
	var ss []section
	for i, l := range c.lines {
		if l.kind != kindSection {
			continue
		}
		if n := len(ss); n > 0 {
			ss[n-1].stop = i
		}
		ss = append(ss, section{name: strings.ToLower(l.name), head: i, stop: len(c.lines)})
	}
	return ss
}

func (c *Conf) sectionsNamed(name string) []section {
	var out []section
	for _, s := range c.sections() {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}

// get returns the values of key (case-insensitive) in s with their line indexes.
func (c *Conf) get(s section, key string) (vals []string, idx []int) {
	for i := s.head + 1; i < s.stop; i++ {
		if l := c.lines[i]; l.kind == kindKey && strings.EqualFold(l.name, key) {
			vals, idx = append(vals, l.value), append(idx, i)
		}
	}
	return vals, idx
}

// set makes key hold values in s: one line per value, replacing the first
// existing line and dropping the others; added after the section's last
// key when missing. Inline comments and indentation of the first line stay.
func (c *Conf) set(s section, key string, values ...string) {
	noFinalNL := len(c.lines) > 0 && !strings.HasSuffix(c.lines[len(c.lines)-1].raw, "\n")
	defer func() {
		if last := c.lines[len(c.lines)-1]; noFinalNL {
			last.raw = strings.TrimSuffix(last.raw, c.eol)
		}
	}()
	_, idx := c.get(s, key)
	at, indent, comment, name := -1, "", "", key
	if len(idx) > 0 {
		first := c.lines[idx[0]]
		at, indent, comment, name = idx[0], first.indent, first.comment, first.name
	} else {
		at = s.head + 1
		for i := s.head + 1; i < s.stop; i++ {
			if c.lines[i].kind == kindKey {
				at = i + 1
			}
		}
		if at > 0 && !strings.HasSuffix(c.lines[at-1].raw, "\n") {
			c.lines[at-1].raw += c.eol
		}
	}
	var repl []*line
	for i, v := range values {
		raw := indent + name + " = " + v
		if i == 0 && comment != "" {
			raw += " " + comment
		}
		repl = append(repl, parseLine(raw+c.eol))
	}
	drop := map[int]bool{}
	for _, i := range idx {
		drop[i] = true
	}
	var out []*line
	for i, l := range c.lines {
		if i == at {
			out = append(out, repl...)
		}
		if !drop[i] {
			out = append(out, l)
		}
	}
	if at == len(c.lines) {
		out = append(out, repl...)
	}
	c.lines = out
}
