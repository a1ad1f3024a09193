// Package hostsfile reads and edits autovpn's block in an OS hosts file: the
// lines between "# BEGIN AUTOVPN" and "# END AUTOVPN". Every byte outside the
// block is kept as it was (line endings, tabs, comments, junk lines, a missing
// final newline). It also recognises the older toolkit's "# AUTOVPN自动写入"
// block and migrates it. It is pure: bytes in, bytes out; sysedit writes.
package hostsfile

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"strings"
)

// Markers of autovpn's block, and of the older toolkit's.
const (
	BeginMarker  = "# BEGIN AUTOVPN"
	EndMarker    = "# END AUTOVPN"
	LegacyMarker = "# AUTOVPN自动写入"
)

// File is a parsed hosts file.
type File struct {
	lines []string // every line with its own terminator ("\n", "\r\n" or none)
	eol   string   // line ending for new lines: the file's own
	// begin..end (inclusive) is autovpn's block, or -1.
	begin, end int
	// legacyBegin..legacyEnd (inclusive) is the older toolkit's block, or -1.
	legacyBegin, legacyEnd int
}

// Parse reads a hosts file. It fails only on broken markers (a BEGIN without
// END, two blocks), which a human must fix: guessing would risk user lines.
func Parse(r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	f := &File{lines: slices.Collect(strings.Lines(string(data))), eol: detectEOL(data), begin: -1, end: -1, legacyBegin: -1, legacyEnd: -1}
	if err := f.findBlock(); err != nil {
		return nil, err
	}
	f.findLegacy()
	return f, nil
}

func (f *File) findBlock() error {
	for i, l := range f.lines {
		switch markerOf(l) {
		case BeginMarker:
			if f.begin >= 0 {
				return fmt.Errorf("line %d: a second %q (the first is on line %d); remove one block by hand", i+1, BeginMarker, f.begin+1)
			}
			f.begin = i
		case EndMarker:
			if f.begin < 0 || f.end >= 0 {
				return fmt.Errorf("line %d: %q without %q before it; remove the line or add the marker", i+1, EndMarker, BeginMarker)
			}
			f.end = i
		}
	}
	if f.begin >= 0 && f.end < 0 {
		return fmt.Errorf("line %d: %q without %q after it; add the end marker where autovpn's entries stop", f.begin+1, BeginMarker, EndMarker)
	}
	return nil
}

// findLegacy finds the older toolkit's block. Assumption (its scripts are not
// kept): it appended the marker comment line followed by its entries, so
// the block is the marker plus the entry lines after it up to the first
// blank line, comment line or end of file.
func (f *File) findLegacy() {
	for i, l := range f.lines {
		if f.begin >= 0 && i >= f.begin && i <= f.end {
			continue
		}
		if !legacyMarker.MatchString(markerOf(l)) {
			continue
		}
		j := i
		for j+1 < len(f.lines) && (f.begin < 0 || j+1 < f.begin) {
			t := markerOf(f.lines[j+1])
			if t == "" || strings.HasPrefix(t, "#") {
				break
			}
			j++
		}
		f.legacyBegin, f.legacyEnd = i, j
		return
	}
}

// legacyMarker is LegacyMarker with any run of blanks (or none) after the
// "#" and between its two words: "AUTOVPN" itself must be intact, so a user's
// comment such as "# AUTOVP N自动写入" is never taken for it.
var legacyMarker = regexp.MustCompile(`^#[ \t]*AUTOVPN[ \t]*自动写入`)

// markerOf is a line without its line ending and surrounding blanks.
func markerOf(l string) string { return strings.Trim(l, " \t\r\n") }

// detectEOL picks CRLF when most line endings are CRLF; with no line ending
// at all, the OS convention.
func detectEOL(data []byte) string {
	crlf, lf := bytes.Count(data, []byte("\r\n")), bytes.Count(data, []byte("\n"))
	switch {
	case lf == 0 && runtime.GOOS == "windows":
		return "\r\n"
	case crlf > 0 && 2*crlf >= lf:
		return "\r\n"
	}
	return "\n"
}

// HasBlock reports whether the file holds autovpn's block or the older one.
func (f *File) HasBlock() bool { return f.begin >= 0 || f.legacyBegin >= 0 }

// HasLegacy reports whether the older toolkit's block is present.
func (f *File) HasLegacy() bool { return f.legacyBegin >= 0 }

// Block returns autovpn's block as it is in the file, markers included, or
// nil when there is none. Backups keep it; WithBlock puts it back. When only
// the older toolkit's block is there, its entries come back as autovpn's
// block: a backup taken before the first `hosts apply` (which replaces the
// older block) then restores them.
func (f *File) Block() []byte {
	if f.begin < 0 {
		if f.legacyBegin >= 0 {
			return RenderBlock(f.Entries(), f.eol)
		}
		return nil
	}
	return []byte(strings.Join(f.lines[f.begin:f.end+1], ""))
}
