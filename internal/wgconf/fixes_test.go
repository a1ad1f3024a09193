package wgconf

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

const testKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

func TestParseAllowed(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bare     bool
	}{
		{"192.168.50.7", "192.168.50.7/32", true},
		{"2001:db8::7", "2001:db8::7/128", true},
		{"10.8.0.0/24", "10.8.0.0/24", false},
		{"192.168.50.7/32", "192.168.50.7/32", false},
		{"fe80::1%eth0", "", false},
		{"10.0.0.300", "", false},
		{"junk", "", false},
	} {
		p, bare, err := parseAllowed(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("parseAllowed(%q) = %v, want an error", tc.in, p)
			}
			continue
		}
		if err != nil || p.String() != tc.want || bare != tc.bare {
			t.Errorf("parseAllowed(%q) = %v, %v, %v; want %s, %v", tc.in, p, bare, err, tc.want, tc.bare)
		}
	}
}

// An AllowedIPs entry without a mask is a host route WireGuard accepts: a
// backup reads it, sync keeps it (as written) and rollback puts it back.
func TestAllowedWithoutMask(t *testing.T) {
	orig := "[Interface]\nPrivateKey = " + testKey + "\nAddress = 10.8.0.2/24\n\n[Peer]\nPublicKey = " + testKey +
		"\nEndpoint = 127.0.0.1:1081\nAllowedIPs = 10.8.0.0/24, 192.168.50.7, 2001:db8:5::7, 1.1.1.1/32\n"
	c, _ := Parse(strings.NewReader(orig))
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := c.Managed(nil)
	if err != nil {
		t.Fatalf("Managed: %v", err)
	}
	if got := fmt.Sprint(m.AllowedIPs); got != "[10.8.0.0/24 192.168.50.7/32 2001:db8:5::7/128 1.1.1.1/32]" {
		t.Errorf("Managed AllowedIPs = %s", got)
	}
	if fmt.Sprint(m.Bare) != "[192.168.50.7 2001:db8:5::7]" {
		t.Errorf("Managed Bare = %v", m.Bare)
	}

	o := syncOpts()
	o.IPs = []netip.Addr{netip.MustParseAddr("104.16.132.229")}
	notes, err := c.Sync(o)
	if err != nil {
		t.Fatal(err)
	}
	want := "AllowedIPs = 10.8.0.0/24, 192.168.50.7, 2001:db8:5::7, 104.16.132.229/32\n"
	synced := string(c.Bytes())
	if !strings.Contains(synced, want) {
		t.Errorf("synced config lacks %q:\n%s", want, synced)
	}
	// The stale host route with a mask is dropped, and said so.
	if all := strings.Join(notes, "\n"); !strings.Contains(all, "dropped 1 AllowedIPs host route(s) not in the IP list: 1.1.1.1/32") {
		t.Errorf("notes = %q", notes)
	}
	// A second sync keeps the user's host routes and says nothing more.
	c2, _ := Parse(strings.NewReader(synced))
	notes, err = c2.Sync(o)
	if err != nil || string(c2.Bytes()) != synced || len(notes) != 0 {
		t.Errorf("second sync: err %v, notes %q, changed: %v", err, notes, string(c2.Bytes()) != synced)
	}
	// Rollback gives back the original bytes.
	if err := c2.SetManaged(m, nil); err != nil {
		t.Fatal(err)
	}
	if got := string(c2.Bytes()); got != orig {
		t.Errorf("rollback gave\n%s\nwant\n%s", got, orig)
	}
}

func TestSyncNotesDroppedRoutes(t *testing.T) {
	conf := "[Interface]\nPrivateKey = " + testKey + "\n[Peer]\nPublicKey = " + testKey +
		"\nEndpoint = 127.0.0.1:1081\nAllowedIPs = 10.9.0.0/16, 5.5.5.5/32, 6.6.6.6/32, 10.0.0.1/8\n"
	c, _ := Parse(strings.NewReader(conf))
	o := syncOpts()
	o.LocalIP, o.IPs = "", []netip.Addr{netip.MustParseAddr("5.5.5.5")}
	notes, err := c.Sync(o)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(notes, "\n")
	for _, want := range []string{"not in the IP list: 6.6.6.6/32", "dropped AllowedIPs 10.0.0.1/8"} {
		if !strings.Contains(all, want) {
			t.Errorf("notes lack %q: %q", want, notes)
		}
	}
	if strings.Contains(all, "5.5.5.5") {
		t.Errorf("a listed route was reported dropped: %q", notes)
	}
	if !strings.Contains(string(c.Bytes()), "AllowedIPs = 10.9.0.0/16, 5.5.5.5/32\n") {
		t.Errorf("synced:\n%s", c.Bytes())
	}
}

// With SERVER_IP a name, its resolved addresses (A and AAAA) are protected
// as a literal's are: wide routes holding them are dropped, listed ones
// are not routed.
func TestSyncServerName(t *testing.T) {
	conf := "[Interface]\nPrivateKey = " + testKey + "\n[Peer]\nPublicKey = " + testKey +
		"\nEndpoint = vps.example.com:443\nAllowedIPs = 0.0.0.0/1, 128.0.0.0/1, 2000::/3, fd00::/8\n"
	o := SyncOptions{
		Endpoint:    "127.0.0.1:1081",
		IPs:         []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("2001:db8::7"), netip.MustParseAddr("1.2.3.4")},
		ServerHosts: []string{"vps.example.com"},
		MTU:         1420, Keepalive: 25,
		Resolve: fakeResolver(map[string][]string{"vps.example.com": {"203.0.113.7", "2001:db8::7"}}),
	}
	c, _ := Parse(strings.NewReader(conf))
	notes, err := c.Sync(o)
	if err != nil {
		t.Fatal(err)
	}
	if want := "AllowedIPs = 0.0.0.0/1, fd00::/8, 1.2.3.4/32\n"; !strings.Contains(string(c.Bytes()), want) {
		t.Errorf("synced config lacks %q:\n%s", want, c.Bytes())
	}
	all := strings.Join(notes, "\n")
	for _, want := range []string{
		"dropped AllowedIPs 128.0.0.0/1: it contains the server's address",
		"dropped AllowedIPs 2000::/3: it contains the server's address",
		"203.0.113.7 is the server's own address",
		"2001:db8::7 is the server's own address",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("notes lack %q: %q", want, notes)
		}
	}
}

// A server name that does not resolve is refused, naming the host, and the
// config is left as it was.
func TestSyncServerNameUnresolved(t *testing.T) {
	conf := "[Interface]\nPrivateKey = " + testKey + "\n[Peer]\nPublicKey = " + testKey +
		"\nEndpoint = vps.example.com:443\nAllowedIPs = 128.0.0.0/1\n"
	for name, resolve := range map[string]func(string) ([]netip.Addr, error){
		"not found":   fakeResolver(nil),
		"no records":  func(string) ([]netip.Addr, error) { return nil, nil },
		"timeout":     func(string) ([]netip.Addr, error) { return nil, errors.New("i/o timeout") },
		"no resolver": nil,
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := Parse(strings.NewReader(conf))
			_, err := c.Sync(SyncOptions{Endpoint: "127.0.0.1:1081", ServerHosts: []string{"203.0.113.9", "vps.example.com"}, Resolve: resolve})
			if err == nil || !strings.Contains(err.Error(), `server "vps.example.com"`) {
				t.Errorf("err = %v, want one naming the server", err)
			}
			if string(c.Bytes()) != conf {
				t.Errorf("config changed:\n%s", c.Bytes())
			}
		})
	}
}
