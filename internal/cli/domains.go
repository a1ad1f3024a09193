package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/dns"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/spf13/cobra"
)

func init() { register("domains", newDomainsCmd) }

// Lookuper resolves a name to A and AAAA records: *dns.Resolver or the
// tunnel's resolve streams.
type Lookuper = dns.Lookuper

// serverLookuper opens the tunnel to the server and returns a Lookuper that
// resolves through it (DNS_VIA_SERVER=true). The client wiring assigns it;
// the io.Closer tears the tunnel down.
var serverLookuper func(app *App, cfg *config.Config) (Lookuper, io.Closer, error)

func newDomainsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "domains",
		Short: "Manage the domain list; resolve writes the IP list (A and AAAA)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown domains command %q; want add, remove, list, import or resolve", args[0])
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newDomainsAddCmd(app), newDomainsRemoveCmd(app), newDomainsListCmd(app),
		newDomainsImportCmd(app), newDomainsResolveCmd(app))
	return cmd
}

// loadDomainList reads the config and the domain list. An invalid line in
// the list is a usage error: rewriting would lose it.
func loadDomainList(app *App) (*config.Config, *domains.List, error) {
	cfg, err := app.LoadConfig(config.RoleAny)
	if err != nil {
		return nil, nil, err
	}
	l, err := domains.ReadList(cfg.DomainsFile)
	if err != nil {
		return nil, nil, &UsageError{Err: fmt.Errorf("%w\nfix or delete these lines of %s first", err, cfg.DomainsFile)}
	}
	return cfg, l, nil
}

// entriesFromArgs gathers entries from args ("-" reads stdin) and names
// each by where it came from, for error messages.
func entriesFromArgs(app *App, args []string) (entries, where []string, err error) {
	for i, a := range args {
		if a != "-" {
			for _, e := range domains.SplitEntries(a) {
				entries, where = append(entries, e), append(where, fmt.Sprintf("argument %d", i+1))
			}
			continue
		}
		data, err := io.ReadAll(app.Stdin)
		if err != nil {
			return nil, nil, fmt.Errorf("read stdin: %w", err)
		}
		for n, line := range strings.Split(string(data), "\n") {
			line, _ = domains.CutComment(line) // as in a list file
			for _, e := range domains.SplitEntries(line) {
				entries, where = append(entries, e), append(where, fmt.Sprintf("stdin:%d", n+1))
			}
		}
	}
	if len(entries) == 0 {
		return nil, nil, usageErrorf("no domains given")
	}
	return entries, where, nil
}

// checkEntries normalises every entry; any invalid one is a usage error
// listing all of them, and nothing is changed.
func checkEntries(entries, where []string) error {
	var bad []string
	for i, e := range entries {
		if _, err := domains.Normalize(e); err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", where[i], err))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return usageErrorf("%d invalid entr%s, nothing changed:\n  %s", len(bad), plural(len(bad), "y", "ies"),
		strings.Join(bad, "\n  "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// editDomains reads and checks the entries that add or remove got (args,
// or stdin for "-") and loads the config naming the list they change.
func editDomains(app *App, args []string) ([]string, *config.Config, error) {
	entries, where, err := entriesFromArgs(app, args)
	if err != nil {
		return nil, nil, err
	}
	if err := checkEntries(entries, where); err != nil {
		return nil, nil, err
	}
	cfg, err := app.LoadConfig(config.RoleAny)
	return entries, cfg, err
}

// changeDomainList reads the domain list, lets change edit it and writes it
// back when change says so, all under the file's lock, so that parallel
// commands each see the others' changes (domains.EditFile). As in
// loadDomainList, an invalid line is a usage error: rewriting would lose
// it. It returns the list as changed.
func changeDomainList(cfg *config.Config, change func(l *domains.List) (write bool, err error)) (*domains.List, error) {
	var l *domains.List
	err := domains.EditFile(cfg.DomainsFile, func(old []byte) ([]byte, error) {
		var err error
		if l, err = domains.ParseListFile(cfg.DomainsFile, old); err != nil {
			return nil, &UsageError{Err: fmt.Errorf("%w\nfix or delete these lines of %s first", err, cfg.DomainsFile)}
		}
		write, err := change(l)
		if err != nil || !write {
			return old, err
		}
		return l.Render(), nil
	})
	return l, err
}

func newDomainsAddCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "add DOMAIN... (or - for stdin)",
		Short: "Add domains (URLs, wildcards, IDNs and pasted lists accepted)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			entries, cfg, err := editDomains(app, args)
			if err != nil {
				return err
			}
			var added []string
			l, err := changeDomainList(cfg, func(l *domains.List) (bool, error) {
				added, _ = l.Add(entries...)
				return len(added) > 0, nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "added %d, already listed %d; %s has %d domains\n",
				len(added), len(entries)-len(added), cfg.DomainsFile, l.Len())
			return nil
		},
	}
}

func newDomainsRemoveCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "remove DOMAIN... (or - for stdin)",
		Short: "Remove domains (with the comments above them)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			entries, cfg, err := editDomains(app, args)
			if err != nil {
				return err
			}
			var removed []string
			l, err := changeDomainList(cfg, func(l *domains.List) (bool, error) {
				var errs []error
				if removed, errs = l.Remove(entries...); len(errs) > 0 {
					return false, fmt.Errorf("nothing changed: %w", errors.Join(errs...))
				}
				return true, nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "removed %d; %s has %d domains\n", len(removed), cfg.DomainsFile, l.Len())
			return nil
		},
	}
}

func newDomainsListCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "Print the listed domains, normalised and sorted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig(config.RoleAny)
			if err != nil {
				return err
			}
			l, err := domains.ReadList(cfg.DomainsFile)
			if l == nil {
				return err
			}
			var b bytes.Buffer
			for _, d := range l.Domains() {
				b.WriteString(d + "\n")
			}
			if _, werr := app.Stdout.Write(b.Bytes()); werr != nil {
				return werr
			}
			if err != nil {
				return &UsageError{Err: err} // the valid ones are printed; the bad lines named
			}
			return nil
		},
	}
}

// stderrIsTerminal reports whether progress can be drawn on app.Stderr.
func stderrIsTerminal(app *App) bool {
	f, ok := app.Stderr.(*os.File)
	return ok && isTerminal(f)
}
