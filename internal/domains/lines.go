package domains

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/unicode"
)

// maxFileSize bounds what a parser reads; a route list is far smaller.
const maxFileSize = 64 << 20

// LineError is one rejected line of a list file.
type LineError struct {
	File  string // file name, "" when parsing a reader
	Line  int    // 1-based line number
	Entry string // the offending text
	Err   error
}

func (e *LineError) Error() string {
	where := fmt.Sprintf("line %d", e.Line)
	if e.File != "" {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Entry == "" {
		return fmt.Sprintf("%s: %v", where, e.Err)
	}
	return fmt.Sprintf("%s: %q: %v", where, e.Entry, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// withFile sets File on every *LineError in errs.
func withFile(errs []error, file string) {
	for _, err := range errs {
		if le, ok := err.(*LineError); ok {
			le.File = file
		}
	}
}

// readLines reads r whole and splits it into lines without their line
// endings (LF, CRLF or lone CR). A UTF-8 BOM is dropped and UTF-16 text with
// a BOM (what Windows Notepad may save) is decoded.
func readLines(r io.Reader) ([]string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("larger than %d MiB", maxFileSize>>20)
	}
	if bytes.HasPrefix(b, []byte{0xff, 0xfe}) || bytes.HasPrefix(b, []byte{0xfe, 0xff}) {
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		if b, err = dec.Bytes(b); err != nil {
			return nil, fmt.Errorf("decoding UTF-16: %v", err)
		}
	}
	s := strings.TrimPrefix(string(b), "\ufeff")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// cutComment splits a line into its content and a trailing "# comment". A
// '#' starts a comment at the start of the line or after whitespace, so a
// URL fragment ("https://x.com/#top") stays part of the entry.
func cutComment(line string) (content, comment string) {
	for i := 0; i < len(line); i++ {
		if line[i] != '#' {
			continue
		}
		if i == 0 || line[i-1] == ' ' || line[i-1] == '\t' {
			return strings.TrimSpace(line[:i]), strings.TrimSpace(line[i:])
		}
	}
	return strings.TrimSpace(line), ""
}

// CutComment is how list files split a line into its content and a
// trailing "# comment" (see cutComment), for lines from elsewhere (stdin).
func CutComment(line string) (content, comment string) { return cutComment(line) }
