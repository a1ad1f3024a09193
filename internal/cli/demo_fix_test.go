package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
)

// The demo promises to prove every proxy on both families: when the [::1]
// SOCKS5 listener cannot come up (another program took the port between
// the demo's probe and its bind), that is a failed check, not a silent skip.
func TestDemoFailsWhenAListenerIsMissing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, err := startDemoDestinations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scfg, ccfg, err := demoConfigs(env)
	if err != nil {
		t.Fatal(err)
	}
	squat, err := net.Listen("tcp", "[::1]:"+strconv.Itoa(int(ccfg.SOCKS5Port)))
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	defer squat.Close()
	log := slog.New(slog.DiscardHandler)
	rs, err := startServer(ctx, log, scfg)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := startClient(ctx, log, ccfg, modeCombined)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	failed := proveDemo(ctx, &out, rc, env)
	if failed != 1 || !strings.Contains(out.String(), "FAIL socks5 listener on IPv6") {
		t.Errorf("%d failed checks; want exactly the missing [::1] SOCKS5 listener to fail:\n%s", failed, out.String())
	}
	cancel()
	rc.wait()
	rs.wait()
}
