package config

import "strings"

// lexed is one line of config.env.
type lexed struct {
	key   string // as written; "" for blank and comment lines
	value string // unquoted value
	// valStart/valEnd delimit the raw value (quotes included) in the line,
	// so an edit can replace exactly it and keep everything else.
	valStart, valEnd int
	err              string // why the line is not KEY=VALUE (never echoes it)
}

// lexLine splits one line (without its line ending) into key and value.
// Accepted: blank lines, `# comments`, `KEY=VALUE`, `export KEY=VALUE`,
// spaces around `=`, "double" or 'single' quoted values (no escapes), and a
// trailing `# comment` after a value. An unquoted value's `#` starts a
// comment only at the start or after whitespace, as in a shell, so
// `PASS=a#b` keeps its `#`.
func lexLine(s string) lexed {
	i := skipSpace(s, 0)
	if i == len(s) || s[i] == '#' {
		return lexed{}
	}
	if rest, ok := strings.CutPrefix(s[i:], "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		i = skipSpace(s, i+len("export"))
	}
	eq := strings.IndexByte(s[i:], '=')
	if eq < 0 {
		return lexed{err: `expected KEY=VALUE (this line has no "=")`}
	}
	key := strings.TrimRight(s[i:i+eq], " \t")
	if !validKeyName(key) {
		return lexed{err: `the text before "=" is not a key name (letters, digits and _)`}
	}
	l := lexed{key: key}
	k := skipSpace(s, i+eq+1)
	l.valStart, l.valEnd = k, k
	if k == len(s) {
		return l
	}
	if q := s[k]; q == '"' || q == '\'' {
		end := strings.IndexByte(s[k+1:], q)
		if end < 0 {
			l.err = "unterminated quote: close the value with " + string(q)
			return l
		}
		l.value, l.valEnd = s[k+1:k+1+end], k+2+end
		if after := skipSpace(s, l.valEnd); after < len(s) && s[after] != '#' {
			l.err = "unexpected text after the closing quote (put a space before a # comment)"
		}
		return l
	}
	m := k
	for m < len(s) && !(s[m] == '#' && (m == k || s[m-1] == ' ' || s[m-1] == '\t')) {
		m++
	}
	l.value = strings.TrimRight(s[k:m], " \t")
	l.valEnd = k + len(l.value)
	return l
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func validKeyName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// splitLines splits data into lines without their endings ("\n" or "\r\n"),
// dropping a UTF-8 byte order mark. A final line ending yields no extra line.
func splitLines(data string) []string {
	data = strings.TrimPrefix(data, "\ufeff")
	lines := strings.Split(data, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}
