package tunnel

import (
	"crypto/tls"
	"net"
	"testing"
)

type wrapped struct{ net.Conn }

func (w wrapped) WriteConn() net.Conn { return w.Conn }

// TestWriteConnChoice: a plain TCP connection, also behind the server's
// limit wrapper, gets the one-writev path; TLS never bypasses encryption.
func TestWriteConnChoice(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if w := newWSConn(c, nil, false); !w.plain || w.wconn != c {
		t.Fatal("plain TCP: writev path not chosen")
	}
	if w := newWSConn(wrapped{c}, nil, false); !w.plain || w.wconn != c {
		t.Fatal("wrapped TCP: writes should go to the TCP connection")
	}
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
	if w := newWSConn(tc, nil, false); w.plain || w.wconn != net.Conn(tc) {
		t.Fatal("TLS: frames must be written through TLS")
	}
}
