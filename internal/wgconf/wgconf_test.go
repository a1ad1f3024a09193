package wgconf

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func load(t testing.TB, name string) *Conf {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Bytes(), b) {
		t.Fatalf("%s does not round-trip", name)
	}
	return c
}

func syncOpts() SyncOptions {
	a := netip.MustParseAddr
	return SyncOptions{
		Endpoint:    "127.0.0.1:1081",
		IPs:         []netip.Addr{a("104.16.132.229"), a("2606:4700::6810:84e5"), a("203.0.113.7"), a("140.82.112.3"), a("127.0.0.1"), a("::ffff:8.8.8.8")},
		ServerHosts: []string{"203.0.113.7", "[2001:db8::7]", "vpn.example.org"},
		LocalIP:     "10.8.0.2/24",
		MTU:         1420,
		Keepalive:   25,
		Resolve:     fakeResolver(map[string][]string{"vpn.example.org": {"198.51.100.9", "2001:db8::9"}}),
	}
}

// fakeResolver answers from names, so tests need no network; other names
// are not found.
func fakeResolver(names map[string][]string) func(string) ([]netip.Addr, error) {
	return func(host string) ([]netip.Addr, error) {
		ss, ok := names[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out, nil
	}
}

func TestSyncGolden(t *testing.T) {
	for _, name := range []string{"client.conf", "minimal-crlf.conf"} {
		t.Run(name, func(t *testing.T) {
			c := load(t, name)
			o := syncOpts()
			if name == "minimal-crlf.conf" {
				o.LocalIP = ""
			}
			notes, err := c.Sync(o)
			if err != nil {
				t.Fatal(err)
			}
			got := c.Bytes()
			path := filepath.Join("testdata", strings.TrimSuffix(name, ".conf")+".synced.golden")
			if *update {
				os.WriteFile(path, got, 0o644)
			}
			want, _ := os.ReadFile(path)
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs (go test -update):\n%s", path, got)
			}
			if !strings.Contains(strings.Join(notes, "\n"), "203.0.113.7 is the server's own address") {
				t.Errorf("notes = %q", notes)
			}
			// Syncing again changes nothing.
			c2, _ := Parse(bytes.NewReader(got))
			c2.Sync(o)
			if !bytes.Equal(c2.Bytes(), got) {
				t.Errorf("second sync changed the file:\n%s", c2.Bytes())
			}
		})
	}
}

