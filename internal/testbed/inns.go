package testbed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// Do runs f on a fresh OS thread that has joined the host's namespace and
// returns f's error. Only that thread is inside: goroutines f starts run
// elsewhere, in the test's own namespace. Sockets f creates stay in the
// namespace for life, so create them in f and use them from anywhere.
// Do never returns the thread to the scheduler: the goroutine ends while
// locked, and the runtime discards the thread with it.
func (h *Host) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see above
		if err := enterNetns(h.NS); err != nil {
			errc <- err
			return
		}
		errc <- f()
	}()
	return <-errc
}

func enterNetns(ns string) error {
	path := filepath.Join("/run/netns", ns)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open namespace %s: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns %s: %w", path, err)
	}
	return nil
}

// Listen listens on addr (an IP literal and port, e.g. "[::]:0") inside the
// namespace and closes the listener at cleanup.
func (h *Host) Listen(t testing.TB, network, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	err := h.Do(func() (err error) {
		ln, err = net.Listen(network, addr)
		return err
	})
	if err != nil {
		t.Fatalf("%s: listen %s %s: %v", h.Name, network, addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// ListenPacket is Listen for datagram sockets.
func (h *Host) ListenPacket(t testing.TB, network, addr string) net.PacketConn {
	t.Helper()
	var pc net.PacketConn
	err := h.Do(func() (err error) {
		pc, err = net.ListenPacket(network, addr)
		return err
	})
	if err != nil {
		t.Fatalf("%s: listen %s %s: %v", h.Name, network, addr, err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// DialContext dials from inside the namespace; it has the shape of
// netx.DialFunc. A host name is resolved by h.Resolver; the addresses are
// then tried one after the other (no RFC 6555 racing, whose helper
// goroutines would dial from outside the namespace).
func (h *Host) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{FallbackDelay: -1, Resolver: h.Resolver()}
	var c net.Conn
	err := h.Do(func() (err error) {
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// Resolver returns a pure-Go resolver whose queries leave from inside the
// namespace, to the nameserver set with WriteResolvConf (port 53) —
// whatever /etc/resolv.conf of the test process names. Search domains and
// /etc/hosts still come from the test process's own files.
func (h *Host) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			h.mu.Lock()
			ns := h.nameserver
			h.mu.Unlock()
			if !ns.IsValid() {
				return nil, errors.New(h.Name + ": no nameserver: call WriteResolvConf first")
			}
			d := net.Dialer{}
			var c net.Conn
			err := h.Do(func() (err error) {
				c, err = d.DialContext(ctx, network, netip.AddrPortFrom(ns, 53).String())
				return err
			})
			return c, err
		},
	}
}
