// Package rawsock does the data path's socket reads and writes on
// non-blocking sockets as raw system calls, waiting for readiness through
// the Go runtime's poller as the net package does.
//
// Why: the net package announces every read and write to the scheduler
// (entersyscall/exitsyscall). A loopback write of 256 KiB runs the receiving
// side's TCP processing inline and takes 50–100 µs, long enough for the
// runtime's monitor thread (sysmon) to take the P away and hand it to another
// thread, and to keep itself waking every 20 µs to do so. Profiles of a bulk
// transfer showed that thread alone costing ~0.15 s of CPU per GiB per
// process, and the handoffs more context switches on top. A read or write on
// a non-blocking socket cannot block: it copies what fits and returns, so it
// is safe to run without telling the scheduler, the same bet the runtime
// itself makes for its own short system calls.
//
// On systems other than Linux the functions fall back to the net package.
package rawsock

// ErrWouldBlock is TryRead's answer when nothing is ready. It is a net.Error
// that reports Timeout and Temporary, so a layer above (crypto/tls) treats
// it like an expired deadline: not fatal, and nothing read is lost.
var ErrWouldBlock error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "rawsock: no data ready" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }
