package cli_test

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/autovpn/autovpn/internal/cli"
	"github.com/autovpn/autovpn/internal/tlsutil"
	"github.com/rogpeppe/go-internal/testscript"
)

var updateScripts = flag.Bool("update-scripts", false, "rewrite the stdout/stderr sections of testdata/script/*.txtar that cmp")

// TestMain makes the test binary double as the autovpn command: scripts run
// it as a real subprocess, with its own environment and working directory.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"autovpn": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		},
	})
}

// TestScript runs every testdata/script/*.txtar. Besides testscript's own
// commands, scripts may use:
//
//	exitcode N cmd [args...]   run cmd, fail unless it exits with code N (stdout/stderr kept for checks)
//	certpin FILE               print the TLS_PIN (hex SHA-256) of the PEM certificate FILE
//	waitfile FILE [SECONDS]    wait until FILE exists (default 10 s)
//	waitport HOST:PORT [SECONDS] wait until a TCP connect to HOST:PORT succeeds (default 10 s)
//
// and the conditions [root] (running as root) and [ipv6] (::1 can be bound).
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *updateScripts,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exitcode": cmdExitcode,
			"certpin":  cmdCertpin,
			"waitfile": cmdWaitfile,
			"waitport": cmdWaitport,
		},
		Condition: scriptCondition,
	})
}

func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with code %d, want %d", args[1], got, want)
	}
}

func cmdCertpin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: certpin FILE")
	}
	pin, err := tlsutil.PinFromCertFile(ts.MkAbs(args[0]))
	ts.Check(err)
	fmt.Fprintln(ts.Stdout(), hex.EncodeToString(pin))
}

func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: waitfile FILE [SECONDS]")
	}
	poll(ts, args[1:], "file "+args[0], func() bool {
		_, err := os.Stat(ts.MkAbs(args[0]))
		return err == nil
	})
}

func cmdWaitport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: waitport HOST:PORT [SECONDS]")
	}
	poll(ts, args[1:], "port "+args[0], func() bool {
		c, err := net.DialTimeout("tcp", args[0], time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// poll calls ready until it reports true or the deadline (optional first
// argument, seconds; default 10) passes.
func poll(ts *testscript.TestScript, args []string, what string, ready func() bool) {
	limit := 10 * time.Second
	if len(args) > 0 {
		s, err := strconv.ParseFloat(args[0], 64)
		ts.Check(err)
		limit = time.Duration(s * float64(time.Second))
	}
	deadline := time.Now().Add(limit)
	for !ready() {
		if time.Now().After(deadline) {
			ts.Fatalf("%s not ready after %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func scriptCondition(cond string) (bool, error) {
	switch cond {
	case "root":
		return os.Geteuid() == 0, nil
	case "ipv6":
		ln, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			return false, nil
		}
		ln.Close()
		return true, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}
