package hostsfile

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strings"
)

// Apply returns the file with autovpn's block holding entries (the older
// block, if any, is replaced by it). An empty entries list still writes an
// empty block; use Clear to remove it.
func (f *File) Apply(entries []Entry) []byte {
	return f.replace(RenderBlock(entries, f.eol))
}

// Clear returns the file without autovpn's block and without the older one,
// byte for byte as it was before Apply added it.
func (f *File) Clear() []byte { return f.replace(nil) }

// WithBlock returns the file with autovpn's block replaced by block (as
// returned by Block, e.g. from a backup); nil or empty clears it.
func (f *File) WithBlock(block []byte) ([]byte, error) {
	if len(block) == 0 {
		return f.Clear(), nil
	}
	ls := strings.Split(strings.TrimRight(string(block), "\r\n"), "\n")
	for i := range ls {
		ls[i] = strings.TrimSuffix(ls[i], "\r")
	}
	if markerOf(ls[0]) != BeginMarker || markerOf(ls[len(ls)-1]) != EndMarker {
		return nil, fmt.Errorf("saved hosts block does not start with %q and end with %q", BeginMarker, EndMarker)
	}
	return f.replace([]byte(strings.Join(ls, f.eol) + f.eol)), nil
}

// replace puts block (complete lines, each ending in f.eol; nil = none) where
// the block is, or at the end of the file. At the end of a file that lacks a
// final newline, the block goes on a new line and carries no final newline
// itself, so that removing it gives back the original bytes.
func (f *File) replace(block []byte) []byte {
	start, stop := len(f.lines), len(f.lines) // the region replaced: [start, stop)
	switch {
	case f.begin >= 0:
		start, stop = f.begin, f.end+1
	case f.legacyBegin >= 0:
		start, stop = f.legacyBegin, f.legacyEnd+1
	}
	var before, after strings.Builder
	for i, l := range f.lines {
		switch {
		case f.legacyBegin >= 0 && i >= f.legacyBegin && i <= f.legacyEnd:
		case i < start:
			before.WriteString(l)
		case i >= stop:
			after.WriteString(l)
		}
	}
	atEOF := after.Len() == 0
	unterminated := atEOF && stop > start && !strings.HasSuffix(f.lines[stop-1], "\n")
	b, a := before.String(), after.String()
	if block == nil {
		if unterminated {
			b = strings.TrimSuffix(b, f.eol)
		}
		return []byte(b + a)
	}
	if atEOF {
		if b != "" && !strings.HasSuffix(b, "\n") {
			b += f.eol
			unterminated = true
		}
		if unterminated {
			block = bytes.TrimSuffix(block, []byte(f.eol))
		}
	}
	return []byte(b + string(block) + a)
}

// Entries lists the address-name pairs in autovpn's block (or the older
// block), one per name, in file order. Lines that are not entries are skipped.
func (f *File) Entries() []Entry {
	lo, hi := f.begin, f.end
	if lo < 0 {
		lo, hi = f.legacyBegin, f.legacyEnd
	}
	if lo < 0 {
		return nil
	}
	var es []Entry
	for _, l := range f.lines[lo : hi+1] {
		es = append(es, parseEntry(l)...)
	}
	return es
}

func parseEntry(line string) []Entry {
	line, _, _ = strings.Cut(line, "#")
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return nil
	}
	ip, err := netip.ParseAddr(fields[0])
	if err != nil {
		return nil
	}
	var es []Entry
	for _, n := range fields[1:] {
		es = append(es, Entry{IP: ip, Name: n})
	}
	return es
}

// Render writes the entries of a block as "IP<TAB>name" lines.
func renderEntries(w *bufio.Writer, entries []Entry, eol string) {
	for _, e := range entries {
		w.WriteString(e.IP.String())
		w.WriteByte('\t')
		w.WriteString(e.Name)
		w.WriteString(eol)
	}
}
