package testbed

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Capture is a tcpdump running in a namespace, writing to a pcap file.
type Capture struct {
	// File is the pcap file; it is in t.TempDir and lasts until the test ends.
	File string
	t    testing.TB
	host *Host
	proc *Proc
	once sync.Once
}

// markerHost and markerPort address the datagrams Stop sends to itself
// over loopback to learn that tcpdump has written everything before them.
const (
	markerHost   = "127.0.0.7"
	markerPort   = 9
	markerFilter = "(udp and dst host 127.0.0.7 and dst port 9)"
)

// Capture starts tcpdump on every interface of the namespace ("any",
// loopback included) with the pcap filter expression filter ("" for all
// packets) and returns once tcpdump reports it is listening. A packet
// forwarded by h is seen twice, on its way in and on its way out. Note
// that a bare "ip6" filter also matches neighbour discovery and MLD.
func (h *Host) Capture(t testing.TB, filter string) *Capture {
	t.Helper()
	requireTool(t, "tcpdump", "tcpdump")
	file := filepath.Join(t.TempDir(), h.Name+".pcap")
	if filter != "" {
		filter = "(" + filter + ") or " + markerFilter
	}
	// -Z root: tcpdump would otherwise drop to user tcpdump, which may not
	// write in the test's temporary folder. -s and -B: in immediate mode each
	// ring slot is snaplen bytes, and the default 256 KiB snaplen in the
	// default 2 MiB ring leaves 8 slots, so bursts were "dropped by kernel".
	// Packets are cut at 2 KiB (veth GSO packets can be 64 KiB).
	args := []string{"tcpdump", "-i", "any", "-nn", "-U", "--immediate-mode", "-s", "2048", "-B", "16384", "-Z", "root", "-w", file}
	if filter != "" {
		args = append(args, filter)
	}
	c := &Capture{File: file, t: t, host: h, proc: h.Start(t, args...)}
	c.proc.WaitOutput(t, "listening on", 10*time.Second)
	return c
}

// Stop stops tcpdump (later calls do nothing) and returns every captured
// packet as a line of `tcpdump -nn -r`. tcpdump drops what it has not yet
// read from the kernel when interrupted, so Stop first sends marker
// datagrams over loopback until one shows in the file.
func (c *Capture) Stop() []string {
	c.t.Helper()
	c.once.Do(func() {
		if err := c.flush(5 * time.Second); err != nil {
			c.t.Errorf("capture in %s: %v", c.host.Name, err)
		}
		c.proc.Signal(syscall.SIGINT)
		select {
		case <-c.proc.done:
		case <-time.After(5 * time.Second):
			c.proc.Kill()
		}
		// A count of zero proves nothing if the kernel dropped packets.
		if d := droppedByKernel(c.proc.Stderr.String()); d != 0 {
			c.t.Errorf("capture in %s: tcpdump lost %d packets (dropped by kernel)", c.host.Name, d)
		}
	})
	return c.read("")
}

func (c *Capture) flush(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := c.host.Do(func() error {
			conn, err := net.Dial("udp", net.JoinHostPort(markerHost, strconv.Itoa(markerPort)))
			if err != nil {
				return err
			}
			defer conn.Close()
			_, err = conn.Write([]byte("testbed capture marker"))
			return err
		})
		if err != nil {
			return fmt.Errorf("send capture marker: %w", err)
		}
		out, _ := exec.Command("tcpdump", "-nn", "-r", c.File, markerFilter).Output()
		if len(out) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("tcpdump wrote no marker packet within %v: %s", timeout, c.proc.Stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Count stops the capture if it is running and returns how many captured
// packets match the pcap filter expression filter ("" for all).
func (c *Capture) Count(filter string) int {
	c.t.Helper()
	c.Stop()
	return len(c.read(filter))
}

func (c *Capture) read(filter string) []string {
	c.t.Helper()
	f := "not " + markerFilter
	if filter != "" {
		f = "(" + filter + ") and " + f
	}
	args := []string{"-nn", "-r", c.File, f}
	out, err := exec.Command("tcpdump", args...).Output()
	if err != nil {
		c.t.Fatalf("tcpdump %s: %v: %s", strings.Join(args, " "), err, stderrOf(err))
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return strings.TrimSpace(string(ee.Stderr))
	}
	return fmt.Sprint(err)
}

// Stderr returns what tcpdump printed so far (drop counts appear at exit).
func (c *Capture) Stderr() string { return c.proc.Stderr.String() }

// droppedByKernel reads "N packets dropped by kernel" from tcpdump's exit
// summary; -1 when the line is missing (tcpdump was killed).
func droppedByKernel(stderr string) int {
	for _, line := range strings.Split(stderr, "\n") {
		if n, ok := strings.CutSuffix(strings.TrimSpace(line), " packets dropped by kernel"); ok {
			if v, err := strconv.Atoi(n); err == nil {
				return v
			}
		}
	}
	return -1
}
