package backup

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/autovpn/autovpn/internal/sysedit"
)

const wgKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

// setup is a config folder with every kind of file a backup holds.
type setup struct {
	dir, cfg, hosts, wg string
	store               *Store
}

func newSetup(t testing.TB, extraConfig string) *setup {
	t.Helper()
	dir := t.TempDir()
	s := &setup{dir: dir, cfg: filepath.Join(dir, "config.env"), hosts: filepath.Join(dir, "hosts"), wg: filepath.Join(dir, "wg0.conf")}
	files := map[string]string{
		"config.env":         fmt.Sprintf("PREFIX=abcdefghijklmnopqrstuvwxyz012345\nSERVER_IP=203.0.113.7\nHOSTS_FILE=%s\nWG_CONF_PATH=%s\n%s", s.hosts, s.wg, extraConfig),
		"routes/domains.txt": "example.com\n",
		"routes/ips.txt":     "104.16.132.229\texample.com\n2606:4700::6810:84e5\texample.com\n",
		"pac/proxy.pac":      "function FindProxyForURL(u, h) { return \"DIRECT\"; }\n",
		"hosts":              "127.0.0.1 localhost\r\n# BEGIN AUTOVPN\r\n104.16.132.229\texample.com\r\n# END AUTOVPN\r\n",
		"wg0.conf":           "[Interface]\nPrivateKey = " + wgKey + "\nAddress = 10.8.0.2/24\n\n[Peer]\nPublicKey = " + wgKey + "\nEndpoint = 127.0.0.1:1081\nAllowedIPs = 10.8.0.0/24, 104.16.132.229/32\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.store = &Store{Dir: filepath.Join(dir, "backups"), Version: "test"}
	return s
}

func (s *setup) sources(t testing.TB) Sources {
	t.Helper()
	c, err := config.Load(s.cfg, config.RoleAny)
	if err != nil {
		t.Fatal(err)
	}
	return SourcesOf(c)
}

func read(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCreateListPrune(t *testing.T) {
	s := newSetup(t, "")
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	s.store.Now = func() time.Time { now = now.Add(time.Second); return now }
	src := s.sources(t)
	var ids []string
	for range 4 {
		m, err := s.store.Create(src)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	m, err := s.store.Get("")
	if err != nil || m.ID != ids[3] || m.ID != "20261124T100004Z" || m.Version != "test" {
		t.Fatalf("Get newest = %+v, %v", m, err)
	}
	kinds := map[string]int{}
	for _, f := range m.Files {
		kinds[f.Kind]++
		if f.Kind == KindDirect && !f.Absent {
			t.Errorf("direct list should be absent: %+v", f)
		}
	}
	for _, k := range []string{KindConfig, KindDomains, KindIPList, KindPAC, KindHosts, KindWG} {
		if kinds[k] != 1 {
			t.Errorf("kind %s: %d files", k, kinds[k])
		}
	}
	if err := m.verify(); err != nil {
		t.Error(err)
	}
	gone, err := s.store.Prune(2)
	if err != nil || strings.Join(gone, " ") != ids[1]+" "+ids[0] {
		t.Errorf("Prune = %v, %v", gone, err)
	}
	ms, _ := s.store.List()
	if len(ms) != 2 || ms[0].ID != ids[3] {
		t.Errorf("after prune: %d backups", len(ms))
	}
	if _, err := s.store.Get("../x"); err == nil {
		t.Error("Get accepted a path")
	}
	if _, err := s.store.Prune(0); err == nil {
		t.Error("Prune(0) accepted")
	}
}

// TestRollbackAfterBadConfigSet: a wrong `config set` and a hand-broken
// line make the config unusable; rollback brings back the old file and the
// checks pass again. The user's hosts line added meanwhile survives.
func TestRollbackAfterBadConfigSet(t *testing.T) {
	s := newSetup(t, "ADMIN_ADDR=\n")
	m, err := s.store.Create(s.sources(t))
	if err != nil {
		t.Fatal(err)
	}
	oldCfg, oldWG := read(t, s.cfg), read(t, s.wg)
	if err := config.SetKey(s.cfg, "SOCKS5_PORT", "1999"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(s.cfg, []byte(read(t, s.cfg)+"ENABLE_IPV6=maybe\n"), 0o644)
	if rs := Validate(context.Background(), s.cfg); rs[0].OK {
		t.Fatalf("broken config loads: %+v", rs)
	}
	os.WriteFile(s.hosts, []byte("127.0.0.1 localhost\r\n# BEGIN AUTOVPN\r\n1.1.1.1\tother.test\r\n# END AUTOVPN\r\n10.0.0.9 mine\r\n"), 0o644)
	os.WriteFile(s.wg, []byte(strings.Replace(oldWG, "127.0.0.1:1081", "127.0.0.1:9999", 1)+"# user note\n"), 0o600)

	res, err := s.store.Rollback("", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.ID != m.ID || len(res.Commit.Written) != 3 {
		t.Errorf("rolled back %s, wrote %v", res.Manifest.ID, res.Commit.Written)
	}
	if read(t, s.cfg) != oldCfg {
		t.Errorf("config.env not restored:\n%s", read(t, s.cfg))
	}
	wantHosts := "127.0.0.1 localhost\r\n# BEGIN AUTOVPN\r\n104.16.132.229\texample.com\r\n# END AUTOVPN\r\n10.0.0.9 mine\r\n"
	if got := read(t, s.hosts); got != wantHosts {
		t.Errorf("hosts = %q\nwant    %q", got, wantHosts)
	}
	if got := read(t, s.wg); got != oldWG+"# user note\n" {
		t.Errorf("wg = %q", got)
	}
	for _, r := range Validate(context.Background(), s.cfg) {
		if !r.OK {
			t.Errorf("check %s failed after rollback: %s", r.Name, r.Note)
		}
	}
}

func TestRollbackDryRunAndDamage(t *testing.T) {
	s := newSetup(t, "")
	m, _ := s.store.Create(s.sources(t))
	os.WriteFile(s.cfg, []byte(read(t, s.cfg)+"SOCKS5_PORT=1999\n"), 0o644)
	before := read(t, s.cfg)
	res, err := s.store.Rollback(m.ID, true, nil)
	if err != nil || !strings.Contains(res.Diff, "-SOCKS5_PORT=1999") || read(t, s.cfg) != before {
		t.Errorf("dry run: %v diff %q", err, res.Diff)
	}
	os.WriteFile(filepath.Join(m.Dir, m.Files[0].Name), []byte("tampered"), 0o600)
	if _, err := s.store.Rollback(m.ID, false, nil); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("damaged backup: %v", err)
	}
	if read(t, s.cfg) != before {
		t.Error("damaged backup changed the config")
	}
}

// fullDiskFS fails writes into one folder, as a full or read-only disk.
type fullDiskFS struct {
	sysedit.OS
	dir string
}

func (f fullDiskFS) WriteTemp(dir, pattern string, data []byte, perm fs.FileMode) (string, error) {
	if filepath.Clean(dir) == f.dir {
		return "", &fs.PathError{Op: "write", Path: dir, Err: syscall.ENOSPC}
	}
	return f.OS.WriteTemp(dir, pattern, data, perm)
}

func TestRollbackFailureRestoresEarlierFiles(t *testing.T) {
	s := newSetup(t, "")
	s.store.Create(s.sources(t))
	os.WriteFile(s.cfg, []byte(read(t, s.cfg)+"SOCKS5_PORT=1999\n"), 0o644)
	os.WriteFile(filepath.Join(s.dir, "pac", "proxy.pac"), []byte("changed"), 0o644)
	cfg := read(t, s.cfg)
	_, err := s.store.Rollback("", false, fullDiskFS{dir: filepath.Join(s.dir, "pac")})
	if err == nil || !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), "restored the files already written: "+s.cfg) {
		t.Fatalf("err = %v", err)
	}
	if read(t, s.cfg) != cfg || read(t, filepath.Join(s.dir, "pac", "proxy.pac")) != "changed" {
		t.Error("a failed rollback left a half-restored setup")
	}
}

func TestValidateChecks(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	defer healthy.Close()
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "tunnel down", http.StatusServiceUnavailable)
	}))
	defer sick.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().String()
	l.Close()
	busy, _ := net.Listen("tcp", "127.0.0.1:0")
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	for _, tc := range []struct {
		name, extra string
		want        []string // "name=ok|fail|skip"
	}{
		{"healthy client", "ADMIN_ADDR=" + strings.TrimPrefix(healthy.URL, "http://") + "\n", []string{"ok", "ok", "skip"}},
		{"sick client", "ADMIN_ADDR=" + strings.TrimPrefix(sick.URL, "http://") + "\n", []string{"ok", "fail", "skip"}},
		{"no client", "ADMIN_ADDR=" + closed + fmt.Sprintf("\nSOCKS5_PORT=%d\nHTTP_PORT=%d\nWSTUNNEL_PORT=%d\n", freePort(t), freePort(t), freePort(t)), []string{"ok", "skip", "ok"}},
		// A port in use is most likely the running client's (ADMIN_ADDR is
		// empty, so it cannot be asked): a warning, not a failure.
		{"port taken", "ADMIN_ADDR=\nENABLE_IPV6=false\nSOCKS5_PORT=" + fmt.Sprint(busyPort) + "\n", []string{"ok", "skip", "warn"}},
		{"address not on this host", "ADMIN_ADDR=\nENABLE_IPV6=false\nLISTEN_V4=192.0.2.1\n", []string{"ok", "skip", "fail"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t, tc.extra)
			rs := Validate(context.Background(), s.cfg)
			var got []string
			for _, r := range rs {
				st := map[bool]string{true: "ok", false: "fail"}[r.OK]
				if r.Skipped() {
					st = "skip"
				}
				if r.Warn {
					st = "warn"
				}
				got = append(got, st)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("checks = %v, want %v: %+v", got, tc.want, rs)
			}
		})
	}
}

// freePort returns a TCP port that was free on both loopbacks a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if l6, err := net.Listen("tcp", fmt.Sprintf("[::1]:%d", p)); err == nil {
			l6.Close()
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}
