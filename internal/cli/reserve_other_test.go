//go:build !unix

package cli

import (
	"net/netip"
	"testing"
)

func reservePort(t *testing.T, _ netip.Addr, _ uint16) {
	t.Skip("needs a bound, non-listening socket (unix)")
}
