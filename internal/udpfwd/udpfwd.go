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

type assoc struct {
	pc netx.PacketConn
}

// Serve relays on pc until ctx ends, then closes pc and every association
// and waits for its goroutines.
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
		mu     sync.Mutex
		assocs = map[netip.AddrPort]*assoc{}
		wg     sync.WaitGroup
	)
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	defer func() {
		mu.Lock()
		for _, a := range assocs {
			a.pc.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
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
		mu.Unlock()
		if a == nil {
			tp, err := f.ListenPacket(ctx)
			if err != nil {
				log.Warn("udp forward: no association through the tunnel", "src", src, "err", err)
				continue
			}
			a = &assoc{pc: tp}
			mu.Lock()
			assocs[src] = a
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.back(pc, src, a, idle)
				mu.Lock()
				if assocs[src] == a {
					delete(assocs, src)
				}
				mu.Unlock()
			}()
		}
		if _, err := a.pc.WriteTo(buf[:n], f.Target); err != nil {
			log.Debug("udp forward: send failed", "src", src, "err", err)
			a.pc.Close()
		}
	}
}

// back copies datagrams from the tunnel to the local client until the
// association fails or goes idle.
func (f *Forwarder) back(pc *net.UDPConn, src netip.AddrPort, a *assoc, idle time.Duration) {
	defer a.pc.Close()
	type deadliner interface{ SetReadDeadline(time.Time) error }
	buf := make([]byte, 65535)
	for {
		if d, ok := a.pc.(deadliner); ok {
			d.SetReadDeadline(time.Now().Add(idle))
		}
		n, _, err := a.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if _, err := pc.WriteToUDPAddrPort(buf[:n], src); err != nil {
			return
		}
	}
}
