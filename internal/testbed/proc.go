package testbed

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a background process in a namespace, started by Host.Start.
type Proc struct {
	Stdout, Stderr *Buffer
	name           string
	pid            int
	done           chan struct{}
	err            error // valid once done is closed
}

// Start runs cmd in the namespace in the background, in its own process
// group. At cleanup the whole group is killed and the process reaped. It
// fails the test if cmd cannot be started.
func (h *Host) Start(t testing.TB, cmd ...string) *Proc {
	t.Helper()
	return startProc(t, h.Name+": "+strings.Join(cmd, " "), h.Command(cmd...))
}

// startProc starts c as a Proc; c may run in any namespace.
func startProc(t testing.TB, name string, c *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Stdout: &Buffer{}, Stderr: &Buffer{}, name: name, done: make(chan struct{})}
	c.Stdout, c.Stderr = p.Stdout, p.Stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	p.pid = c.Process.Pid
	go func() {
		p.err = c.Wait()
		close(p.done)
	}()
	t.Cleanup(p.Kill)
	return p
}

// PID returns the process id (`ip netns exec` execs the command, so this
// is the command itself).
func (p *Proc) PID() int { return p.pid }

// Wait waits for the process to exit and returns its exit error.
func (p *Proc) Wait() error {
	<-p.done
	return p.err
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process group unless the process has exited.
func (p *Proc) Signal(sig syscall.Signal) {
	if !p.Exited() {
		_ = syscall.Kill(-p.pid, sig) // ESRCH: it just exited
	}
}

// Kill kills the process group and waits for the process. It may be
// called more than once.
func (p *Proc) Kill() {
	p.Signal(syscall.SIGKILL)
	<-p.done
}

// WaitOutput polls stdout and stderr until one contains s; it fails the
// test if the process exits first or timeout passes.
func (p *Proc) WaitOutput(t testing.TB, s string, timeout time.Duration) {
	t.Helper()
	if err := p.waitOutput(s, timeout); err != nil {
		t.Fatal(err)
	}
}

func (p *Proc) waitOutput(s string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if p.Stdout.Contains(s) || p.Stderr.Contains(s) {
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("%s exited (%v) before printing %q; stderr: %s", p.name, p.err, s, p.Stderr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no %q after %v; stderr: %s", p.name, s, timeout, p.Stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Buffer is a bytes.Buffer safe for one writer and concurrent readers.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Contains reports whether s has been written.
func (b *Buffer) Contains(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Contains(b.buf.Bytes(), []byte(s))
}
