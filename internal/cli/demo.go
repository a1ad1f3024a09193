package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/spf13/cobra"
	"golang.org/x/net/proxy"
)

func init() { register("demo", newDemoCmd) }

func newDemoCmd(app *App) *cobra.Command {
	var once bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a server and a client on loopback and prove the tunnel over IPv4 and IPv6 (no config needed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dataPathProcs()
			return runDemo(cmd.Context(), app, once)
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "exit after the proof instead of serving until Ctrl-C")
	return cmd
}

// demoEnv is the in-process setup of `autovpn demo`.
type demoEnv struct {
	dest   map[string]string // family → destination URL
	udpDst string            // the UDP echo standing in for WireGuard
}

func runDemo(ctx context.Context, app *App, once bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	env, err := startDemoDestinations(ctx)
	if err != nil {
		return err
	}
	scfg, ccfg, err := demoConfigs(env)
	if err != nil {
		return err
	}
	log := app.Log
	rs, err := startServer(ctx, log, scfg)
	if err != nil {
		return err
	}
	rc, err := startClient(ctx, log, ccfg, modeCombined)
	if err != nil {
		return err
	}
	w := app.Stdout
	fmt.Fprintf(w, "autovpn demo: server on 127.0.0.1:%d and [::1]:%d (ws, secret prefix), client proxies below\n\n", scfg.ServerPort, scfg.ServerPort)
	failed := proveDemo(ctx, w, rc, env)
	printDemoUsage(w, rc)
	if failed > 0 {
		cancel()
		rc.wait()
		rs.wait()
		return fmt.Errorf("demo: %d of the checks failed", failed)
	}
	if !once {
		fmt.Fprintln(w, "demo ready — press Ctrl-C to stop")
		<-ctx.Done()
	}
	cancel()
	rc.wait()
	rs.wait()
	return nil
}

// demoConfigs builds the server and client configs: a shared random
// prefix, a port free on both loopbacks, the demo destinations allowed.
func demoConfigs(env *demoEnv) (*config.Config, *config.Config, error) {
	port, err := freePortBoth("tcp", 0)
	if err != nil {
		return nil, nil, err
	}
	prefix := config.NewPrefix()
	s := config.Default()
	s.Prefix, s.ServerPort = prefix, uint16(port)
	s.ServerListen = []string{"127.0.0.1:" + strconv.Itoa(port), "[::1]:" + strconv.Itoa(port)}
	s.AllowDestinations = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	_, udpPort, _ := net.SplitHostPort(env.udpDst)
	up, _ := strconv.Atoi(udpPort)
	s.ServerRestrictPort = uint16(up)

	c := config.Default()
	c.Prefix, c.ServerPort, c.ServerRestrictPort = prefix, uint16(port), uint16(up)
	c.ServerHosts, c.ServerHostsV6 = []string{"127.0.0.1"}, []string{"::1"}
	for _, p := range []struct {
		dst *uint16
		net string
	}{{&c.SOCKS5Port, "tcp"}, {&c.HTTPPort, "tcp"}, {&c.WstunnelPort, "udp"}} {
		got, err := freePortBoth(p.net, int(*p.dst))
		if err != nil {
			return nil, nil, err
		}
		*p.dst = uint16(got)
	}
	adminPort, err := freePortBoth("tcp", 8090)
	if err != nil {
		return nil, nil, err
	}
	c.AdminAddr = "127.0.0.1:" + strconv.Itoa(adminPort)
	return s, c, nil
}

// freePortBoth returns want if it is free on 127.0.0.1 and ::1, else a
// port that is.
func freePortBoth(network string, want int) (int, error) {
	for try := 0; try < 50; try++ {
		p := want
		if try > 0 || p == 0 {
			p = 0
		}
		c4, err := listenAny(network, "127.0.0.1", p)
		if err != nil {
			want = 0
			continue
		}
		p = localPort(c4)
		c6, err := listenAny(network, "::1", p)
		c4.Close()
		if err != nil {
			want = 0
			continue
		}
		c6.Close()
		return p, nil
	}
	return 0, fmt.Errorf("demo: no %s port free on both 127.0.0.1 and ::1", network)
}

func listenAny(network, host string, port int) (io.Closer, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	if network == "udp" {
		return net.ListenPacket("udp", addr)
	}
	return net.Listen("tcp", addr)
}

func localPort(c io.Closer) int {
	switch v := c.(type) {
	case net.Listener:
		return v.Addr().(*net.TCPAddr).Port
	case net.PacketConn:
		return v.LocalAddr().(*net.UDPAddr).Port
	}
	return 0
}

