package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/autovpn/autovpn/internal/pac"
)

func init() { register("pac", newPACCmd) }

func newPACCmd(app *App) *cobra.Command {
	var mode, out string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "pac [--mode smart|bypass|all|direct] [--out FILE]",
		Short: "Write a PAC file (default PAC_DIR/proxy.pac)",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			m, err := pac.ParseMode(mode)
			if err != nil {
				return &UsageError{Err: err}
			}
			cfg, err := app.LoadConfig(config.RoleAny)
			if err != nil {
				return err
			}
			body, n, err := renderPAC(app, cfg, m)
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join(cfg.PACDir, "proxy.pac")
			}
			tx := newSysTx(cfg)
			if _, err := tx.Read(out, "PAC file"); err != nil {
				return err
			}
			tx.Write(out, body)
			wrote, err := finishTx(app, tx, dryRun, "pac "+out, nil)
			if wrote {
				fmt.Fprintf(app.Stdout, "pac %s: mode %s, %d domains\n", out, m, n)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&mode, "mode", "smart", "smart (listed domains via proxy), bypass (direct list direct, rest via proxy), all, direct")
	cmd.Flags().StringVar(&out, "out", "", "output file (default PAC_DIR/proxy.pac)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the change, write nothing")
	return cmd
}

// renderPAC builds the PAC for cfg; n is the number of domains it lists.
func renderPAC(app *App, cfg *config.Config, m pac.Mode) (body []byte, n int, err error) {
	o := pac.Options{Mode: m, SOCKS5Port: cfg.SOCKS5Port, HTTPPort: cfg.HTTPPort,
		ListenV4: cfg.ListenV4, ListenV6: cfg.ListenV6, EnableIPv6: cfg.EnableIPv6}
	switch m {
	case pac.Smart:
		o.Domains, err = optionalList(app, cfg.DomainsFile, "domain list")
		n = len(o.Domains)
	case pac.Bypass:
		if _, serr := os.Stat(cfg.DirectDomainsFile); errors.Is(serr, fs.ErrNotExist) {
			// DESIGN §3: the direct list starts seeded; without a file of
			// the user's, bypass sends the seed direct, not everything
			// through the proxy.
			fmt.Fprintf(app.Stderr, "note: direct domain list %s does not exist; using the built-in one (.cn and large domestic sites; `autovpn config init` writes it for editing)\n", cfg.DirectDomainsFile)
			l := domains.NewList()
			l.Add(domains.DirectSeed...)
			o.DirectDomains = l.Domains()
		} else {
			o.DirectDomains, err = optionalList(app, cfg.DirectDomainsFile, "direct domain list")
		}
		n = len(o.DirectDomains)
	}
	if err != nil {
		return nil, 0, err
	}
	body, err = pac.Render(o)
	return body, n, err
}

// optionalList reads a domain list; a missing file is an empty list (with a
// note on stderr).
func optionalList(app *App, path, what string) ([]string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) { // ReadList takes it as empty, silently
		fmt.Fprintf(app.Stderr, "note: %s %s does not exist; treating it as empty\n", what, path)
		return nil, nil
	}
	l, err := domains.ReadList(path)
	if err != nil {
		return nil, err
	}
	return l.Domains(), nil
}
