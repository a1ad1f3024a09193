package tunnel

import (
	"crypto/tls"
	"errors"
	"net"
	"testing"

	"github.com/autovpn/autovpn/internal/tlsutil"
)

// TestPinMismatchIsRecognisable: a wrong pin fails the handshake with an
// error that errors.Is ErrPinMismatch (status and check name it).
func TestPinMismatchIsRecognisable(t *testing.T) {
	certPEM, keyPEM, err := tlsutil.GenerateSelfSigned([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := tls.X509KeyPair(certPEM, keyPEM)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	err = tls.Client(raw, ClientTLSConfig(ln.Addr().String(), make([]byte, 32))).Handshake()
	if !errors.Is(err, ErrPinMismatch) {
		t.Fatalf("handshake error %v (%T) is not ErrPinMismatch", err, err)
	}
}
