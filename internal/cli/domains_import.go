package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/domains"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func newDomainsImportCmd(app *App) *cobra.Command {
	var skipInvalid bool
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import domain lists and IP lists, including the older toolkit's " + domains.LegacyDomainsFile + " and " + domains.LegacyIPListFile,
		Long: "Import reads any mix of domain lines (one or more domains, URLs or wildcards a line) and\n" +
			"IP-list lines (\"IP<TAB>domain\", \"domain IP\", bare IPs). Domains join DOMAINS_FILE; addresses\n" +
			"join IP_LIST_FILE. Any invalid line stops the import with nothing changed, unless --skip-invalid.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(app, args, skipInvalid)
		},
	}
	cmd.Flags().BoolVar(&skipInvalid, "skip-invalid", false, "import the valid lines and only report the invalid ones")
	return cmd
}

func runImport(app *App, files []string, skipInvalid bool) error {
	var doms []string
	var ips []domains.IPEntry
	var bad []string
	for _, f := range files {
		im, err := domains.ImportFile(f)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		doms, ips = append(doms, im.Domains...), append(ips, im.IPs...)
		for _, e := range im.Errors {
			bad = append(bad, e.Error())
		}
	}
	if len(bad) > 0 && !skipInvalid {
		return usageErrorf("%d invalid line%s, nothing imported (--skip-invalid imports the rest):\n  %s",
			len(bad), plural(len(bad), "", "s"), strings.Join(bad, "\n  "))
	}
	for _, b := range bad {
		fmt.Fprintf(app.Stderr, "skipped %s\n", b)
	}
	cfg, err := app.LoadConfig(config.RoleAny)
	if err != nil {
		return err
	}
	var added []string
	l, err := changeDomainList(cfg, func(l *domains.List) (bool, error) {
		added, _ = l.Add(doms...)
		return len(added) > 0, nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "imported %d new domains (%d already listed); %s has %d domains\n",
		len(added), len(doms)-len(added), cfg.DomainsFile, l.Len())
	if len(ips) == 0 {
		return nil
	}
	// Read, merge and write under the list's lock, so that two imports
	// (or an import and a resolve's write) never drop each other's lines.
	var nOld, nMerged int
	err = domains.EditFile(cfg.IPListFile, func(data []byte) ([]byte, error) {
		old, err := domains.ParseIPListFile(cfg.IPListFile, data)
		if err != nil {
			return nil, fmt.Errorf("%w\nfix or delete these lines of %s first", err, cfg.IPListFile)
		}
		merged := domains.SortIPEntries(append(old, ips...))
		nOld, nMerged = len(old), len(merged)
		header := fmt.Sprintf("autovpn IP list (IP<TAB>domain)\nimported %s from %s\n%d entries",
			time.Now().UTC().Format(time.RFC3339), strings.Join(files, ", "), len(merged))
		return domains.RenderIPList(merged, header), nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "imported %d new addresses; %s has %d entries\n", nMerged-nOld, cfg.IPListFile, nMerged)
	return nil
}
