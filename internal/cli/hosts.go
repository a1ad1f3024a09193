package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/autovpn/autovpn/internal/hostsfile"
	"github.com/autovpn/autovpn/internal/sysedit"
)

func init() { register("hosts", newHostsCmd) }

func newHostsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hosts",
		Short: "Manage autovpn's block in the OS hosts file (apply, show, diff, clear, restore)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErrorf("hosts: want a subcommand: apply, show, diff, clear or restore")
		},
	}
	var dryRun bool
	edit := func(use, short string, dry bool, run func(*config.Config, *hostsfile.File, []string) ([]byte, string, error)) *cobra.Command {
		c := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs, RunE: func(_ *cobra.Command, args []string) error {
			return hostsEdit(app, dryRun || dry, args, run)
		}}
		if !dry {
			c.Flags().BoolVar(&dryRun, "dry-run", false, "print the change, write nothing")
		}
		return c
	}
	restore := &cobra.Command{Use: "restore [ID]", Short: "List hosts file backups, or put back autovpn's block from backup ID",
		Args: cobra.MaximumNArgs(1), RunE: func(_ *cobra.Command, args []string) error { return hostsRestore(app, dryRun, args) }}
	restore.Flags().BoolVar(&dryRun, "dry-run", false, "print the change, write nothing")
	cmd.AddCommand(
		edit("apply", "Write the IP list's entries (IPv4 and IPv6, bare and www.) into the hosts file", false, hostsApply),
		edit("diff", "Show what apply would change", true, hostsApply),
		edit("clear", "Remove autovpn's block (and the older toolkit's) from the hosts file", false, hostsClear),
		restore,
		&cobra.Command{Use: "show", Short: "Print the entries of autovpn's block", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error { return hostsShow(app) }},
	)
	return cmd
}

// hostsEdit reads the hosts file in a transaction, lets run compute the new
// content, and writes it (or prints the diff).
func hostsEdit(app *App, dryRun bool, args []string, run func(*config.Config, *hostsfile.File, []string) ([]byte, string, error)) error {
	if len(args) > 0 {
		return usageErrorf("unexpected argument %q", args[0])
	}
	cfg, err := app.LoadConfig(config.RoleAny)
	if err != nil {
		return err
	}
	tx := newSysTx(cfg)
	cur, err := tx.Read(cfg.HostsFile, "hosts file")
	if err != nil {
		return err
	}
	f, err := hostsfile.Parse(bytes.NewReader(cur))
	if err != nil {
		return fmt.Errorf("hosts file %s: %w", cfg.HostsFile, err)
	}
	next, summary, err := run(cfg, f, args)
	if err != nil {
		return err
	}
	tx.Write(cfg.HostsFile, next)
	wrote, err := finishTx(app, tx, dryRun, "hosts "+cfg.HostsFile, nil)
	if err != nil {
		return err
	}
	if wrote {
		fmt.Fprintf(app.Stdout, "hosts %s: %s\n%s\n", cfg.HostsFile, summary, dnsFlushHint())
	}
	return nil
}

func hostsApply(cfg *config.Config, f *hostsfile.File, _ []string) ([]byte, string, error) {
	ips, err := domains.ReadIPList(cfg.IPListFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("IP list %s does not exist; run `autovpn domains resolve` first", cfg.IPListFile)
	}
	if err != nil {
		return nil, "", err
	}
	var pairs []hostsfile.Entry
	for _, e := range ips {
		pairs = append(pairs, hostsfile.Entry{IP: e.IP, Name: e.Domain})
	}
	es := hostsfile.Twins(pairs)
	v4 := 0
	for _, e := range es {
		if e.IP.Is4() {
			v4++
		}
	}
	summary := fmt.Sprintf("wrote %d entries (%d IPv4, %d IPv6)", len(es), v4, len(es)-v4)
	if f.HasLegacy() {
		summary += "; migrated the older " + hostsfile.LegacyMarker + " block"
	}
	return f.Apply(es), summary, nil
}

func hostsClear(_ *config.Config, f *hostsfile.File, _ []string) ([]byte, string, error) {
	return f.Clear(), "removed autovpn's block; every other line kept", nil
}

func hostsShow(app *App) error {
	cfg, err := app.LoadConfig(config.RoleAny)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(cfg.HostsFile)
	if err != nil {
		return fmt.Errorf("read hosts file: %w", err)
	}
	f, err := hostsfile.Parse(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("hosts file %s: %w", cfg.HostsFile, err)
	}
	if !f.HasBlock() {
		fmt.Fprintf(app.Stdout, "no autovpn block in %s; write one with `autovpn hosts apply`\n", cfg.HostsFile)
		return nil
	}
	if f.HasLegacy() {
		fmt.Fprintf(app.Stdout, "# the older toolkit's block (%s); `autovpn hosts apply` migrates it\n", hostsfile.LegacyMarker)
	}
	for _, e := range f.Entries() {
		fmt.Fprintf(app.Stdout, "%s\t%s\n", e.IP, e.Name)
	}
	return nil
}

// hostsRestore lists the safety copies of the hosts file, or puts back
// autovpn's block from one of them (only the block: user lines added since
// stay).
func hostsRestore(app *App, dryRun bool, args []string) error {
	cfg, err := app.LoadConfig(config.RoleAny)
	if err != nil {
		return err
	}
	bs, err := sysedit.ListBackups(nil, sysBackupDir(cfg), cfg.HostsFile)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		if len(bs) == 0 {
			fmt.Fprintf(app.Stdout, "no backups of %s in %s\n", cfg.HostsFile, sysBackupDir(cfg))
			return nil
		}
		fmt.Fprintf(app.Stdout, "backups of %s (restore one with `autovpn hosts restore ID`):\n", cfg.HostsFile)
		for _, b := range bs {
			fmt.Fprintf(app.Stdout, "%s\t%s\n", b.ID, b.Time.Local().Format("2006-01-02 15:04:05"))
		}
		return nil
	}
	var from *sysedit.Backup
	for i := range bs {
		if bs[i].ID == args[0] {
			from = &bs[i]
		}
	}
	if from == nil {
		return usageErrorf("hosts restore: no backup %q of %s; run `autovpn hosts restore` to list them", args[0], cfg.HostsFile)
	}
	saved, err := os.ReadFile(from.Path)
	if err != nil {
		return err
	}
	old, err := hostsfile.Parse(bytes.NewReader(saved))
	if err != nil {
		return fmt.Errorf("backup %s: %w", from.Path, err)
	}
	return hostsEdit(app, dryRun, nil, func(_ *config.Config, f *hostsfile.File, _ []string) ([]byte, string, error) {
		next, err := f.WithBlock(old.Block())
		return next, "restored autovpn's block from backup " + from.ID, err
	})
}
