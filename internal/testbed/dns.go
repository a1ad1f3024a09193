package testbed

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DNSRecord is a name the test DNS server answers for.
type DNSRecord struct {
	Name  string       // e.g. "a.test"
	Addrs []netip.Addr // A and AAAA answers
	CNAME string       // if set, Name is an alias of this name (which needs Addrs of its own record)
}

// DNS is a dnsmasq answering fixed records and logging every query.
type DNS struct {
	// Addr is where to ask: h.V4 (else h.V6) port 53 in a namespace, or
	// 127.0.0.1 and a free port in the test's own namespace.
	Addr netip.AddrPort
	// Addrs are all the addresses it listens on (loopback included).
	Addrs   []netip.AddrPort
	LogFile string
	proc    *Proc
}

// StartDNS runs dnsmasq in h's namespace on port 53 of every address of h
// and of loopback, or, when h is nil, in the test's own namespace on
// 127.0.0.1 and ::1 and a free port. It forwards nothing: names under the
// top-level domains of the records that have no record get NXDOMAIN, other
// names REFUSED. It returns once dnsmasq accepts TCP connections and is
// stopped at cleanup.
func StartDNS(t testing.TB, h *Host, records ...DNSRecord) *DNS {
	t.Helper()
	requireTool(t, "dnsmasq", "dnsmasq-base")
	d := &DNS{LogFile: filepath.Join(t.TempDir(), "dnsmasq.log")}
	port, listen := 53, []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}
	if h == nil {
		port = freePort(t)
	} else {
		listen = append(h.Addrs(IPv4), append(h.Addrs(IPv6), listen...)...)
	}
	for _, a := range listen {
		d.Addrs = append(d.Addrs, netip.AddrPortFrom(a, uint16(port)))
	}
	d.Addr = d.Addrs[0]
	args := append(dnsmasqArgs(d.LogFile, port, listen), recordArgs(records)...)
	dial := (&net.Dialer{}).DialContext
	if h == nil {
		d.proc = startProc(t, "dnsmasq", exec.Command("dnsmasq", args...))
	} else {
		d.proc = h.Start(t, append([]string{"dnsmasq"}, args...)...)
		dial = h.DialContext
	}
	if err := waitTCP(dial, d.Addr, d.proc, 10*time.Second); err != nil {
		t.Fatalf("dnsmasq: %v", err)
	}
	return d
}

func dnsmasqArgs(logFile string, port int, listen []netip.Addr) []string {
	var addrs []string
	for _, a := range listen {
		addrs = append(addrs, a.String())
	}
	return []string{
		"-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces",
		"--listen-address=" + strings.Join(addrs, ","), "--port=" + strconv.Itoa(port),
		"--pid-file=", "--user=root", "--log-queries", "--log-facility=" + logFile,
	}
}

func recordArgs(records []DNSRecord) []string {
	var args []string
	tlds := map[string]bool{}
	for _, r := range records {
		name := strings.TrimSuffix(r.Name, ".")
		tlds[name[strings.LastIndex(name, ".")+1:]] = true
		if r.CNAME != "" {
			args = append(args, "--cname="+name+","+strings.TrimSuffix(r.CNAME, "."))
		}
		if len(r.Addrs) > 0 {
			rec := []string{name}
			for _, a := range r.Addrs {
				rec = append(rec, a.String())
			}
			args = append(args, "--host-record="+strings.Join(rec, ","))
		}
	}
	for tld := range tlds {
		args = append(args, "--local=/"+tld+"/")
	}
	return args
}

// freePort finds a port free for UDP and TCP on both loopbacks. Another
// process may take it before dnsmasq does; the test then fails clearly.
func freePort(t testing.TB) int {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		pc.Close()
		free := true
		for _, a := range []string{"127.0.0.1", "::1"} {
			ap := net.JoinHostPort(a, strconv.Itoa(port))
			if ln, err := net.Listen("tcp", ap); err == nil {
				ln.Close()
			} else {
				free = false
			}
			if pc, err := net.ListenPacket("udp", ap); err == nil {
				pc.Close()
			} else {
				free = false
			}
		}
		if free {
			return port
		}
	}
	t.Fatal("find a free port: none free on both 127.0.0.1 and ::1 after 20 tries")
	return 0
}

// waitTCP polls until addr accepts a TCP connection.
func waitTCP(dial func(context.Context, string, string) (net.Conn, error), addr netip.AddrPort, p *Proc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := dial(ctx, "tcp", addr.String())
		cancel()
		if err == nil {
			return c.Close()
		}
		if p.Exited() {
			return fmt.Errorf("%s exited (%v): %s", p.name, p.err, p.Stderr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not accepting on %s after %v: %v", p.name, addr, timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Queries returns every query logged so far, oldest first.
func (d *DNS) Queries() []Query {
	b, err := os.ReadFile(d.LogFile)
	if err != nil {
		return nil // nothing logged yet
	}
	return ParseQueryLog(string(b))
}

// Asked returns the queries for name (any type, case-insensitive, with or
// without the final dot).
func (d *DNS) Asked(name string) []Query {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	var out []Query
	for _, q := range d.Queries() {
		if strings.ToLower(q.Name) == name {
			out = append(out, q)
		}
	}
	return out
}
