// Command autovpn is a self-hosted, dual-stack split-tunnel VPN/proxy.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/autovpn/autovpn/internal/cli"
)

func main() {
	cli.DataPathProcs = cli.OneProc
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
