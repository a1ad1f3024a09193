package sysedit

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// maxLCSCells bounds the quadratic part of the diff; beyond it the changed
// middle is shown as one replacement (still correct, less minimal).
const maxLCSCells = 4_000_000

const diffContext = 3

type op struct {
	kind byte // ' ', '-', '+'
	line string
}

// Unified returns a unified diff of old and new under the given names, or
// "" when they are equal. Lines are compared with their line endings, so a
// change of LF to CRLF shows.
func Unified(oldName, newName string, old, new []byte) string {
	if bytes.Equal(old, new) {
		return ""
	}
	a, b := slices.Collect(strings.Lines(string(old))), slices.Collect(strings.Lines(string(new)))
	ops := diffLines(a, b)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", oldName, newName)
	for _, h := range hunks(ops) {
		writeHunk(&out, ops, h)
	}
	return out.String()
}

func diffLines(a, b []string) []op {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	var ops []op
	for _, l := range a[:p] {
		ops = append(ops, op{' ', l})
	}
	ops = append(ops, lcs(a[p:len(a)-s], b[p:len(b)-s])...)
	for _, l := range a[len(a)-s:] {
		ops = append(ops, op{' ', l})
	}
	return ops
}

func lcs(a, b []string) []op {
	if len(a)*len(b) > maxLCSCells || len(a) == 0 || len(b) == 0 {
		ops := make([]op, 0, len(a)+len(b))
		for _, l := range a {
			ops = append(ops, op{'-', l})
		}
		for _, l := range b {
			ops = append(ops, op{'+', l})
		}
		return ops
	}
	w := len(b) + 1
	t := make([]int32, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i*w+j] = t[(i+1)*w+j+1] + 1
			} else {
				t[i*w+j] = max(t[(i+1)*w+j], t[i*w+j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i, j = i+1, j+1
		case t[(i+1)*w+j] >= t[i*w+j+1]:
			ops = append(ops, op{'-', a[i]})
			i++
		default:
			ops = append(ops, op{'+', b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		ops = append(ops, op{'-', a[i]})
	}
	for ; j < len(b); j++ {
		ops = append(ops, op{'+', b[j]})
	}
	return ops
}

// hunks returns [start, end) ranges of ops to print, changes plus context.
func hunks(ops []op) [][2]int {
	var hs [][2]int
	for i, o := range ops {
		if o.kind == ' ' {
			continue
		}
		lo, hi := max(0, i-diffContext), min(len(ops), i+1+diffContext)
		if n := len(hs); n > 0 && lo <= hs[n-1][1] {
			hs[n-1][1] = hi
			continue
		}
		hs = append(hs, [2]int{lo, hi})
	}
	return hs
}

func writeHunk(out *strings.Builder, ops []op, h [2]int) {
	aStart, bStart := 1, 1
	for _, o := range ops[:h[0]] {
		if o.kind != '+' {
			aStart++
		}
		if o.kind != '-' {
			bStart++
		}
	}
	var aN, bN int
	for _, o := range ops[h[0]:h[1]] {
		if o.kind != '+' {
			aN++
		}
		if o.kind != '-' {
			bN++
		}
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aStart, aN), hunkRange(bStart, bN))
	for _, o := range ops[h[0]:h[1]] {
		out.WriteByte(o.kind)
		line := strings.TrimSuffix(strings.TrimSuffix(o.line, "\n"), "\r")
		out.WriteString(line)
		out.WriteByte('\n')
		if !strings.HasSuffix(o.line, "\n") {
			out.WriteString("\\ No newline at end of file\n")
		}
	}
}

func hunkRange(start, n int) string {
	if n == 0 {
		start--
	}
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// MatchLineEndings makes generated text follow the line endings of the file
// it replaces: LF becomes CRLF when old mostly uses CRLF.
func MatchLineEndings(old, new []byte) []byte {
	crlf := bytes.Count(old, []byte("\r\n"))
	if crlf == 0 || crlf*2 < bytes.Count(old, []byte("\n")) {
		return new
	}
	n := bytes.ReplaceAll(new, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(n, []byte("\n"), []byte("\r\n"))
}

// MaskDiff rewrites the body of every added, removed and context line of the
// unified diff d with mask (which masks a secret's value, or returns the
// line as it is); the file headers, hunk headers and "\ No newline" notes
// stay. Dry runs print their diffs through it, so that no secret shows.
func MaskDiff(d string, mask func(line string) string) string {
	var b strings.Builder
	for i, line := range strings.SplitAfter(d, "\n") {
		if i < 2 || line == "" || line[0] == '@' || line[0] == '\\' {
			b.WriteString(line)
			continue
		}
		body, nl := strings.CutSuffix(line[1:], "\n")
		b.WriteByte(line[0])
		b.WriteString(mask(body))
		if nl {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
