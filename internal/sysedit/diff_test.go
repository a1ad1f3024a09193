package sysedit

import (
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"equal", "a\n", "a\n", ""},
		{"append", "a\nb\n", "a\nb\nc\n", "--- a\n+++ b\n@@ -1,2 +1,3 @@\n a\n b\n+c\n"},
		{"replace middle", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nX\n6\n7\n8\n9\n",
			"--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n"},
		{"no final newline", "a\nb", "a\nb\n", "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
		{"from empty", "", "x\n", "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"},
		{"to empty", "x\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n",
			"--- a\n+++ b\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n@@ -9,4 +10,3 @@\n 9\n 10\n 11\n-12\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unified("a", "b", []byte(tc.old), []byte(tc.new)); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestUnifiedLargeFallsBackToReplace(t *testing.T) {
	var a, b strings.Builder
	for i := range 3000 {
		a.WriteString("a" + strings.Repeat("x", i%7) + "\n")
		b.WriteString("b" + strings.Repeat("x", i%7) + "\n")
	}
	d := Unified("a", "b", []byte(a.String()), []byte(b.String()))
	if strings.Count(d, "\n-") != 3000 || strings.Count(d, "\n+") != 3001 { // +1: the "+++" header
		t.Errorf("unexpected diff size: %d -, %d +", strings.Count(d, "\n-"), strings.Count(d, "\n+"))
	}
}

func TestMatchLineEndings(t *testing.T) {
	for _, tc := range []struct{ old, new, want string }{
		{"a\r\nb\r\n", "a\nb\nc\n", "a\r\nb\r\nc\r\n"},
		{"a\nb\n", "a\nb\nc\n", "a\nb\nc\n"},
		{"", "a\n", "a\n"},
		{"a\r\n", "a\r\nb\n", "a\r\nb\r\n"},
	} {
		if got := string(MatchLineEndings([]byte(tc.old), []byte(tc.new))); got != tc.want {
			t.Errorf("MatchLineEndings(%q, %q) = %q, want %q", tc.old, tc.new, got, tc.want)
		}
	}
}
