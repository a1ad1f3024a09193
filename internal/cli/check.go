package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/netx"
	"github.com/autovpn/autovpn/internal/pathsel"
	"github.com/spf13/cobra"
)

func init() { register("check", newCheckCmd) }

type checkFlags struct {
	timeout time.Duration
	json    bool
}

func newCheckCmd(app *App) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check [--timeout 5s] [--json]",
		Short: "Validate the config and probe the server over IPv4 and IPv6: reachability, TLS, auth, RTT",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.timeout <= 0 {
				return usageErrorf("--timeout %s: want a positive duration such as 5s", f.timeout)
			}
			cfg, err := app.LoadConfig(config.RoleClient)
			if err != nil {
				return err
			}
			rep := runCheck(cmd.Context(), cfg, f.timeout, net.DefaultResolver.LookupNetIP)
			if f.json {
				enc := json.NewEncoder(app.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				rep.print(app.Stdout)
			}
			if !rep.OK {
				return errors.New("check failed: " + rep.Verdict)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&f.timeout, "timeout", 5*time.Second, "time limit per probed address")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the report as JSON")
	return cmd
}

// checkReport is the outcome of `autovpn check`.
type checkReport struct {
	Config    string        `json:"config"`
	Policy    string        `json:"policy"`
	URL       string        `json:"url"` // scheme and port; the secret path is never shown
	UDPPort   uint16        `json:"udp_forward_port"`
	UDPTarget string        `json:"udp_forward_target"`
	Families  []checkFamily `json:"families"`
	OK        bool          `json:"ok"`
	Verdict   string        `json:"verdict"`
}

// checkFamily is the verdict for one address family.
type checkFamily struct {
	Family string       `json:"family"`
	State  string       `json:"state"` // ok, failed, disabled, no address
	Detail string       `json:"detail,omitempty"`
	Notes  []string     `json:"notes,omitempty"`
	Probes []checkProbe `json:"probes"`
}

func runCheck(ctx context.Context, cfg *config.Config, timeout time.Duration, look lookupFunc) *checkReport {
	scheme := "ws"
	if cfg.TLS {
		scheme = "wss"
	}
	rep := &checkReport{
		Config:    cfg.Path,
		Policy:    cfg.Policy.String(),
		URL:       scheme + "://<server>:" + strconv.Itoa(int(cfg.ServerPort)) + "/<PREFIX>/",
		UDPPort:   cfg.WstunnelPort,
		UDPTarget: "127.0.0.1:" + strconv.Itoa(int(cfg.ServerRestrictPort)) + " on the server (SERVER_RESTRICT_PORT)",
	}
	lctx, cancel := context.WithTimeout(ctx, timeout)
	targets, notes := checkTargets(lctx, cfg, look)
	cancel()
	var probes [2][]checkProbe
	var wg sync.WaitGroup
	for _, f := range pathsel.Families {
		if !familyAllowed(cfg.Policy, f) {
			continue
		}
		probes[f] = make([]checkProbe, len(targets[f]))
		for i, t := range targets[f] {
			wg.Go(func() { probes[f][i] = probeServer(ctx, cfg, t, timeout) })
		}
	}
	wg.Wait()
	for _, f := range pathsel.Families {
		rep.Families = append(rep.Families, familyVerdict(cfg, f, probes[f], notes[f]))
	}
	rep.OK, rep.Verdict = overallVerdict(rep.Families)
	return rep
}

func familyAllowed(p netx.Policy, f pathsel.Family) bool {
	if f == pathsel.IPv6 {
		return p != netx.IPv4Only
	}
	return p != netx.IPv6Only
}

// disabledReason says which switches keep the client off family f.
func disabledReason(cfg *config.Config, f pathsel.Family) string {
	if f == pathsel.IPv6 && !cfg.EnableIPv6 {
		return "ENABLE_IPV6=false"
	}
	return fmt.Sprintf("policy %s: PREFER_IPV6=%t, IPV6_FALLBACK=%t", cfg.Policy, cfg.PreferIPv6, cfg.Fallback)
}

