package client

import (
	"time"

	"github.com/autovpn/autovpn/internal/pathsel"
)

// Status is a snapshot of the client's tunnels for `autovpn status` and
// the admin API.
type Status struct {
	Up        bool                  `json:"up"`
	Remote    string                `json:"remote,omitempty"`
	Family    string                `json:"family,omitempty"`
	RTTMillis float64               `json:"rtt_ms"`
	Streams   int                   `json:"streams"`
	UpSince   *time.Time            `json:"up_since,omitempty"`
	Draining  int                   `json:"draining_tunnels"`
	LastError string                `json:"last_error,omitempty"`
	Policy    string                `json:"policy"`
	Families  []pathsel.FamilyState `json:"families"`
}

// Up reports whether a tunnel is ready for new streams.
func (c *Client) Up() bool { return c.current() != nil }

// Status returns the current state.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := Status{Draining: len(c.old), Policy: c.o.Policy.String(), Families: c.mem.Snapshot()}
	if c.lastErr != nil {
		st.LastError = c.lastErr.Error()
	}
	if s := c.cur; s != nil && !s.IsClosed() {
		since := c.upSince
		st.Up, st.Remote, st.Family, st.Streams, st.UpSince = true, s.Remote().String(), c.curFam.String(), s.NumStreams(), &since
		st.RTTMillis = float64(s.RTT().Microseconds()) / 1000
	}
	return st
}
