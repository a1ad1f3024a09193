package dns

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"

	mdns "github.com/miekg/dns"
)

// forward asks dnsmasq the query q over TCP, which never truncates.
func forward(t *testing.T, dnsmasqAddr string, q *mdns.Msg) *mdns.Msg {
	resp, _, err := (&mdns.Client{Net: "tcp"}).Exchange(q, dnsmasqAddr)
	if err != nil {
		t.Errorf("forward to dnsmasq: %v", err)
		return nil
	}
	return resp
}

// dohServer is an RFC 8484 endpoint over TLS that forwards to dnsmasq.
func dohServer(t *testing.T, d *dnsmasq, methods *atomic.Value) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var wire []byte
		var err error
		switch req.Method {
		case http.MethodGet:
			wire, err = base64.RawURLEncoding.DecodeString(req.URL.Query().Get("dns"))
		case http.MethodPost:
			if req.Header.Get("Content-Type") != "application/dns-message" {
				http.Error(w, "bad content type", http.StatusUnsupportedMediaType)
				return
			}
			wire, err = io.ReadAll(req.Body)
		}
		methods.Store(req.Method)
		q := new(mdns.Msg)
		if err != nil || q.Unpack(wire) != nil || req.URL.Path != "/dns-query" {
			http.Error(w, "bad query", http.StatusBadRequest)
			return
		}
		resp := forward(t, d.V4, q)
		out, _ := resp.Pack()
		w.Header().Set("Content-Type", "application/dns-message")
		_, _ = w.Write(out)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-CA case logs handshake errors
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestDoH(t *testing.T) {
	d := startDnsmasq(t)
	var method atomic.Value
	srv := dohServer(t, d, &method)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	for _, tt := range []struct{ suffix, method string }{{"", "POST"}, {"?method=get", "GET"}} {
		r := newTestResolver(t, Options{Upstreams: []string{srv.URL + "/dns-query" + tt.suffix},
			TLSConfig: &tls.Config{RootCAs: pool}})
		got, err := r.LookupAddrs(ctxT(t), "c1.test")
		if err != nil || !slices.Equal(ips(got), []string{"192.0.2.10", "2001:db8::10"}) {
			t.Fatalf("DoH %s: %v, %v", tt.method, ips(got), err)
		}
		if m := method.Load(); m != tt.method {
			t.Fatalf("server saw %v, want %s", m, tt.method)
		}
	}
	// Without the test CA the certificate must be refused.
	r := newTestResolver(t, Options{Upstreams: []string{srv.URL + "/dns-query"}, Attempts: 1})
	if _, err := r.LookupAddrs(ctxT(t), "a.test"); err == nil {
		t.Fatal("DoH to an untrusted certificate succeeded")
	}
}

func TestDoT(t *testing.T) {
	d := startDnsmasq(t)
	ts := httptest.NewTLSServer(http.NotFoundHandler()) // only for its certificate
	t.Cleanup(ts.Close)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: ts.TLS.Certificates})
	if err != nil {
		t.Fatal(err)
	}
	srv := &mdns.Server{Listener: ln, Net: "tcp-tls", Handler: mdns.HandlerFunc(func(w mdns.ResponseWriter, q *mdns.Msg) {
		if resp := forward(t, d.V4, q); resp != nil {
			_ = w.WriteMsg(resp)
		}
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	r := newTestResolver(t, Options{Upstreams: []string{"tls://127.0.0.1:" + port},
		TLSConfig: &tls.Config{RootCAs: pool}})
	got, err := r.LookupAddrs(ctxT(t), "big.test")
	if err != nil || len(got) != bigCount {
		t.Fatalf("DoT: %d records, %v; want %d", len(got), err, bigCount)
	}
}
