package cli

import (
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/autovpn/autovpn/internal/backup"
	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/sysedit"
)

// newSysTx starts a file transaction whose safety copies go to
// BACKUP_DIR/files.
func newSysTx(cfg *config.Config) *sysedit.Tx {
	return sysedit.New(sysedit.Options{BackupDir: sysBackupDir(cfg)})
}

func sysBackupDir(cfg *config.Config) string { return filepath.Join(cfg.BackupDir, backup.SystemDir) }

// finishTx prints the diff (dry run; mask, if not nil, hides the secrets of
// its lines) or commits. It reports whether files were written.
func finishTx(app *App, tx *sysedit.Tx, dryRun bool, what string, mask func(line string) string) (bool, error) {
	diff := tx.Diff()
	if diff == "" {
		fmt.Fprintf(app.Stdout, "%s: no change\n", what)
		return false, nil
	}
	if dryRun {
		if mask != nil { // a secret of the file must not show in the diff
			diff = sysedit.MaskDiff(diff, mask)
		}
		fmt.Fprint(app.Stdout, diff)
		fmt.Fprintf(app.Stdout, "%s: dry run, nothing written\n", what)
		return false, nil
	}
	res, err := tx.Commit()
	if err != nil {
		return false, err
	}
	for _, b := range res.Backups {
		fmt.Fprintf(app.Stdout, "%s: previous version saved as %s\n", what, b)
	}
	return true, nil
}

// dnsFlushHint says how to make the OS forget cached answers after a hosts
// change.
func dnsFlushHint() string {
	switch runtime.GOOS {
	case "windows":
		return "flush the DNS cache: ipconfig /flushdns (in an administrator prompt)"
	case "darwin":
		return "flush the DNS cache: sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder"
	}
	return "flush the DNS cache if one runs: resolvectl flush-caches (systemd-resolved), or restart nscd/dnsmasq; browsers keep their own cache for about a minute"
}
