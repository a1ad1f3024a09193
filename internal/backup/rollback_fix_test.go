package backup

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/wgconf"
)

// TestRollbackMovedSetup: a setup folder moved with its backups (relative
// BACKUP_DIR). Rolling back with the moved config restores into the moved
// folder; nothing is written at the old place.
func TestRollbackMovedSetup(t *testing.T) {
	s := newSetup(t, "")
	m, err := s.store.Create(s.sources(t))
	if err != nil {
		t.Fatal(err)
	}
	oldCfg := read(t, s.cfg)
	moved := filepath.Join(filepath.Dir(s.dir), "moved")
	if err := os.Rename(s.dir, moved); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(moved, "config.env")
	os.WriteFile(cfg, []byte(oldCfg+"SOCKS5_PORT=1999\n"), 0o600)
	os.WriteFile(filepath.Join(moved, "routes", "domains.txt"), []byte("example.com\nnew.org\n"), 0o644)

	// Without the current config: refused, naming the backup, the old
	// path and the move; nothing written anywhere.
	plain := &Store{Dir: filepath.Join(moved, "backups")}
	_, err = plain.Rollback("", false, nil)
	if err == nil || !strings.Contains(err.Error(), m.ID) || !strings.Contains(err.Error(), s.cfg) ||
		!strings.Contains(err.Error(), "setup moved") || !strings.Contains(err.Error(), "nothing restored") {
		t.Fatalf("rollback of a moved setup without ConfigPath: %v", err)
	}
	if _, err := os.Stat(s.dir); err == nil {
		t.Fatalf("the old folder %s was recreated", s.dir)
	}

	st := &Store{Dir: filepath.Join(moved, "backups"), ConfigPath: cfg}
	res, err := st.Rollback("", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != s.dir+" -> "+moved {
		t.Errorf("Moved = %q", res.Moved)
	}
	if got := read(t, cfg); got != oldCfg {
		t.Errorf("moved config not restored:\n%s", got)
	}
	if got := read(t, filepath.Join(moved, "routes", "domains.txt")); got != "example.com\n" {
		t.Errorf("moved domain list not restored: %q", got)
	}
	if _, err := os.Stat(s.dir); err == nil {
		t.Fatalf("the old folder %s was recreated", s.dir)
	}
}

// TestRollbackOtherSetupRefused: a backup of another setup that still
// exists is not written into it when rolling back for this config.
func TestRollbackOtherSetupRefused(t *testing.T) {
	a, b := newSetup(t, ""), newSetup(t, "")
	if _, err := a.store.Create(a.sources(t)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(a.cfg, []byte(read(t, a.cfg)+"SOCKS5_PORT=1999\n"), 0o600)
	before := read(t, a.cfg)
	st := &Store{Dir: a.store.Dir, ConfigPath: b.cfg}
	_, err := st.Rollback("", false, nil)
	if err == nil || !strings.Contains(err.Error(), "is of the setup at "+a.cfg) || !strings.Contains(err.Error(), "nothing restored") {
		t.Fatalf("err = %v", err)
	}
	if read(t, a.cfg) != before {
		t.Error("the other setup's config was changed")
	}
	// The same config named through a relative path is this setup.
	wd, _ := os.Getwd()
	t.Chdir(a.dir)
	defer os.Chdir(wd)
	st.ConfigPath = "config.env"
	if _, err := st.Rollback("", true, nil); err != nil {
		t.Errorf("relative config path: %v", err)
	}
}

// TestRollbackCreatesConfigPrivate: a config file that rollback has to
// create gets 0600, never sysedit's default 0644.
func TestRollbackCreatesConfigPrivate(t *testing.T) {
	s := newSetup(t, "USER=u\nPASS=topsecret\n")
	if _, err := s.store.Create(s.sources(t)); err != nil {
		t.Fatal(err)
	}
	want := read(t, s.cfg)
	os.Remove(s.cfg)
	if _, err := s.store.Rollback("", false, nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 || read(t, s.cfg) != want {
		t.Errorf("restored config: mode %v, content %q", fi.Mode().Perm(), read(t, s.cfg))
	}
}

// TestRollbackDiffMasksSecrets: the dry-run diff never shows a secret,
// changed or as context, in config.env or the WireGuard config.
func TestRollbackDiffMasksSecrets(t *testing.T) {
	const (
		priv   = "cGVyc29uYWwtcHJpdmF0ZS1rZXktZG8tbm90LWxlYWs="
		psk    = "cHJlc2hhcmVkLWtleS1kby1ub3QtbGVhay0xMjM0NTY="
		prefix = "abcdefghijklmnopqrstuvwxyz012345"
	)
	s := newSetup(t, "USER=u\nPASS=old-secret\nexport SSH_PASSWORD=ssh-secret\n")
	wg := "[Interface]\nPrivateKey = " + priv + "\nAddress = 10.8.0.2/24\nMTU = 1420\n\n[Peer]\nPublicKey = " + wgKey +
		"\nPresharedKey = " + psk + "\nEndpoint = 127.0.0.1:1081\nAllowedIPs = 10.8.0.0/24, 104.16.132.229/32\n"
	os.WriteFile(s.wg, []byte(wg), 0o600)
	m, err := s.store.Create(s.sources(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(read(t, s.cfg), "PASS=old-secret", "PASS=new-secret", 1)
	os.WriteFile(s.cfg, []byte(cfg+"SOCKS5_PORT=1999\n"), 0o600)
	os.WriteFile(s.wg, []byte(strings.NewReplacer("MTU = 1420", "MTU = 1280", "127.0.0.1:1081", "127.0.0.1:9999").Replace(wg)), 0o600)

	res, err := s.store.Rollback(m.ID, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"old-secret", "new-secret", "ssh-secret", prefix, priv, psk} {
		if strings.Contains(res.Diff, secret) {
			t.Errorf("the diff shows secret %q:\n%s", secret, res.Diff)
		}
	}
	for _, want := range []string{"-PASS=" + secretMask, "+PASS=" + secretMask, " PrivateKey = " + secretMask, "-SOCKS5_PORT=1999", "+Endpoint = 127.0.0.1:1081"} {
		if !strings.Contains(res.Diff, want+"\n") {
			t.Errorf("the diff lacks %q:\n%s", want, res.Diff)
		}
	}
}

func TestMaskLines(t *testing.T) {
	for in, want := range map[string]string{
		"PASS=x":            "PASS=" + secretMask,
		"  export PREFIX=x": "  export PREFIX=" + secretMask,
		"# PASS=x":          "# PASS=" + secretMask,
		"ssh_password = x":  "ssh_password =" + secretMask,
		"PASS=":             "PASS=",
		"USER=bob":          "USER=bob",
		"SOCKS5_PORT=1":     "SOCKS5_PORT=1",
		"no equals sign":    "no equals sign",
	} {
		if got := maskConfigLine(in); got != want {
			t.Errorf("maskConfigLine(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"PrivateKey = k":   "PrivateKey = " + secretMask,
		"presharedkey=k":   "presharedkey= " + secretMask,
		"#PrivateKey = k":  "#PrivateKey = " + secretMask,
		"PublicKey = k":    "PublicKey = k",
		"Address = 10.0.0": "Address = 10.0.0",
	} {
		if got := wgconf.MaskSecret(in); got != want {
			t.Errorf("MaskSecret(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDamagedBackupsReported: a backup whose manifest is damaged is
// reported by Scan, and a rollback to the newest says it skipped it.
func TestDamagedBackupsReported(t *testing.T) {
	s := newSetup(t, "")
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	s.store.Now = func() time.Time { now = now.Add(time.Second); return now }
	older, err := s.store.Create(s.sources(t))
	if err != nil {
		t.Fatal(err)
	}
	newer, err := s.store.Create(s.sources(t))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(newer.Dir, manifestName), nil, 0o600)
	os.MkdirAll(filepath.Join(s.store.Dir, "20261124T100009Z"), 0o700) // an ID without a manifest
	os.MkdirAll(filepath.Join(s.store.Dir, "notes"), 0o700)            // not a backup
	os.MkdirAll(filepath.Join(s.store.Dir, SystemDir), 0o700)          // sysedit's copies

	ms, bad, err := s.store.Scan()
	if err != nil || len(ms) != 1 || ms[0].ID != older.ID {
		t.Fatalf("Scan = %v, %v", ms, err)
	}
	if len(bad) != 2 || bad[0].ID != "20261124T100009Z" || bad[1].ID != newer.ID ||
		!strings.Contains(bad[1].Warning(), newer.Dir) || !strings.Contains(bad[0].Warning(), "manifest.json is missing") {
		t.Fatalf("damaged = %+v", bad)
	}
	res, err := s.store.Rollback("", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.ID != older.ID || len(res.Warnings) != 2 || !strings.Contains(strings.Join(res.Warnings, "\n"), "skipped a newer backup: backup folder "+newer.Dir) {
		t.Errorf("rollback to %s, warnings %q", res.Manifest.ID, res.Warnings)
	}
	if _, err := s.store.Get(newer.ID); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("Get(damaged) = %v", err)
	}
	// Create left no hidden temp folder behind.
	if des, _ := os.ReadDir(s.store.Dir); len(des) != 5 {
		t.Errorf("backup folder holds %d entries, want 5", len(des))
	}
}

// TestValidatePortsHeldByClient: ADMIN_ADDR empty and a client holding
// every listener: a warning to restart it, not a failure.
func TestValidatePortsHeldByClient(t *testing.T) {
	var ports []int
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s := newSetup(t, "ADMIN_ADDR=\nENABLE_IPV6=false\n"+
		"SOCKS5_PORT="+fmt.Sprint(ports[0])+"\nHTTP_PORT="+fmt.Sprint(ports[1])+"\nWSTUNNEL_PORT="+fmt.Sprint(pc.LocalAddr().(*net.UDPAddr).Port)+"\n")
	rs := Validate(context.Background(), s.cfg)
	last := rs[len(rs)-1]
	if !last.OK || !last.Warn || !strings.Contains(last.Note, "a client is probably running; restart it") {
		t.Errorf("bind check = %+v", last)
	}
}
