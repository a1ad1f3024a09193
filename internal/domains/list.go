package domains

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
)

// Entry is one domain of a List with the comments that belong to it: the
// comment lines directly above it and a comment at the end of its line.
type Entry struct {
	Domain   string   // normalised, e.g. "example.com" or "*.example.com"
	Comments []string // whole comment lines above the entry, each starting with '#'
	Inline   string   // "# ..." after the entry on its line, or ""
}

// List is a parsed domain list. The comment block at the top of the file is
// its header; comments between entries travel with the entry below them;
// comments after the last entry stay at the end.
type List struct {
	Header  []string // leading comment lines (blank lines inside kept as "")
	Trailer []string // comment lines after the last entry
	entries map[string]*Entry
}

// NewList returns an empty list.
func NewList() *List { return &List{entries: map[string]*Entry{}} }

// ParseList reads a domain list. Invalid entries are returned as
// *LineError values naming their line; every valid entry is kept.
func ParseList(r io.Reader) (*List, []error) {
	l := NewList()
	lines, err := readLines(r)
	if err != nil {
		return l, []error{err}
	}
	var errs []error
	var pending []string // comment lines waiting for the next entry
	seenEntry := false
	for i, line := range lines {
		content, comment := cutComment(line)
		if content == "" {
			if comment != "" || seenEntry {
				pending = appendComment(pending, comment)
			} else {
				pending = append(pending, "")
			}
			continue
		}
		if !seenEntry {
			l.Header, pending = splitHeader(pending)
			seenEntry = true
		}
		added := 0
		for _, field := range SplitEntries(content) {
			d, err := Normalize(field)
			if err != nil {
				errs = append(errs, &LineError{Line: i + 1, Entry: field, Err: err})
				continue
			}
			if added == 0 {
				l.addWith(d, pending, comment)
				pending = nil
			} else {
				l.addWith(d, nil, "")
			}
			added++
		}
	}
	if seenEntry {
		l.Trailer = trimBlank(pending)
	} else {
		l.Header = trimBlank(pending)
	}
	return l, errs
}

func appendComment(pending []string, comment string) []string {
	if comment == "" {
		return pending // blank lines between entries are not kept: the list is re-sorted
	}
	return append(pending, comment)
}

// splitHeader splits the lines above the first entry: comments directly
// above it (after the last blank line) belong to it, the rest is the header.
// Without a blank line the whole block is the header.
func splitHeader(lines []string) (header, attached []string) {
	last := -1
	for i, l := range lines {
		if l == "" {
			last = i
		}
	}
	if last < 0 || len(trimBlank(lines[:last])) == 0 {
		return trimBlank(lines), nil
	}
	return trimBlank(lines[:last]), lines[last+1:]
}

func trimBlank(lines []string) []string {
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// ReadList reads the domain list at path. A missing file is an empty list;
// invalid entries make an error naming the file and each line.
func ReadList(path string) (*List, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewList(), nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l, errs := ParseList(f)
	withFile(errs, path)
	if len(errs) > 0 {
		return l, errors.Join(errs...)
	}
	return l, nil
}

// Add normalises and adds each entry. It returns the domains that were new
// and an error per invalid entry (naming the entry); valid ones are added.
func (l *List) Add(entries ...string) (added []string, errs []error) {
	for _, e := range entries {
		d, err := Normalize(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if l.addWith(d, nil, "") {
			added = append(added, d)
		}
	}
	return added, errs
}

// addWith adds d with its comments, merging comments into an existing entry.
func (l *List) addWith(d string, comments []string, inline string) bool {
	if e, ok := l.entries[d]; ok {
		e.Comments = append(e.Comments, comments...)
		if e.Inline == "" {
			e.Inline = inline
		}
		return false
	}
	l.entries[d] = &Entry{Domain: d, Comments: comments, Inline: inline}
	return true
}

// Remove normalises and removes each entry with its comments. It returns
// the domains removed and errors for invalid entries and absent domains.
func (l *List) Remove(entries ...string) (removed []string, errs []error) {
	for _, e := range entries {
		d, err := Normalize(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, ok := l.entries[d]; !ok {
			errs = append(errs, fmt.Errorf("%s is not in the list", d))
			continue
		}
		delete(l.entries, d)
		removed = append(removed, d)
	}
	return removed, errs
}

// Contains reports whether the normalised domain d is listed.
func (l *List) Contains(d string) bool { _, ok := l.entries[d]; return ok }

// Len is the number of domains.
func (l *List) Len() int { return len(l.entries) }

// Domains returns the normalised domains, sorted and unique. Wildcards are
// returned as "*.example.com".
func (l *List) Domains() []string {
	out := make([]string, 0, len(l.entries))
	for d := range l.entries {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return domainLess(out[i], out[j]) })
	return out
}

// Entries returns the entries in Domains order.
func (l *List) Entries() []Entry {
	out := make([]Entry, 0, len(l.entries))
	for _, d := range l.Domains() {
		out = append(out, *l.entries[d])
	}
	return out
}

// domainLess sorts by base name, a plain name before its wildcard.
func domainLess(a, b string) bool {
	ab, bb := strings.TrimPrefix(a, "*."), strings.TrimPrefix(b, "*.")
	if ab != bb {
		return ab < bb
	}
	return len(a) < len(b)
}

// Render returns the file text: header, a blank line, the sorted entries
// with their comments, then the trailer. Lines end in "\n".
func (l *List) Render() []byte {
	var b strings.Builder
	for _, h := range l.Header {
		b.WriteString(h + "\n")
	}
	if len(l.Header) > 0 && len(l.entries) > 0 {
		b.WriteString("\n")
	}
	for _, e := range l.Entries() {
		for _, c := range e.Comments {
			b.WriteString(c + "\n")
		}
		b.WriteString(e.Domain)
		if e.Inline != "" {
			b.WriteString(" " + e.Inline)
		}
		b.WriteString("\n")
	}
	for _, t := range l.Trailer {
		b.WriteString(t + "\n")
	}
	return []byte(b.String())
}