// startDemoDestinations runs a tiny web server on 127.0.0.1 and ::1 and a
// UDP echo on 127.0.0.1 (the stand-in for the server's WireGuard).
func startDemoDestinations(ctx context.Context) (*demoEnv, error) {
	env := &demoEnv{dest: map[string]string{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from the demo destination, reached from %s\n", r.RemoteAddr)
	})
	for fam, host := range map[string]string{"IPv4": "127.0.0.1", "IPv6": "::1"} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("demo destination on %s: %w (is IPv6 enabled on loopback?)", host, err)
		}
		env.dest[fam] = "http://" + ln.Addr().String() + "/"
		hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go hs.Serve(ln)
		context.AfterFunc(ctx, func() { hs.Close() })
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	env.udpDst = pc.LocalAddr().String()
	context.AfterFunc(ctx, func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	return env, nil
}

// proveDemo makes a request through every proxy listener to both
// destinations and a datagram through each UDP forward; it prints one line
// per check and returns how many failed.
func proveDemo(ctx context.Context, w io.Writer, rc *runningClient, env *demoEnv) int {
	failed := 0
	check := func(name string, f func() (string, error)) {
		start := time.Now()
		detail, err := f()
		mark := "ok  "
		if err != nil {
			mark, detail = "FAIL", err.Error()
			failed++
		}
		fmt.Fprintf(w, "  %s %-44s %6.1f ms  %s\n", mark, name, float64(time.Since(start).Microseconds())/1000, detail)
	}
	waitUp(ctx, rc, 10*time.Second)
	for _, v6 := range []bool{false, true} {
		if v6 && !rc.cfg.EnableIPv6 {
			continue
		}
		for _, kind := range []string{"socks5", "http"} {
			px := rc.addr(kind, v6)
			if px == "" { // the demo promises both families: a listener that did not come up fails
				check(fmt.Sprintf("%s listener on %s", kind, familyName(v6)), func() (string, error) {
					return "", errors.New(rc.missing(kind, v6))
				})
				continue
			}
			for _, fam := range []string{"IPv4", "IPv6"} {
				check(fmt.Sprintf("%s %s → %s destination", kind, px, fam), func() (string, error) {
					return demoGet(kind, px, env.dest[fam])
				})
			}
		}
		if fw := rc.addr("udp", v6); fw != "" {
			check(fmt.Sprintf("udp forward %s → server's UDP target", fw), func() (string, error) {
				return demoUDP(fw)
			})
		} else {
			check("udp forward listener on "+familyName(v6), func() (string, error) {
				return "", errors.New(rc.missing("udp", v6))
			})
		}
	}
	fmt.Fprintln(w)
	return failed
}

func familyName(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// missing says why the client has no working listener of kind on the family.
func (r *runningClient) missing(kind string, v6 bool) string {
	for _, l := range r.listeners {
		if l.Kind == kind && l.Error != "" && strings.HasPrefix(l.Addr, "[") == v6 {
			return "not listening on " + l.Addr + ": " + l.Error
		}
	}
	return "not listening"
}

func waitUp(ctx context.Context, rc *runningClient, d time.Duration) {
	deadline := time.Now().Add(d)
	for !rc.c.Up() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
}

func demoGet(kind, px, target string) (string, error) {
	tr := &http.Transport{DisableKeepAlives: true}
	if kind == "http" {
		tr.Proxy = http.ProxyURL(&url.URL{Scheme: "http", Host: px})
	} else {
		d, err := proxy.SOCKS5("tcp", px, nil, &net.Dialer{})
		if err != nil {
			return "", err
		}
		tr.DialContext = d.(proxy.ContextDialer).DialContext
	}
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := cl.Get(target)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return "HTTP 200", nil
}

func demoUDP(fw string) (string, error) {
	c, err := net.Dial("udp", fw)
	if err != nil {
		return "", err
	}
	defer c.Close()
	msg := []byte("autovpn demo datagram")
	buf := make([]byte, 128)
	for try := 0; try < 3; try++ {
		c.Write(msg)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := c.Read(buf)
		if err == nil && string(buf[:n]) == string(msg) {
			return "echoed intact", nil
		}
	}
	return "", fmt.Errorf("no echo through the forward")
}

func printDemoUsage(w io.Writer, rc *runningClient) {
	fmt.Fprintln(w, "Use the proxies:")
	for _, v6 := range []bool{false, true} {
		if s := rc.addr("socks5", v6); s != "" {
			fmt.Fprintf(w, "  curl --proxy socks5h://%s http://example.com/\n", s)
		}
		if h := rc.addr("http", v6); h != "" {
			fmt.Fprintf(w, "  curl --proxy http://%s http://example.com/\n", h)
		}
	}
	if a := rc.cfg.AdminAddr; a != "" {
		fmt.Fprintf(w, "  status: http://%s/status   metrics: http://%s/metrics\n", a, a)
	}
	fmt.Fprintln(w, "(the demo server only reaches loopback and public addresses; with no internet here, the loopback destinations above are what works)")
	fmt.Fprintln(w)
}