func familyVerdict(cfg *config.Config, f pathsel.Family, probes []checkProbe, notes []string) checkFamily {
	cf := checkFamily{Family: f.String(), Notes: notes, Probes: probes}
	if cf.Probes == nil {
		cf.Probes = []checkProbe{}
	}
	switch {
	case !familyAllowed(cfg.Policy, f):
		cf.State, cf.Detail, cf.Notes = "disabled", disabledReason(cfg, f), nil
		return cf
	case len(probes) == 0:
		cf.State = "no address"
		if f == pathsel.IPv6 {
			cf.Detail = "SERVER_IP has no AAAA and SERVER_IP_V6 is empty"
		} else {
			cf.Detail = "SERVER_IP has no IPv4 address or A record"
		}
		return cf
	}
	ok := 0
	for _, p := range probes {
		if p.OK {
			ok++
		}
	}
	if ok > 0 {
		cf.State, cf.Detail = "ok", fmt.Sprintf("%d of %d addresses work", ok, len(probes))
		return cf
	}
	cf.State, cf.Detail = "failed", probes[0].Result
	if len(probes) > 1 {
		cf.Detail = fmt.Sprintf("%s, and %d more addresses failed", probes[0].Result, len(probes)-1)
	}
	if strings.HasPrefix(probes[0].Result, "connect") || strings.Contains(probes[0].Result, "unreachable") || strings.Contains(probes[0].Result, "refused") {
		cf.State = "unreachable"
	}
	return cf
}

// overallVerdict: ok when at least one family works; a broken family that
// the policy may use is a warning (the client falls back to the other).
func overallVerdict(fams []checkFamily) (bool, string) {
	var good, bad []string
	for _, f := range fams {
		switch f.State {
		case "ok":
			good = append(good, famTitle(f.Family))
		case "failed", "unreachable", "no address":
			bad = append(bad, famTitle(f.Family))
		}
	}
	switch {
	case len(good) == 0:
		return false, "the server cannot be used over any family"
	case len(bad) > 0:
		return true, fmt.Sprintf("%s works; warning: %s does not (the client uses %s)", strings.Join(good, " and "), strings.Join(bad, " and "), strings.Join(good, " and "))
	}
	return true, strings.Join(good, " and ") + " work"
}

func famTitle(f string) string {
	if f == "ipv6" {
		return "IPv6"
	}
	return "IPv4"
}

func (r *checkReport) print(w io.Writer) {
	fmt.Fprintf(w, "config %s: policy %s, %s\n", orDash(r.Config), r.Policy, r.URL)
	fmt.Fprintf(w, "UDP forward (WSTUNNEL_PORT %d) reaches %s; not probed remotely\n", r.UDPPort, r.UDPTarget)
	for _, f := range r.Families {
		fmt.Fprintf(w, "\n%s\n", famTitle(f.Family))
		if len(f.Probes) > 0 {
			printProbes(w, f.Probes)
		}
		for _, n := range f.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		fmt.Fprintf(w, "%s: %s", famTitle(f.Family), f.State)
		if f.Detail != "" {
			fmt.Fprintf(w, " (%s)", f.Detail)
		}
		fmt.Fprintln(w)
	}
	word := "ok"
	if !r.OK {
		word = "FAILED"
	}
	fmt.Fprintf(w, "\noverall: %s, %s\n", word, r.Verdict)
}

func printProbes(w io.Writer, ps []checkProbe) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  ADDRESS\tTCP ms\tTLS ms\tWS ms\tRTT ms\tRESULT")
	for _, p := range ps {
		addr := p.Address
		if p.Name != "" {
			addr += " (" + p.Name + ")"
		}
		res := p.Result
		if p.OK && p.Pin != "" {
			res += ", TLS pin " + p.Pin
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", addr, fmtMS(p.TCPms), fmtMS(p.TLSms), fmtMS(p.WSms), fmtMS(p.RTTms), res)
	}
	tw.Flush()
	for _, p := range ps {
		if p.Error != "" {
			fmt.Fprintf(w, "  %s: %s\n", p.Address, p.Error)
		}
	}
}

func fmtMS(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}
