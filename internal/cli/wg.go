package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/autovpn/autovpn/internal/wgconf"
)

func init() { register("wg", newWGCmd) }

// wgLookup resolves a SERVER_IP that is a name (A and AAAA) for wg sync, so
// that no route carries the server's own traffic into the tunnel. Tests
// replace it.
var wgLookup = net.DefaultResolver.LookupNetIP

// wgResolveTimeout bounds all of wg sync's lookups together.
const wgResolveTimeout = 5 * time.Second

func newWGCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wg",
		Short: "WireGuard client config (sync)",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return usageErrorf("wg: want a subcommand: sync") },
	}
	var conf string
	var dryRun bool
	sync := &cobra.Command{
		Use:   "sync [--conf FILE]",
		Short: "Point the WireGuard tunnel peer at the local UDP forward and route the IP list through it",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return wgSync(app, conf, dryRun) },
	}
	sync.Flags().StringVar(&conf, "conf", "", "WireGuard config (default WG_CONF_PATH)")
	sync.Flags().BoolVar(&dryRun, "dry-run", false, "print the change, write nothing")
	cmd.AddCommand(sync)
	return cmd
}

func wgSync(app *App, conf string, dryRun bool) error {
	cfg, err := app.LoadConfig(config.RoleAny)
	if err != nil {
		return err
	}
	if conf == "" {
		conf = cfg.WGConfPath
	}
	if conf == "" {
		return usageErrorf("wg sync: no WireGuard config: pass --conf FILE or set WG_CONF_PATH (autovpn config set WG_CONF_PATH /etc/wireguard/wg0.conf)")
	}
	ips, err := domains.ReadIPList(cfg.IPListFile)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("IP list %s does not exist; run `autovpn domains resolve` first", cfg.IPListFile)
	}
	if err != nil {
		return err
	}
	var addrs []netip.Addr
	for _, e := range ips {
		addrs = append(addrs, e.IP)
	}
	tx := newSysTx(cfg)
	cur, err := tx.Read(conf, "WireGuard config")
	if err != nil {
		return err
	}
	if !tx.Exists(conf) {
		return fmt.Errorf("WireGuard config %s does not exist; create it with your keys first", conf)
	}
	c, _ := wgconf.Parse(bytes.NewReader(cur))
	ctx := app.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, wgResolveTimeout)
	defer cancel()
	notes, err := c.Sync(wgconf.SyncOptions{
		Endpoint:    net.JoinHostPort("127.0.0.1", strconv.Itoa(int(cfg.WstunnelPort))),
		IPs:         addrs,
		ServerHosts: append(append([]string{}, cfg.ServerHosts...), cfg.ServerHostsV6...),
		LocalIP:     cfg.WGLocalIP,
		MTU:         cfg.MTU,
		Keepalive:   int(cfg.KeepaliveInterval.Seconds()),
		Resolve: func(host string) ([]netip.Addr, error) {
			addrs, err := wgLookup(ctx, "ip", host)
			if err == nil {
				app.Log.Debug("wg sync: server name resolved; its addresses stay out of AllowedIPs", "host", host, "addrs", addrs)
			}
			return addrs, err
		},
	})
	if err != nil {
		return fmt.Errorf("WireGuard config %s: %w; nothing written", conf, err)
	}
	for _, n := range notes {
		fmt.Fprintf(app.Stderr, "note: %s\n", n)
	}
	tx.Write(conf, c.Bytes())
	wrote, err := finishTx(app, tx, dryRun, "wg "+conf, wgconf.MaskSecret)
	if wrote {
		iface := cfg.WGInterface
		if iface == "" {
			iface = conf
		}
		fmt.Fprintf(app.Stdout, "wg %s: synced %d listed addresses; apply with: wg-quick down %s && wg-quick up %s\n", conf, len(addrs), iface, iface)
	}
	return err
}
