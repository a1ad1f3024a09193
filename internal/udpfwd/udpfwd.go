// Package udpfwd forwards UDP datagrams from a local port to one fixed
// destination over a packet dial function (the tunnel): each local source
// address (a WireGuard client, say) gets its own association, closed after
// it has been idle for a while.
package udpfwd

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autovpn/autovpn/internal/netx"
)

// DefaultIdle closes an association with no traffic either way for this long.
const DefaultIdle = 3 * time.Minute

// Forwarder relays datagrams between local clients and Target.
type Forwarder struct {
	Target       string // "host:port" on the far side, e.g. "127.0.0.1:8443"
	ListenPacket netx.ListenPacketFunc
	Idle         time.Duration // 0 → DefaultIdle
	Log          *slog.Logger
}

// pendingMax bounds the datagrams held for an association whose tunnel
// stream is still being opened; beyond it they are dropped, as a congested
// link would.
const pendingMax = 64

// warnEvery spaces the warnings about failed opens (a tunnel that is down
// would otherwise log one per datagram).
const warnEvery = 10 * time.Second

type assoc struct {
	pc      netx.PacketConn // nil while the open is under way
	pending [][]byte        // datagrams that came during the open
	last    atomic.Int64    // unix nanoseconds of the last datagram either way
}

func (a *assoc) touch() { a.last.Store(time.Now().UnixNano()) }

// Serve relays on pc until ctx ends, then closes pc and every association
// and waits for its goroutines. Each new source's association is opened in
// its own goroutine, so a slow or failing tunnel never holds up the
// datagrams of the sources already flowing.
func (f *Forwarder) Serve(ctx context.Context, pc *net.UDPConn) error {
	log := f.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	idle := f.Idle
	if idle <= 0 {
		idle = DefaultIdle
	}
	var (
		mu       sync.Mutex
		assocs   = map[netip.AddrPort]*assoc{}
		wg       sync.WaitGroup
		lastWarn time.Time
		closing  bool // Serve is ending: opens that finish now close at once
	)
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	defer func() {
		mu.Lock()
		closing = true
		for _, a := range assocs {
			if a.pc != nil {
				a.pc.Close()
			}
		}
		mu.Unlock()
		wg.Wait()
	}()
	open := func(src netip.AddrPort, a *assoc) {
		defer wg.Done()
		tp, err := f.ListenPacket(ctx)
		mu.Lock()
		if err != nil {
			delete(assocs, src) // the next datagram tries again
			warn := time.Since(lastWarn) >= warnEvery
			if warn {
				lastWarn = time.Now()
			}
			mu.Unlock()
			if warn {
				log.Warn("udp forward: no association through the tunnel (repeats within 10 s are not logged)", "src", src, "err", err)
			}
			return
		}
		mu.Unlock()
		// Send what came during the open, in order, before the read loop
		// may send anything newer: a.pc is set only once none is left.
		for {
			mu.Lock()
			pending := a.pending
			a.pending = nil
			if closing || len(pending) == 0 {
				a.pc = tp
				done := closing
				mu.Unlock()
				if done { // Serve is ending and has closed the others already
					tp.Close()
					return
				}
				break
			}
			mu.Unlock()
			for _, d := range pending {
				if _, err := tp.WriteTo(d, f.Target); err != nil {
					log.Debug("udp forward: send failed", "src", src, "err", err)
					break
				}
			}
		}
		f.back(pc, src, a, idle)
		mu.Lock()
		if assocs[src] == a {
			delete(assocs, src)
		}
		mu.Unlock()
	}
	buf := make([]byte, 65535)
	for {
		n, src, err := pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		mu.Lock()
		a := assocs[src]
		if a == nil || a.pc == nil {
			if a == nil {
				a = &assoc{}
				a.touch()
				assocs[src] = a
				wg.Add(1)
				go open(src, a)
			}
			if len(a.pending) < pendingMax {
				a.pending = append(a.pending, append([]byte(nil), buf[:n]...))
			}
			mu.Unlock()
			continue
		}
		mu.Unlock()
		a.touch()
		if _, err := a.pc.WriteTo(buf[:n], f.Target); err != nil {
			log.Debug("udp forward: send failed", "src", src, "err", err)
			a.pc.Close()
		}
	}
}

// back copies datagrams from the tunnel to the local client until the
// association fails or has seen no datagram either way for idle.
func (f *Forwarder) back(pc *net.UDPConn, src netip.AddrPort, a *assoc, idle time.Duration) {
	defer a.pc.Close()
	type deadliner interface{ SetReadDeadline(time.Time) error }
	d, _ := a.pc.(deadliner)
	buf := make([]byte, 65535)
	for {
		if d != nil {
			d.SetReadDeadline(time.Unix(0, a.last.Load()).Add(idle))
		}
		n, _, err := a.pc.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && time.Since(time.Unix(0, a.last.Load())) < idle {
				continue // the client sent since the deadline was set
			}
			return
		}
		a.touch()
		if _, err := pc.WriteToUDPAddrPort(buf[:n], src); err != nil {
			return
		}
	}
}
