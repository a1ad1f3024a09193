package dns

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// bigCount is how many A records big.test has: enough to truncate over UDP.
const bigCount = 150

// quiet, passed to startDnsmasq, turns the query log off (benchmarks).
const quiet = "quiet"

// dnsmasq is a real dnsmasq serving the "test" zone on 127.0.0.1 and ::1.
type dnsmasq struct {
	V4, V6 string // "127.0.0.1:port", "[::1]:port"
	Log    string // query log file
	cmd    *exec.Cmd
}

// fixtureArgs are the records every test zone holds.
func fixtureArgs() []string {
	args := []string{
		"--host-record=a.test,192.0.2.10,2001:db8::10",
		"--host-record=v4only.test,192.0.2.11",
		"--host-record=v6only.test,2001:db8::20",
		"--host-record=fake.test,198.18.0.5,::1",
		"--cname=c1.test,c2.test", "--cname=c2.test,a.test",
	}
	for i := 1; i <= bigCount; i++ {
		args = append(args, fmt.Sprintf("--host-record=big.test,198.51.100.%d", i))
	}
	return args
}

// startDnsmasq starts dnsmasq on a free port and waits until it answers.
// It skips the test when dnsmasq is not installed.
func startDnsmasq(t testing.TB, extra ...string) *dnsmasq {
	t.Helper()
	bin, err := exec.LookPath("dnsmasq")
	if err != nil {
		bin = "/usr/sbin/dnsmasq"
		if _, err := os.Stat(bin); err != nil {
			t.Skip("dnsmasq not installed (apt-get install dnsmasq-base); skipping tests against a real DNS server")
		}
	}
	var lastErr error
	for range 5 {
		d, err := tryDnsmasq(t, bin, extra)
		if err == nil {
			return d
		}
		lastErr = err
	}
	t.Fatalf("dnsmasq did not start: %v", lastErr)
	return nil
}

func tryDnsmasq(t testing.TB, bin string, extra []string) (*dnsmasq, error) {
	port := freePort(t)
	logf := filepath.Join(t.TempDir(), "dnsmasq.log")
	args := append([]string{"-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
		"--bind-interfaces", "--listen-address=127.0.0.1,::1", "--port=" + strconv.Itoa(port),
		"--pid-file=", "--user=root", "--local=/test/", "--cache-size=0"}, fixtureArgs()...)
	if !slices.Contains(extra, quiet) {
		args = append(args, "--log-queries", "--log-facility="+logf)
	} else {
		extra = slices.DeleteFunc(slices.Clone(extra), func(s string) bool { return s == quiet })
	}
	cmd := exec.Command(bin, append(args, extra...)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	d := &dnsmasq{V4: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		V6: net.JoinHostPort("::1", strconv.Itoa(port)), Log: logf, cmd: cmd}
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err
			return nil, fmt.Errorf("dnsmasq exited: %v", err)
		default:
		}
		if ready(d.V4) && ready(d.V6) {
			return d, nil
		}
	}
	return nil, fmt.Errorf("dnsmasq on port %d not answering after 10s", port)
}

func ready(addr string) bool {
	m := new(mdns.Msg)
	m.SetQuestion("ready.test.", mdns.TypeA)
	c := &mdns.Client{Timeout: 100 * time.Millisecond}
	_, _, err := c.Exchange(m, addr)
	return err == nil
}

// freePort returns a port free for UDP and TCP on both loopbacks right now.
func freePort(t testing.TB) int {
	t.Helper()
	for range 20 {
		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
		ok := true
		for _, a := range []string{"127.0.0.1", "::1"} {
			tl, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(port)))
			if err != nil {
				ok = false
				break
			}
			tl.Close()
		}
		if ok {
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// Stop kills dnsmasq and waits until its port no longer answers.
func (d *dnsmasq) Stop(t testing.TB) {
	_ = d.cmd.Process.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for ready(d.V4) {
		if time.Now().After(deadline) {
			t.Fatal("dnsmasq still answering after kill")
		}
	}
}

// countQueries counts "query[TYPE] name" lines in the log.
func (d *dnsmasq) countQueries(t testing.TB, qtype, name string) int {
	t.Helper()
	f, err := os.Open(d.Log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	want := fmt.Sprintf("query[%s] %s from", qtype, name)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), want) {
			n++
		}
	}
	return n
}

// waitQueries polls the log until name has been asked (as qtype) at least
// want times, so that later counts are not racing the log writer.
func (d *dnsmasq) waitQueries(t testing.TB, qtype, name string, want int) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := d.countQueries(t, qtype, name)
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newTestResolver(t testing.TB, opts Options) *Resolver {
	t.Helper()
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
