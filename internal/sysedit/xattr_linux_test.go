//go:build linux

package sysedit

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// An edit keeps the file's extended attributes (an SELinux label, ACLs):
// the renamed temp file would otherwise get its folder's defaults.
func TestCommitKeepsExtendedAttributes(t *testing.T) {
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts")
	writeFile(t, hosts, "127.0.0.1 localhost\n", 0o644)
	if err := unix.Setxattr(hosts, "user.autovpn-test", []byte("label-x"), 0); err != nil {
		t.Skip("this file system takes no user attributes:", err)
	}
	tx := New(Options{BackupDir: filepath.Join(dir, "backups"), Now: fixedNow})
	old, err := tx.Read(hosts, "hosts file")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Write(hosts, append(old, "1.2.3.4 x.test\n"...)); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, hosts); got != "127.0.0.1 localhost\n1.2.3.4 x.test\n" {
		t.Fatalf("content = %q", got)
	}
	buf := make([]byte, 64)
	n, err := unix.Getxattr(hosts, "user.autovpn-test", buf)
	if err != nil || string(buf[:n]) != "label-x" {
		t.Fatalf("attribute after the edit: %q, %v; want label-x", buf[:n], err)
	}
	noStrays(t, dir)
}