func TestSyncRoutes(t *testing.T) {
	c := load(t, "client.conf")
	if _, err := c.Sync(syncOpts()); err != nil {
		t.Fatal(err)
	}
	m, err := c.Managed(syncOpts().ServerHosts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range m.AllowedIPs {
		got = append(got, p.String())
	}
	want := "10.8.0.0/24 fd08::/64 192.168.50.0/24 8.8.8.8/32 104.16.132.229/32 140.82.112.3/32 2606:4700::6810:84e5/128"
	if strings.Join(got, " ") != want {
		t.Errorf("AllowedIPs = %s\nwant        %s", strings.Join(got, " "), want)
	}
	if m.Endpoint != "127.0.0.1:1081" || m.MTU != 1420 || m.Keepalive != 25 {
		t.Errorf("managed = %+v", m)
	}
	out := string(c.Bytes())
	for _, keep := range []string{"PostUp = echo up # keep me", "  # indented comment", "Address = 10.8.0.2/24, fd08::2/64   # tunnel addresses", "AllowedIPs = 172.20.0.0/16", "Endpoint = vpn.example.net:51820"} {
		if !strings.Contains(out, keep) {
			t.Errorf("lost %q", keep)
		}
	}
}

func TestSetManagedRestores(t *testing.T) {
	c := load(t, "client.conf")
	before, _ := c.Managed(nil)
	orig := c.Bytes()
	c.Sync(syncOpts())
	if err := c.SetManaged(before, nil); err != nil {
		t.Fatal(err)
	}
	// The keys Sync added (MTU, PersistentKeepalive) go again; only the
	// AllowedIPs lines are regrouped (same routes, one line).
	after, _ := c.Managed(nil)
	if after.Endpoint != before.Endpoint || fmt.Sprint(after.AllowedIPs) != fmt.Sprint(before.AllowedIPs) {
		t.Errorf("restored %+v, want %+v", after, before)
	}
	noAllowed := func(b []byte) string {
		var out []string
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(l, "AllowedIPs") {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	if got, want := noAllowed(c.Bytes()), noAllowed(orig); got != want {
		t.Errorf("restored config differs from the original:\n%s\nwant\n%s", got, want)
	}
}

// TestSetManagedRemovesAddedKeys: backup create, wg sync, rollback on a
// config that had no Endpoint, MTU or PersistentKeepalive (and no final
// newline, CRLF) gives back the original bytes, also through the JSON a
// backup keeps and from a snapshot written before keys were removed.
func TestSetManagedRemovesAddedKeys(t *testing.T) {
	k := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	for name, orig := range map[string]string{
		"no endpoint": "[Interface]\nPrivateKey = " + k + "\nAddress = 10.8.0.2/24\n\n[Peer]\nPublicKey = " + k + "\nAllowedIPs = 0.0.0.0/1\n",
		"server endpoint, no final newline, crlf": "[Interface]\r\nPrivateKey = " + k + "\r\nAddress = 10.8.0.2/24\r\n\r\n[Peer]\r\nPublicKey = " + k + "\r\nEndpoint = 203.0.113.7:443\r\nAllowedIPs = 10.8.0.0/24",
		"no allowedips": "[Peer]\nPublicKey = " + k + "\nEndpoint = 203.0.113.7:443\n[Interface]\nPrivateKey = " + k + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := Parse(strings.NewReader(orig))
			m, err := c.Managed([]string{"203.0.113.7"})
			if err != nil {
				t.Fatal(err)
			}
			if m.Endpoint == "" && strings.Contains(orig, "Endpoint") || m.MTU != 0 || m.Keepalive != -1 {
				t.Fatalf("managed = %+v", m)
			}
			saved, _ := json.Marshal(m)
			o := syncOpts()
			o.ServerHosts = []string{"203.0.113.7"}
			if _, err := c.Sync(o); err != nil {
				t.Fatal(err)
			}
			synced := string(c.Bytes())
			for _, want := range []string{"MTU = 1420", "PersistentKeepalive = 25", "Endpoint = 127.0.0.1:1081"} {
				if !strings.Contains(synced, want) {
					t.Fatalf("sync did not write %q:\n%s", want, synced)
				}
			}
			// A snapshot as it is stored, and one as older versions stored it.
			old := strings.NewReplacer(`,"bare_hosts":null`, "").Replace(string(saved))
			for _, js := range []string{string(saved), old} {
				var back Managed
				if err := json.Unmarshal([]byte(js), &back); err != nil {
					t.Fatal(err)
				}
				r, _ := Parse(strings.NewReader(synced))
				if err := r.SetManaged(back, []string{"203.0.113.7"}); err != nil {
					t.Fatal(err)
				}
				if got := string(r.Bytes()); got != orig {
					t.Errorf("rollback from %s gave\n%q\nwant\n%q", js, got, orig)
				}
			}
		})
	}
}

func TestSyncErrors(t *testing.T) {
	k := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	for _, tc := range []struct{ name, conf, want string }{
		{"no interface", "[Peer]\nPublicKey = " + k + "\n", "exactly one [Interface]"},
		{"no peer", "[Interface]\nPrivateKey = " + k + "\n", "no [Peer] section"},
		{"two peers", "[Interface]\nPrivateKey = " + k + "\n[Peer]\nPublicKey = " + k + "\nEndpoint = 1.1.1.1:1\n[Peer]\nPublicKey = " + k + "\n", "2 [Peer] sections"},
		{"bad key", "[Interface]\nPrivateKey = c2VjcmV0\n[Peer]\nPublicKey = " + k + "\n", "line 2: PrivateKey: not a base64-encoded 32-byte key"},
		{"bad address", "[Interface]\nPrivateKey = " + k + "\nAddress = 10.0.0.300/24\n[Peer]\nPublicKey = " + k + "\n", `tunnel address "10.0.0.300/24"`},
		{"bad mtu", "[Interface]\nPrivateKey = " + k + "\nMTU = big\n[Peer]\nPublicKey = " + k + "\n", "line 3: MTU"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := Parse(strings.NewReader(tc.conf))
			o := syncOpts()
			o.LocalIP, o.MTU = "", 0
			_, err := c.Sync(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "c2VjcmV0") {
				t.Errorf("error leaks a key: %v", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"testdata/client.conf", "testdata/minimal-crlf.conf"} {
		b, _ := os.ReadFile(n)
		f.Add(b)
	}
	f.Add([]byte("[Interface]\n= x\n[\n]\nkey=\n#"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.Bytes(), data) {
			t.Fatalf("round trip changed %q to %q", data, c.Bytes())
		}
		if _, err := c.Sync(syncOpts()); err != nil {
			return
		}
		c2, _ := Parse(bytes.NewReader(c.Bytes()))
		if err := c2.Validate(); err != nil {
			t.Fatalf("synced config does not validate after re-parse: %v\n%q", err, c.Bytes())
		}
	})
}
