//go:build unix

package cli

import (
	"net/netip"
	"syscall"
	"testing"
)

// reservePort binds a TCP socket to ip:port without listening on it, so
// connections there are refused and no other test can take the port.
func reservePort(t *testing.T, ip netip.Addr, port uint16) {
	t.Helper()
	fam, sa := syscall.AF_INET6, syscall.Sockaddr(&syscall.SockaddrInet6{Port: int(port), Addr: ip.As16()})
	if ip.Is4() {
		fam, sa = syscall.AF_INET, &syscall.SockaddrInet4{Port: int(port), Addr: ip.As4()}
	}
	fd, err := syscall.Socket(fam, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, sa); err != nil {
		t.Fatalf("reserve %s:%d: %v", ip, port, err)
	}
}
