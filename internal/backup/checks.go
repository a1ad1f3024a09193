package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/autovpn/autovpn/internal/config"
)

// CheckResult is the outcome of one post-rollback check.
type CheckResult struct {
	Name string
	OK   bool
	Note string // what was found, or why the check was skipped
	// Warn marks a check that passed with a caveat the user should act on
	// (OK is true).
	Warn bool
}

// Skipped reports whether the check did not run.
func (r CheckResult) Skipped() bool { return r.OK && strings.HasPrefix(r.Note, "skipped") }

// Validate runs the checks after a rollback: the config loads; the client's
// listeners can bind (or, when a client is running, its /healthz answers 200).
func Validate(ctx context.Context, configPath string) []CheckResult {
	c, err := config.Load(configPath, config.RoleAny)
	if err != nil {
		return []CheckResult{{Name: "config loads", Note: err.Error()}}
	}
	rs := []CheckResult{{Name: "config loads", OK: true, Note: configPath}}
	running, health := clientHealth(ctx, c.AdminAddr)
	rs = append(rs, health)
	if running {
		return append(rs, CheckResult{Name: "listeners can bind", OK: true, Note: "skipped: the running client holds them"})
	}
	return append(rs, bindCheck(c))
}

// clientHealth asks a running client for /healthz.
func clientHealth(ctx context.Context, admin string) (running bool, r CheckResult) {
	r = CheckResult{Name: "running client healthy"}
	if admin == "" {
		r.OK, r.Note = true, "skipped: ADMIN_ADDR is empty"
		return false, r
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+admin+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			r.OK, r.Note = true, "skipped: no client is running at "+admin
			return false, r
		}
		r.Note = fmt.Sprintf("GET http://%s/healthz: %v", admin, err)
		return true, r
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	r.OK = resp.StatusCode == http.StatusOK
	r.Note = fmt.Sprintf("GET http://%s/healthz: %s %s", admin, resp.Status, strings.TrimSpace(string(body)))
	return true, r
}

// bindCheck binds and releases every client listener address.
func bindCheck(c *config.Config) CheckResult {
	hosts := []string{c.ListenV4}
	if c.EnableIPv6 {
		hosts = append(hosts, c.ListenV6)
	}
	var bad, inUse []string
	n := 0
	for _, h := range hosts {
		for _, l := range []struct {
			net  string
			port uint16
		}{{"tcp", c.SOCKS5Port}, {"tcp", c.HTTPPort}, {"udp", c.WstunnelPort}} {
			addr := net.JoinHostPort(strings.Trim(h, "[]"), strconv.Itoa(int(l.port)))
			n++
			if err := tryBind(l.net, addr); isAddrInUse(err) {
				inUse = append(inUse, l.net+" "+addr)
			} else if err != nil {
				bad = append(bad, err.Error())
			}
		}
	}
	if len(bad) > 0 {
		for _, a := range inUse {
			bad = append(bad, a+": already in use")
		}
		return CheckResult{Name: "listeners can bind", Note: strings.Join(bad, "; ")}
	}
	if len(inUse) > 0 {
		// With ADMIN_ADDR empty (or its API not answering) a running
		// client cannot be asked; its listeners are the likely holders.
		return CheckResult{Name: "listeners can bind", OK: true, Warn: true, Note: fmt.Sprintf(
			"warning: %s already in use: a client is probably running; restart it to use the restored config", strings.Join(inUse, ", "))}
	}
	return CheckResult{Name: "listeners can bind", OK: true, Note: fmt.Sprintf("%d addresses free", n)}
}

func tryBind(network, addr string) error {
	if network == "udp" {
		pc, err := net.ListenPacket(network, addr)
		if err != nil {
			return err
		}
		return pc.Close()
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return err
	}
	return l.Close()
}

// isAddrInUse reports whether a bind failed because the address is taken.
func isAddrInUse(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return true
	}
	// Windows: WSAEADDRINUSE is not syscall.EADDRINUSE.
	s := err.Error()
	return strings.Contains(s, "address already in use") || strings.Contains(s, "Only one usage of each socket address")
}
