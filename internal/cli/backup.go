package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/autovpn/autovpn/internal/backup"
	"github.com/autovpn/autovpn/internal/config"
)

func init() {
	register("backup", newBackupCmd)
	register("rollback", newRollbackCmd)
}

func backupStore(cfg *config.Config) *backup.Store {
	return &backup.Store{Dir: cfg.BackupDir, Version: version}
}

func newBackupCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Snapshot config, lists, PAC files and autovpn's parts of the hosts file and WireGuard config",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return usageErrorf("backup: want a subcommand: create or list") },
	}
	var keep int
	create := &cobra.Command{
		Use:   "create [--keep N]",
		Short: "Make a backup, then keep only the newest N",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if keep < 1 {
				return usageErrorf("--keep %d: keep at least 1 backup", keep)
			}
			cfg, err := app.LoadConfig(config.RoleAny)
			if err != nil {
				return err
			}
			st := backupStore(cfg)
			m, err := st.Create(backup.SourcesOf(cfg))
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "backup %s: %d files in %s\n", m.ID, present(m), m.Dir)
			gone, err := st.Prune(keep)
			for _, id := range gone {
				fmt.Fprintf(app.Stdout, "pruned backup %s\n", id)
			}
			if _, bad, serr := st.Scan(); serr == nil {
				for _, d := range bad {
					fmt.Fprintf(app.Stderr, "warning: %s\n", d.Warning())
				}
			}
			return err
		},
	}
	create.Flags().IntVar(&keep, "keep", backup.DefaultKeep, "how many backups to keep")
	list := &cobra.Command{
		Use:   "list",
		Short: "List backups, newest first",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := app.LoadConfig(config.RoleAny)
			if err != nil {
				return err
			}
			ms, bad, err := backupStore(cfg).Scan()
			if err != nil {
				return err
			}
			for _, d := range bad {
				fmt.Fprintf(app.Stderr, "warning: %s\n", d.Warning())
			}
			if len(ms) == 0 {
				fmt.Fprintf(app.Stdout, "no backups in %s; make one with `autovpn backup create`\n", cfg.BackupDir)
			}
			for _, m := range ms {
				fmt.Fprintf(app.Stdout, "%s\t%s\t%d files\tautovpn %s\n", m.ID, m.Time.Local().Format("2006-01-02 15:04:05"), present(m), m.Version)
			}
			return nil
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}

func present(m *backup.Manifest) int {
	n := 0
	for _, f := range m.Files {
		if !f.Absent {
			n++
		}
	}
	return n
}

func newRollbackCmd(app *App) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "rollback [ID]",
		Short: "Restore a backup (default the newest) as one transaction, then check the setup",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			// A broken config is the usual reason to roll back: the backup
			// folder must be found without a valid config.
			dir, err := backupDirOf(app)
			if err != nil {
				return err
			}
			id := ""
			if len(args) == 1 {
				id = args[0]
			}
			st := &backup.Store{Dir: dir, Version: version, ConfigPath: app.ConfigPath()}
			res, err := st.Rollback(id, dryRun, nil)
			if err != nil {
				return err
			}
			return reportRollback(app, res, dryRun)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the change, write nothing")
	return cmd
}

func reportRollback(app *App, res *backup.RollbackResult, dryRun bool) error {
	for _, w := range res.Warnings {
		fmt.Fprintf(app.Stderr, "warning: %s\n", w)
	}
	if res.Moved != "" {
		fmt.Fprintf(app.Stdout, "backup %s was made before the setup moved (%s): restoring its files into the current folder\n", res.Manifest.ID, res.Moved)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(app.Stdout, "skipped %s\n", s)
	}
	if dryRun {
		fmt.Fprint(app.Stdout, res.Diff)
		fmt.Fprintf(app.Stdout, "rollback to %s: dry run, nothing written\n", res.Manifest.ID)
		return nil
	}
	n := 0
	if res.Commit != nil {
		n = len(res.Commit.Written)
	}
	fmt.Fprintf(app.Stdout, "rolled back to %s (%s): %d files restored\n", res.Manifest.ID, res.Manifest.Time.Local().Format("2006-01-02 15:04:05"), n)
	failed := 0
	for _, r := range backup.Validate(app.Ctx, app.ConfigPath()) {
		st := "ok  "
		switch {
		case !r.OK:
			st, failed = "FAIL", failed+1
		case r.Warn:
			st = "warn"
		}
		fmt.Fprintf(app.Stdout, "check %s %s: %s\n", st, r.Name, r.Note)
	}
	if failed > 0 {
		return fmt.Errorf("rollback done, but %d check(s) failed", failed)
	}
	return nil
}

// backupDirOf finds BACKUP_DIR even when the rest of the config is broken.
func backupDirOf(app *App) (string, error) {
	dir, err := config.GetKey(app.ConfigPath(), "BACKUP_DIR")
	if err != nil {
		return "", configError(err)
	}
	return dir, nil
}
