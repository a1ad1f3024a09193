package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/dns"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

type resolveFlags struct {
	concurrency int
	timeout     time.Duration
	retries     int
	out         string
}

func newDomainsResolveCmd(app *App) *cobra.Command {
	var f resolveFlags
	cmd := &cobra.Command{
		Use:   "resolve",
		Short: "Resolve A and AAAA of every listed domain and its www. twin; write the IP list",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runResolve(app, f) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.concurrency, "concurrency", 32, "names resolved at once")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "time limit per name and try")
	fl.IntVar(&f.retries, "retries", 2, "extra tries for a name that failed (not for not-found)")
	fl.StringVar(&f.out, "out", "", "write here instead of IP_LIST_FILE")
	return cmd
}

// resolveNames lists each domain and its www. twin; a wildcard stands for
// its base name.
func resolveNames(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range list {
		base := strings.TrimPrefix(d, "*.")
		for _, n := range []string{base, "www." + base} {
			if strings.HasPrefix(base, "www.") && n != base || seen[n] {
				continue
			}
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// openLookuper picks the resolver: the server through the tunnel, or
// PRIMARY_DNS/SECONDARY_DNS (system when empty).
func openLookuper(app *App, cfg *config.Config, timeout time.Duration) (Lookuper, io.Closer, string, error) {
	if cfg.DNSViaServer {
		if serverLookuper == nil {
			return nil, nil, "", errors.New("DNS_VIA_SERVER=true but the tunnel resolver is not available; set DNS_VIA_SERVER=false")
		}
		l, c, err := serverLookuper(app, cfg)
		if err != nil {
			return nil, nil, "", fmt.Errorf("resolve through the server: %w (or set DNS_VIA_SERVER=false)", err)
		}
		return l, c, "the server (DNS_VIA_SERVER=true)", nil
	}
	var ups []string
	for _, s := range []string{cfg.PrimaryDNS, cfg.SecondaryDNS} {
		if s != "" {
			ups = append(ups, s)
		}
	}
	r, err := dns.New(dns.Options{Upstreams: ups, Timeout: min(timeout, 3*time.Second), Log: app.Log})
	if err != nil {
		return nil, nil, "", &UsageError{Err: fmt.Errorf("PRIMARY_DNS/SECONDARY_DNS: %w", err)}
	}
	return completeLookup{r}, io.NopCloser(nil), strings.Join(r.Upstreams(), ", "), nil
}

// completeLookup makes a name fail when either family failed (a timeout, a
// server failure), even if the other answered: writeIPList then keeps the
// name's previous addresses instead of writing it without one family.
type completeLookup struct{ r *dns.Resolver }

func (c completeLookup) LookupAddrs(ctx context.Context, host string) ([]dns.Record, error) {
	return c.r.LookupAddrsComplete(ctx, host)
}

func runResolve(app *App, f resolveFlags) error {
	cfg, l, err := loadDomainList(app)
	if err != nil {
		return err
	}
	out := cfg.IPListFile
	if f.out != "" {
		out = f.out
	}
	names := resolveNames(l.Domains())
	if len(names) == 0 {
		return usageErrorf("%s lists no domains; add some with `autovpn domains add`", cfg.DomainsFile)
	}
	lk, closer, via, err := openLookuper(app, cfg, f.timeout)
	if err != nil {
		return err
	}
	defer closer.Close()
	opts := dns.BulkOptions{Concurrency: f.concurrency, Timeout: f.timeout, Retries: f.retries}
	if f.retries <= 0 {
		opts.Retries = -1
	}
	if stderrIsTerminal(app) {
		bar := progressbar.NewOptions(len(names), progressbar.OptionSetWriter(app.Stderr),
			progressbar.OptionSetDescription("resolving"), progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
		opts.Progress = func(int, int) { _ = bar.Add(1) }
		defer bar.Finish()
	}
	start := time.Now()
	results := dns.ResolveAll(app.Ctx, lk, names, opts)
	if app.Ctx.Err() != nil {
		return fmt.Errorf("resolve interrupted: %s left unchanged", out)
	}
	s := summarize(results)
	s.print(app.Stdout, via, time.Since(start))
	if s.resolved == 0 {
		return fmt.Errorf("no name resolved via %s; %s left unchanged", via, out)
	}
	return writeIPList(app, out, via, s, results)
}

// writeIPList writes the new list; names that failed for a reason other
// than not-found, and names whose every answer was rejected as bogus (a
// poisoned resolver must not erase a routed name), keep their previous
// addresses. The previous list is read and the new one written under the
// list's lock.
func writeIPList(app *App, out, via string, s *resolveSummary, results []dns.BulkResult) error {
	var fresh []domains.IPEntry
	failed := map[string]bool{}
	for _, r := range results {
		if (r.Err != nil && !errors.Is(r.Err, dns.ErrNotFound)) || (r.Err == nil && len(r.Records) == 0 && len(r.Rejected) > 0) {
			failed[r.Name] = true
		}
		for _, rec := range r.Records {
			fresh = append(fresh, domains.IPEntry{IP: rec.IP, Domain: r.Name})
		}
	}
	var entries []domains.IPEntry
	kept := 0
	err := domains.EditFile(out, func(data []byte) ([]byte, error) {
		entries, kept = append([]domains.IPEntry(nil), fresh...), 0
		old, _ := domains.ParseIPListFile(out, data) // what parses of a damaged list still counts
		for _, e := range old {
			if failed[e.Domain] {
				entries, kept = append(entries, e), kept+1
			}
		}
		header := fmt.Sprintf("autovpn IP list (IP<TAB>domain), written by `autovpn domains resolve`\n"+
			"resolved %s via %s\n%d names resolved, %d IPv4, %d IPv6, %d failed",
			time.Now().UTC().Format(time.RFC3339), via, s.resolved, s.v4, s.v6, len(s.failed))
		if kept > 0 {
			header += fmt.Sprintf("\n%d entries kept from the previous list for names that failed", kept)
		}
		return domains.RenderIPList(entries, header), nil
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Fprintf(app.Stdout, "wrote %s (%d entries", out, len(domains.SortIPEntries(entries)))
	if kept > 0 {
		fmt.Fprintf(app.Stdout, ", %d kept from the previous list for failed names", kept)
	}
	fmt.Fprintln(app.Stdout, "; the previous list is kept as "+out+".bak if there was one)")
	return nil
}

type resolveSummary struct {
	names, resolved, v4, v6 int
	failed                  []string
	rejected                []string
}

func summarize(results []dns.BulkResult) *resolveSummary {
	s := &resolveSummary{names: len(results)}
	for _, r := range results {
		for _, rej := range r.Rejected {
			s.rejected = append(s.rejected, fmt.Sprintf("%s %s: %s", r.Name, rej.IP, rej.Reason))
		}
		switch {
		case r.Err != nil:
			s.failed = append(s.failed, fmt.Sprintf("%s: %v", r.Name, r.Err))
		case len(r.Records) == 0:
			s.failed = append(s.failed, fmt.Sprintf("%s: every answer was rejected", r.Name))
		default:
			s.resolved++
			for _, rec := range r.Records {
				if rec.IP.Is4() {
					s.v4++
				} else {
					s.v6++
				}
			}
		}
	}
	sort.Strings(s.failed)
	sort.Strings(s.rejected)
	return s
}

func (s *resolveSummary) print(w io.Writer, via string, took time.Duration) {
	fmt.Fprintf(w, "resolved %d of %d names via %s in %v: %d IPv4, %d IPv6 addresses\n",
		s.resolved, s.names, via, took.Round(time.Millisecond), s.v4, s.v6)
	if len(s.rejected) > 0 {
		fmt.Fprintf(w, "rejected %d answer%s that cannot be real:\n  %s\n", len(s.rejected),
			plural(len(s.rejected), "", "s"), strings.Join(s.rejected, "\n  "))
	}
	if len(s.failed) > 0 {
		fmt.Fprintf(w, "failed %d:\n  %s\n", len(s.failed), strings.Join(s.failed, "\n  "))
	}
}
