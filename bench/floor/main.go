// Command floor holds the reference proxies of bench/floor.sh, which runs
// tunbench's latency and bulk measurements through them side by side with
// autovpn and direct TCP, to show what the path itself costs on a machine:
// the smallest program with autovpn's hop count, and a one-hop SOCKS5 proxy.
//
//	floor front -listen ADDR -next BACK   SOCKS5 entry (no auth, CONNECT to an
//	                                      IP literal); each connection takes
//	                                      a TCP connection to BACK from a warm
//	                                      pool (opened ahead, as a tunnel's
//	                                      streams cost no handshake)
//	floor front -early ...                answers the SOCKS5 request at once,
//	                                      before BACK's status (what an
//	                                      optimistic proxy does; it can no
//	                                      longer report a failed dial)
//	floor back  -listen BACK              reads the target, dials it, answers
//	                                      one status byte, then relays
//	floor front|back -tls ...             the front-back leg over TLS 1.3
//	                                      (crypto/tls, a self-signed key made
//	                                      at start; front does not verify it)
//	floor socks -listen ADDR              a one-hop SOCKS5 proxy (no tunnel)
//
// front + back make the same sequence of process wake-ups as autovpn's
// client + server (SOCKS5 greeting, request, open at the far end, its
// answer, SOCKS5 reply, then the echo through both), with nothing else:
// no WebSocket, no multiplexing, no policy, no metrics, blocking
// goroutine-per-connection code with io.Copy. It is a measuring stick, not a
// product: it has no authentication, no error mapping and no limits.
package main

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"sync"

	"github.com/autovpn/autovpn/internal/tlsutil"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: floor front|back|socks -listen ADDR [-next BACK]")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	next := fs.String("next", "", "back's address (front only)")
	early := fs.Bool("early", false, "answer SOCKS5 before back's status (front only)")
	useTLS := fs.Bool("tls", false, "TLS between front and back")
	_ = fs.Parse(os.Args[2:])
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	dial := func() (net.Conn, error) { return net.Dial("tcp", *next) }
	if *useTLS {
		switch os.Args[1] {
		case "back":
			certPEM, keyPEM, err := tlsutil.GenerateSelfSigned([]string{"localhost"})
			if err != nil {
				log.Fatal(err)
			}
			cert, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				log.Fatal(err)
			}
			ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
		case "front":
			// A measuring stick on loopback: the key is made at the back's
			// start, so there is nothing to verify it against.
			cfg := &tls.Config{InsecureSkipVerify: true}
			dial = func() (net.Conn, error) { return tls.Dial("tcp", *next, cfg) }
		}
	}
	var handle func(net.Conn) error
	switch os.Args[1] {
	case "front":
		pool := make(chan net.Conn, 64)
		go func() {
			for {
				c, err := dial()
				if err != nil {
					log.Fatal(err)
				}
				pool <- c
			}
		}()
		handle = func(c net.Conn) error { return front(c, pool, *early) }
	case "back":
		handle = back
	case "socks":
		handle = socks
	default:
		log.Fatalf("unknown role %q", os.Args[1])
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			if err := handle(c); err != nil && !errors.Is(err, io.EOF) {
				log.Print(err)
			}
		}()
	}
}

// request reads a SOCKS5 greeting and CONNECT request for an IP literal
// and answers the greeting.
func request(c net.Conn) (netip.AddrPort, error) {
	var b [262]byte
	if _, err := io.ReadFull(c, b[:2]); err != nil {
		return netip.AddrPort{}, err
	}
	if _, err := io.ReadFull(c, b[:b[1]]); err != nil {
		return netip.AddrPort{}, err
	}
	if _, err := c.Write([]byte{5, 0}); err != nil {
		return netip.AddrPort{}, err
	}
	if _, err := io.ReadFull(c, b[:4]); err != nil {
		return netip.AddrPort{}, err
	}
	var n int
	switch b[3] {
	case 1:
		n = 4
	case 4:
		n = 16
	default:
		return netip.AddrPort{}, fmt.Errorf("address type %d", b[3])
	}
	if _, err := io.ReadFull(c, b[:n+2]); err != nil {
		return netip.AddrPort{}, err
	}
	ip, _ := netip.AddrFromSlice(b[:n])
	return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[n:])), nil
}

var okReply = []byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0}

func socks(c net.Conn) error {
	defer c.Close()
	dst, err := request(c)
	if err != nil {
		return err
	}
	t, err := net.Dial("tcp", dst.String())
	if err != nil {
		return err
	}
	if _, err := c.Write(okReply); err != nil {
		t.Close()
		return err
	}
	relay(c, t)
	return nil
}

func front(c net.Conn, pool chan net.Conn, early bool) error {
	defer c.Close()
	dst, err := request(c)
	if err != nil {
		return err
	}
	t := <-pool
	b := dst.Addr().As16()
	open := binary.BigEndian.AppendUint16(b[:], dst.Port())
	if _, err := t.Write(open); err != nil {
		t.Close()
		return err
	}
	if early {
		if _, err := c.Write(okReply); err != nil {
			t.Close()
			return err
		}
	}
	var st [1]byte
	if _, err := io.ReadFull(t, st[:]); err != nil || st[0] != 0 {
		t.Close()
		return fmt.Errorf("open %v: status %d, %v", dst, st[0], err)
	}
	if !early {
		if _, err := c.Write(okReply); err != nil {
			t.Close()
			return err
		}
	}
	relay(c, t)
	return nil
}

func back(c net.Conn) error {
	defer c.Close()
	var b [18]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return err
	}
	dst := netip.AddrPortFrom(netip.AddrFrom16(*(*[16]byte)(b[:16])).Unmap(), binary.BigEndian.Uint16(b[16:]))
	t, err := net.Dial("tcp", dst.String())
	if err != nil {
		_, _ = c.Write([]byte{1})
		return err
	}
	if _, err := c.Write([]byte{0}); err != nil {
		t.Close()
		return err
	}
	relay(c, t)
	return nil
}

// relay copies both ways, passes each half-close on and closes t at the end.
func relay(a, t net.Conn) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(t, a)
		_ = t.(interface{ CloseWrite() error }).CloseWrite()
	}()
	_, _ = io.Copy(a, t)
	_ = a.(interface{ CloseWrite() error }).CloseWrite()
	wg.Wait()
	t.Close()
}
