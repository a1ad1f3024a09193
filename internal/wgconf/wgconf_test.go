package wgconf

import (
	"bytes"
	"flag"
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
	after, _ := c.Managed(nil)
	if after.Endpoint != before.Endpoint || len(after.AllowedIPs) != len(before.AllowedIPs) {
		t.Errorf("restored %+v, want %+v", after, before)
	}
	// Added keys (MTU, keepalive) stay, everything else is as before.
	for _, l := range strings.Split(string(orig), "\n") {
		if !strings.Contains(string(c.Bytes()), l) && !strings.HasPrefix(l, "AllowedIPs") {
			t.Errorf("lost line %q", l)
		}
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
