package domains

import (
	"bytes"
	"testing"
)

// The seed parses as a list file, every entry valid and none twice.
func TestDirectSeedIsAValidList(t *testing.T) {
	l, errs := ParseList(bytes.NewReader(DirectSeedFile()))
	if len(errs) > 0 {
		t.Fatalf("seed has invalid entries: %v", errs)
	}
	if got := len(l.Domains()); got != len(DirectSeed) {
		t.Fatalf("seed parses to %d domains, want %d (a duplicate?)", got, len(DirectSeed))
	}
}
