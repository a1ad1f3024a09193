package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/autovpn/autovpn/internal/client"
	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/metrics"
	"github.com/autovpn/autovpn/internal/proxy/httpproxy"
	"github.com/autovpn/autovpn/internal/proxy/socks5"
	"github.com/autovpn/autovpn/internal/udpfwd"
	"github.com/spf13/cobra"
)

func init() { register("client", newClientCmd) }

// Client modes (DESIGN §2).
const (
	modeProxy     = "proxy"     // SOCKS5 + HTTP
	modeWireGuard = "wireguard" // UDP forward only
	modeCombined  = "combined"  // all three
)

func newClientCmd(app *App) *cobra.Command {
	var mode string
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Run the client: SOCKS5, HTTP proxy and UDP forward over the tunnel",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if mode != modeProxy && mode != modeWireGuard && mode != modeCombined {
				return usageErrorf("--mode %q: want proxy, wireguard or combined", mode)
			}
			dataPathProcs()
			cfg, err := app.LoadConfig(config.RoleClient)
			if err != nil {
				return err
			}
			rc, err := startClient(cmd.Context(), app.Log, cfg, mode)
			if err != nil {
				return err
			}
			rc.wait()
			return nil
		},
	}
	cmd.Flags().StringVar(&mode, "mode", modeCombined, "proxy, wireguard or combined")
	return cmd
}

// listener is one bound client listener, for status.
type listener struct {
	Kind  string `json:"kind"` // socks5, http, udp
	Addr  string `json:"addr"`
	Error string `json:"error,omitempty"`
}

// runningClient is a started client.
type runningClient struct {
	c         *client.Client
	cfg       *config.Config
	listeners []listener
	started   time.Time
	wg        sync.WaitGroup
	bound     []io.Closer // listeners, closed if start fails half-way
	admin     []string    // bound admin addresses
}

// adminAddr is the first bound admin address ("" when off).
func (r *runningClient) adminAddr() string {
	if len(r.admin) == 0 {
		return ""
	}
	return r.admin[0]
}

func (r *runningClient) wait() { r.wg.Wait() }

// addr returns the bound address of the first listener of kind on the given
// family ("4" or "6"), or "".
func (r *runningClient) addr(kind string, v6 bool) string {
	for _, l := range r.listeners {
		if l.Kind == kind && l.Error == "" && (l.Addr[0] == '[') == v6 {
			return l.Addr
		}
	}
	return ""
}

// port is the bound port of the first listener of kind, else def.
func (r *runningClient) port(kind string, def uint16) uint16 {
	if a := r.addr(kind, false); a != "" {
		if ap, err := netip.ParseAddrPort(a); err == nil {
			return ap.Port()
		}
	}
	return def
}

// newTunnelClient makes the tunnel client for cfg (events may be nil).
func newTunnelClient(cfg *config.Config, log *slog.Logger, ev client.Events) (*client.Client, error) {
	return client.New(client.Options{
		Servers:   append(append([]string{}, cfg.ServerHosts...), cfg.ServerHostsV6...),
		Port:      cfg.ServerPort,
		Prefix:    cfg.Prefix,
		TLS:       cfg.TLS,
		TLSPin:    cfg.TLSPin,
		Policy:    cfg.Policy,
		Keepalive: cfg.KeepaliveInterval,
		Log:       log,
		Events:    ev,
	})
}

