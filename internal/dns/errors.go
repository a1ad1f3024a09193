package dns

import (
	"errors"
	"fmt"

	mdns "github.com/miekg/dns"
)

// Sentinel causes; errors returned by the resolver wrap one of them.
var (
	ErrNotFound = errors.New("not found")      // NXDOMAIN, or the name has no A/AAAA
	ErrServFail = errors.New("server failure") // SERVFAIL, REFUSED or another error rcode
	ErrTimeout  = errors.New("timed out")      // no answer within the timeout
)

// Error is a failed lookup: which name and type, which upstream answered
// last (or "" when the answer came from the cache) and why.
type Error struct {
	Host     string
	Qtype    uint16
	Upstream string
	Err      error
}

func (e *Error) Error() string {
	q := "A/AAAA"
	if e.Qtype != 0 {
		q = mdns.TypeToString[e.Qtype]
	}
	if e.Upstream == "" {
		return fmt.Sprintf("lookup %s %s: %v", e.Host, q, e.Err)
	}
	return fmt.Sprintf("lookup %s %s via %s: %v", e.Host, q, e.Upstream, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// rcodeError maps a response code to a sentinel with the code's name.
func rcodeError(rcode int) error {
	name := mdns.RcodeToString[rcode]
	if rcode == mdns.RcodeNameError {
		return fmt.Errorf("%w (NXDOMAIN)", ErrNotFound)
	}
	if name == "" {
		name = fmt.Sprintf("rcode %d", rcode)
	}
	return fmt.Errorf("%w (%s)", ErrServFail, name)
}
