package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autovpn/autovpn/internal/config"
	"github.com/spf13/cobra"
)

func init() { register("status", newStatusCmd) }

func newStatusCmd(app *App) *cobra.Command {
	var asJSON bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Show the running client's state: tunnel per family, RTT, streams, listeners",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig(config.RoleClient)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			body, where, err := adminGet(ctx, cfg.AdminAddr, "/status")
			if err != nil {
				return err
			}
			if asJSON {
				_, err := app.Stdout.Write(body)
				return err
			}
			st, err := decodeStatus(body)
			if err != nil {
				return fmt.Errorf("client at %s: /status: %w", where, err)
			}
			printStatus(app.Stdout, where, st)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the client's raw /status JSON")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "time limit for asking the client")
	return cmd
}

// errNoClient says that nothing answers on ADMIN_ADDR.
type errNoClient struct {
	addr string
	err  error
}

func (e *errNoClient) Error() string {
	return fmt.Sprintf("no client running at ADMIN_ADDR %s (start it with `autovpn client`): %v", e.addr, e.err)
}
func (e *errNoClient) Unwrap() error { return e.err }

// adminAddrs lists where the client's admin API may answer: ADMIN_ADDR and,
// for 127.0.0.1, [::1] at the same port (the client binds both).
func adminAddrs(addr string) []string {
	out := []string{addr}
	if host, port, err := net.SplitHostPort(addr); err == nil && host == "127.0.0.1" {
		out = append(out, net.JoinHostPort("::1", port))
	}
	return out
}

// adminGet fetches path from the running client's admin API and returns the
// body and the address that answered. Nothing listening → *errNoClient.
func adminGet(ctx context.Context, adminAddr, path string) (body []byte, where string, err error) {
	if adminAddr == "" {
		return nil, "", errors.New("ADMIN_ADDR is empty, so the client serves no status API; set ADMIN_ADDR (default 127.0.0.1:8090)")
	}
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	var firstErr error
	for _, a := range adminAddrs(adminAddr) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+a+path, nil)
		if err != nil {
			return nil, "", fmt.Errorf("ADMIN_ADDR %q: %w", adminAddr, err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		body, err = io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		if err != nil {
			return nil, a, fmt.Errorf("client at %s: read %s: %w", a, path, err)
		}
		if resp.StatusCode != http.StatusOK {
			return body, a, &adminHTTPError{addr: a, path: path, code: resp.StatusCode}
		}
		return body, a, nil
	}
	return nil, "", &errNoClient{addr: adminAddr, err: shortNetErr(firstErr)}
}

// adminHTTPError is a non-200 answer from the admin API.
type adminHTTPError struct {
	addr, path string
	code       int
}

func (e *adminHTTPError) Error() string {
	return fmt.Sprintf("%s answered HTTP %d for %s (is ADMIN_ADDR an autovpn client?)", e.addr, e.code, e.path)
}

// shortNetErr drops the URL wrapper of an http.Client error.
func shortNetErr(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.HasPrefix(err.Error(), "Get ") {
		return ue.Unwrap()
	}
	return err
}

// statusView is /status as this command reads it: tolerant of the family
// and state fields being numbers or names.
type statusView struct {
	Tunnel struct {
		Up        bool           `json:"up"`
		Remote    string         `json:"remote"`
		Family    string         `json:"family"`
		RTTMillis float64        `json:"rtt_ms"`
		Streams   int            `json:"streams"`
		UpSince   *time.Time     `json:"up_since"`
		Draining  int            `json:"draining_tunnels"`
		LastError string         `json:"last_error"`
		Policy    string         `json:"policy"`
		Families  []statusFamily `json:"families"`
	} `json:"tunnel"`
	Listeners []listener `json:"listeners"`
	Uptime    string     `json:"uptime"`
	IPv6      bool       `json:"ipv6_enabled"`
}

// statusFamily is one entry of tunnel.families. Keys match whatever their
// spelling (LastError, last_error, lastError).
type statusFamily struct {
	Family    flexName
	State     flexName
	RTT       time.Duration
	LastError string
}

func (f *statusFamily) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	fields := map[string]any{"family": &f.Family, "state": &f.State, "rtt": &f.RTT, "rttns": &f.RTT, "lasterror": &f.LastError}
	for k, v := range m {
		if dst, ok := fields[strings.ToLower(strings.ReplaceAll(k, "_", ""))]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				return fmt.Errorf("families.%s: %w", k, err)
			}
		}
	}
	return nil
}

// flexName decodes a JSON string as is and a number through names (index →
// name), so the view works whether the enum marshals as text or number.
type flexName string

var (
	familyNames = []string{"ipv4", "ipv6"}
	stateNames  = []string{"unknown", "ok", "broken", "disabled"}
)

func (f *flexName) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexName(strings.ToLower(s))
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a name or a number, got %s", b)
	}
	*f = flexName(fmt.Sprint(n)) // resolved by name()
	return nil
}

func (f flexName) name(names []string) string {
	var n int
	if _, err := fmt.Sscan(string(f), &n); err == nil && n >= 0 && n < len(names) {
		return names[n]
	}
	return string(f)
}

func decodeStatus(b []byte) (*statusView, error) {
	var st statusView
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("not the JSON of an autovpn client: %w", err)
	}
	return &st, nil
}

func printStatus(w io.Writer, where string, st *statusView) {
	t := &st.Tunnel
	fmt.Fprintf(w, "client at %s, running %s, policy %s\n", where, orDash(st.Uptime), orDash(t.Policy))
	if t.Up {
		fmt.Fprintf(w, "tunnel: up via %s to %s, rtt %.1f ms, %d streams", t.Family, t.Remote, t.RTTMillis, t.Streams)
		if t.UpSince != nil {
			fmt.Fprintf(w, ", since %s", t.UpSince.Local().Format(time.DateTime))
		}
		if t.Draining > 0 {
			fmt.Fprintf(w, ", %d old tunnels draining", t.Draining)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "tunnel: DOWN (last error: %s)\n", orDash(t.LastError))
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "\nFAMILY\tSTATE\tRTT\tDETAIL")
	for _, f := range t.Families {
		fam, state := f.Family.name(familyNames), f.State.name(stateNames)
		if fam == "ipv6" && !st.IPv6 {
			state = "disabled"
		}
		rtt := "-"
		if f.RTT > 0 {
			rtt = fmt.Sprintf("%.1f ms", float64(f.RTT.Microseconds())/1000)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", fam, state, rtt, f.LastError)
	}
	tw.Flush()
	printListeners(w, st)
}

func printListeners(w io.Writer, st *statusView) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "\nLISTENER\tADDRESS\tSTATE")
	degraded := 0
	for _, l := range st.Listeners {
		state := "listening"
		if l.Error != "" {
			state, degraded = "DEGRADED: "+l.Error, degraded+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", l.Kind, l.Addr, state)
	}
	tw.Flush()
	if degraded > 0 {
		fmt.Fprintf(w, "%d IPv6 listeners degraded: this host cannot bind them; IPv4 serves alone\n", degraded)
	}
	if !st.IPv6 {
		fmt.Fprintln(w, "IPv6 is disabled (ENABLE_IPV6=false): no IPv6 listeners")
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
