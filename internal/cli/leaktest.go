package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/spf13/cobra"
)

func init() { register("leak-test", newLeakTestCmd) }

// Results of one leak-test check. Only leakFail and leakLeak fail the run.
const (
	leakPass     = "pass"
	leakFail     = "FAIL"
	leakLeak     = "LEAK"
	leakWarn     = "warn"
	leakSkip     = "skip"
	leakUnproven = "not observed"
)

// leakRow is one line of the leak-test table.
type leakRow struct {
	Check  string `json:"check"`
	Family string `json:"family"` // ipv4, ipv6 or "-"
	Result string `json:"result"`
	Detail string `json:"detail"`
}

type leakOptions struct {
	domains      []string
	sample       int
	echo4, echo6 string
	timeout      time.Duration
	json         bool
	// directDial makes the "direct" requests of the IP-echo check; nil: a
	// plain dialer. Tests bind a distinct loopback source address with it.
	directDial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func newLeakTestCmd(app *App) *cobra.Command {
	var o leakOptions
	cmd := &cobra.Command{
		Use:   "leak-test [--domain NAME]... [--echo4 URL] [--echo6 URL] [--json]",
		Short: "Prove that routed traffic and its DNS use the tunnel on both families (the client must be running)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.timeout <= 0 || o.sample < 0 {
				return usageErrorf("--timeout must be positive and --sample not negative")
			}
			for _, u := range []string{o.echo4, o.echo6} {
				if u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
					return usageErrorf("echo URL %q: want an http:// or https:// URL", u)
				}
			}
			cfg, err := app.LoadConfig(config.RoleClient)
			if err != nil {
				return err
			}
			rows, err := runLeakTest(cmd.Context(), cfg, o)
			if err != nil {
				return err
			}
			return reportLeakTest(app.Stdout, rows, o.json)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.domains, "domain", nil, "routed domain to test (repeatable; added to the sample from DOMAINS_FILE)")
	fl.IntVar(&o.sample, "sample", 5, "how many domains of DOMAINS_FILE to test")
	fl.StringVar(&o.echo4, "echo4", "", "IP-echo URL reachable over IPv4 (answers with the caller's address); empty: skip")
	fl.StringVar(&o.echo6, "echo6", "", "IP-echo URL reachable over IPv6; empty: skip")
	fl.DurationVar(&o.timeout, "timeout", 10*time.Second, "time limit per check")
	fl.BoolVar(&o.json, "json", false, "print the checks as JSON")
	return cmd
}

// runLeakTest runs every check against the running client. It fails only
// when there is no client to test or the domain list cannot be read.
func runLeakTest(ctx context.Context, cfg *config.Config, o leakOptions) ([]leakRow, error) {
	sample, err := leakSample(cfg, o)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, o.timeout)
	body, _, err := adminGet(sctx, cfg.AdminAddr, "/status")
	cancel()
	if err != nil {
		return nil, err
	}
	st, err := decodeStatus(body)
	if err != nil {
		return nil, fmt.Errorf("ADMIN_ADDR %s: /status: %w", cfg.AdminAddr, err)
	}
	var rows []leakRow
	rows = append(rows, leakProxyRows(ctx, cfg, st, o.timeout)...)
	resolveRows, answers := leakResolveRows(ctx, cfg, sample.names, o.timeout)
	rows = append(rows, resolveRows...)
	rows = append(rows, leakRow{"local DNS not asked", "-", leakUnproven,
		"autovpn passes routed names to the server and never resolves them itself; watching the local resolver needs root (see the namespace leak suite)"})
	rows = append(rows, leakPACRows(ctx, cfg, sample, o.timeout)...)
	rows = append(rows, leakCoverageRows(cfg, servedAddrs(sample, answers))...)
	rows = append(rows, leakEchoRows(ctx, cfg, st, o)...)
	return rows, nil
}

// leakSampleSet is the domains to test and those of them that DOMAINS_FILE
// does not route (given with --domain only: the PAC rightly sends them
// direct).
type leakSampleSet struct {
	names    []string
	unlisted map[string]bool
}

// routed lists the names DOMAINS_FILE routes.
func (s leakSampleSet) routed() []string {
	var out []string
	for _, n := range s.names {
		if !s.unlisted[n] {
			out = append(out, n)
		}
	}
	return out
}

// leakSample is the domains to test: --domain names plus up to o.sample of
// DOMAINS_FILE. A wildcard "*.x" is tested as "www.x".
func leakSample(cfg *config.Config, o leakOptions) (leakSampleSet, error) {
	set := leakSampleSet{unlisted: map[string]bool{}}
	list, err := domains.ReadList(cfg.DomainsFile)
	if err != nil {
		return set, &UsageError{Err: fmt.Errorf("DOMAINS_FILE: %w", err)}
	}
	seen := map[string]bool{}
	add := func(d string) {
		if strings.HasPrefix(d, "*.") {
			d = "www." + d[2:]
		}
		if !seen[d] {
			seen[d] = true
			set.names = append(set.names, d)
			set.unlisted[d] = !listRoutes(list, d)
		}
	}
	for _, d := range o.domains {
		n, err := domains.Normalize(d)
		if err != nil {
			return set, usageErrorf("--domain %q: %v", d, err)
		}
		add(n)
	}
	for i, d := range list.Domains() {
		if i >= o.sample {
			break
		}
		add(d)
	}
	return set, nil
}

// listRoutes reports whether the list routes name: the name or a parent is
// listed, or a parent is listed as a wildcard.
func listRoutes(list *domains.List, name string) bool {
	if list.Contains(name) {
		return true
	}
	for i := strings.IndexByte(name, '.'); i >= 0; i = strings.IndexByte(name, '.') {
		name = name[i+1:]
		if list.Contains(name) || list.Contains("*."+name) {
			return true
		}
	}
	return false
}

func reportLeakTest(w io.Writer, rows []leakRow, asJSON bool) error {
	failed, counts := 0, map[string]int{}
	for _, r := range rows {
		counts[r.Result]++
		if r.Result == leakFail || r.Result == leakLeak {
			failed++
		}
	}
	verdict := fmt.Sprintf("no leak found: %d passed, %d warnings, %d skipped, %d not observed",
		counts[leakPass], counts[leakWarn], counts[leakSkip], counts[leakUnproven])
	if failed > 0 {
		verdict = fmt.Sprintf("%d leaks and %d failures", counts[leakLeak], counts[leakFail])
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Checks  []leakRow `json:"checks"`
			OK      bool      `json:"ok"`
			Verdict string    `json:"verdict"`
		}{rows, failed == 0, verdict}); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "CHECK\tFAMILY\tRESULT\tDETAIL")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Check, r.Family, r.Result, r.Detail)
		}
		tw.Flush()
		fmt.Fprintf(w, "\nverdict: %s\n", verdict)
	}
	if failed > 0 {
		return fmt.Errorf("leak-test failed: %s", verdict)
	}
	return nil
}
