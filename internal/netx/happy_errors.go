package netx

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
)

// ClassifyDialError maps a dial error to a result code: a *DialError keeps
// its code; connection refused → Refused; network unreachable →
// NetUnreachable; no route to host → HostUnreachable; timeouts and context
// deadlines → Timeout; address not available or family not supported
// (the host lacks that family) → NoFamily; a DNS "not found" → NotFound;
// anything else → GeneralFailure. nil → OK.
func ClassifyDialError(err error) Code {
	if err == nil {
		return OK
	}
	var de *DialError
	if errors.As(err, &de) {
		return de.Code
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return NotFound
		case dnsErr.IsTimeout:
			return Timeout
		}
		return GeneralFailure
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return Timeout
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		for _, e := range errnoCodes {
			if errno == e.errno {
				return e.code
			}
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Timeout
	}
	return GeneralFailure
}

type errnoCode struct {
	errno syscall.Errno
	code  Code
}

// failureRank orders codes by how much a failure tells the user: an error
// from the far end (a TLS or WebSocket failure of a custom attempt, a
// policy answer) means the address was reached and beats "refused" (the
// host answered), which beats a timeout, which beats "unreachable" (a
// local routing verdict), which beats "this host lacks the family".
func failureRank(c Code) int {
	switch c {
	case NoFamily:
		return 0
	case NetUnreachable:
		return 1
	case HostUnreachable:
		return 2
	case Timeout:
		return 3
	case Refused:
		return 4
	}
	return 5
}

// bestFailure picks the most telling failure (highest failureRank); ties go
// to the attempt started first, so with equal causes the error is the one
// of the preferred family's first address.
func bestFailure(fs []attemptFailure) (attemptFailure, bool) {
	if len(fs) == 0 {
		return attemptFailure{}, false
	}
	best := fs[0]
	for _, f := range fs[1:] {
		rf, rb := failureRank(ClassifyDialError(f.err)), failureRank(ClassifyDialError(best.err))
		if rf > rb || rf == rb && f.seq < best.seq {
			best = f
		}
	}
	return best, true
}

func otherFailures(fs []attemptFailure, best attemptFailure) []attemptFailure {
	out := make([]attemptFailure, 0, len(fs))
	for _, f := range fs {
		if f.addr != best.addr {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b attemptFailure) int { return a.seq - b.seq })
	return out
}

// opError wraps err as the standard library does, naming the address
// ("dial tcp [2001:db8::1]:443: ..."), unless it already is a *net.OpError.
func opError(addr netip.AddrPort, err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return err
	}
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: err}
}

// dialFailure is the error of a race that did not connect. It reads as the
// most telling attempt's error (plus the others, briefly), unwraps to it for
// errors.Is, and converts to a *DialError for errors.As (so CodeOf works).
type dialFailure struct {
	code    Code
	subject string
	err     error
	others  []attemptFailure
}

const maxOthersInError = 3

func (e *dialFailure) Error() string {
	if len(e.others) == 0 {
		return e.err.Error()
	}
	var b strings.Builder
	b.WriteString(e.err.Error())
	b.WriteString(" (also failed: ")
	for i, f := range e.others {
		if i == maxOthersInError {
			b.WriteString("; …")
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.addr.String() + ": " + innerText(f.err))
	}
	b.WriteString(")")
	return b.String()
}

func (e *dialFailure) Unwrap() error { return e.err }

// As lets errors.As(err, &dialErr) and so CodeOf see the result code.
func (e *dialFailure) As(target any) bool {
	p, ok := target.(**DialError)
	if !ok {
		return false
	}
	*p = &DialError{Code: e.code, Addr: e.subject, Msg: innerText(e.err)}
	return true
}

// innerText is err's text without the "dial tcp ADDR: " prefix.
func innerText(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}