// startClient starts the tunnel client, its listeners on LISTEN_V4 and
// LISTEN_V6, and the admin server; everything stops when ctx ends.
func startClient(ctx context.Context, log *slog.Logger, cfg *config.Config, mode string) (_ *runningClient, err error) {
	reg := metrics.NewRegistry()
	ev := metrics.NewClient(reg)
	c, err := newTunnelClient(cfg, log, ev)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	rc := &runningClient{c: c, cfg: cfg, started: time.Now()}
	defer func() {
		if err != nil {
			for _, b := range rc.bound {
				b.Close()
			}
		}
	}()
	hosts := []string{cfg.ListenV4}
	if cfg.EnableIPv6 {
		hosts = append(hosts, cfg.ListenV6)
	}
	pac := newPACSource(cfg, log)
	var serves []func()
	for _, h := range hosts {
		v6 := h != cfg.ListenV4
		if mode != modeWireGuard {
			s5 := &socks5.Server{Dial: c.DialContext, ListenPacket: c.ListenPacket, User: cfg.User, Pass: cfg.Pass, Log: log}
			hp := &httpproxy.Server{Dial: c.DialContext, User: cfg.User, Pass: cfg.Pass, PAC: pac.get, Log: log}
			if f, err := rc.bindTCP(log, "socks5", h, cfg.SOCKS5Port, v6, func(ln net.Listener) { s5.Serve(ctx, ln) }); err != nil {
				return nil, err
			} else if f != nil {
				serves = append(serves, f)
			}
			if f, err := rc.bindTCP(log, "http", h, cfg.HTTPPort, v6, func(ln net.Listener) { hp.Serve(ctx, ln) }); err != nil {
				return nil, err
			} else if f != nil {
				serves = append(serves, f)
			}
		}
		if mode != modeProxy {
			fw := &udpfwd.Forwarder{Target: "127.0.0.1:" + strconv.Itoa(int(cfg.ServerRestrictPort)), ListenPacket: c.ListenPacket, Log: log}
			if f, err := rc.bindUDP(log, h, cfg.WstunnelPort, v6, func(pc *net.UDPConn) { fw.Serve(ctx, pc) }); err != nil {
				return nil, err
			} else if f != nil {
				serves = append(serves, f)
			}
		}
	}
	pac.socks5Port, pac.httpPort = rc.port("socks5", cfg.SOCKS5Port), rc.port("http", cfg.HTTPPort)
	for _, f := range serves {
		rc.wg.Add(1)
		go func() { defer rc.wg.Done(); f() }()
	}
	rc.wg.Add(1)
	go func() { defer rc.wg.Done(); c.Run(ctx) }()
	mux := adminMux(reg, func() bool { return c.Up() }, func() any { return rc.status() })
	mux.HandleFunc("GET /proxy.pac", pac.serveHTTP)
	stopAdmin, adminBound := serveAdmin(ctx, log, cfg.AdminAddr, mux, cfg.EnableIPv6)
	rc.admin = adminBound
	rc.wg.Add(1)
	go func() { defer rc.wg.Done(); <-ctx.Done(); stopAdmin() }()
	return rc, nil
}

// localListenConfig is how the proxies listen on host. No TCP keepalive on
// loopback: an application on this machine that goes away closes its
// sockets, and the four setsockopt calls keepalive costs per accepted
// connection sit on the connection path. A listener open to the LAN keeps
// it, to notice clients that vanish.
func localListenConfig(host string) net.ListenConfig {
	var lc net.ListenConfig
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		lc.KeepAlive = -1
	}
	return lc
}

// bindTCP binds kind on host:port. An IPv6 listener that cannot bind (IPv6
// off on this host) degrades with a warning; an IPv4 one is fatal.
func (rc *runningClient) bindTCP(log *slog.Logger, kind, host string, port uint16, v6 bool, serve func(net.Listener)) (func(), error) {
	addr := net.JoinHostPort(host, strconv.Itoa(int(port)))
	lc := localListenConfig(host)
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, rc.bindFailed(log, kind, addr, v6, err)
	}
	rc.bound = append(rc.bound, ln)
	rc.listeners = append(rc.listeners, listener{Kind: kind, Addr: ln.Addr().String()})
	log.Info("listening", "kind", kind, "addr", ln.Addr().String())
	return func() { serve(ln) }, nil
}

func (rc *runningClient) bindUDP(log *slog.Logger, host string, port uint16, v6 bool, serve func(*net.UDPConn)) (func(), error) {
	addr := net.JoinHostPort(host, strconv.Itoa(int(port)))
	ua, err := net.ResolveUDPAddr("udp", addr)
	var pc *net.UDPConn
	if err == nil {
		pc, err = net.ListenUDP("udp", ua)
	}
	if err != nil {
		return nil, rc.bindFailed(log, "udp", addr, v6, err)
	}
	rc.bound = append(rc.bound, pc)
	rc.listeners = append(rc.listeners, listener{Kind: "udp", Addr: pc.LocalAddr().String()})
	log.Info("listening", "kind", "udp forward", "addr", pc.LocalAddr().String(), "target", "server 127.0.0.1:"+strconv.Itoa(int(rc.cfg.ServerRestrictPort)))
	return func() { serve(pc) }, nil
}

func (rc *runningClient) bindFailed(log *slog.Logger, kind, addr string, v6 bool, err error) error {
	if v6 {
		log.Warn("IPv6 listener not available, serving IPv4 only", "kind", kind, "addr", addr, "err", err)
		rc.listeners = append(rc.listeners, listener{Kind: kind, Addr: addr, Error: err.Error()})
		return nil
	}
	return fmt.Errorf("listen %s on %s: %w", kind, addr, err)
}
