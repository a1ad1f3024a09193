package socks5

import (
	"context"
	"errors"
	"net"
	"time"
)

// isTemporary reports whether an Accept error is worth retrying (EMFILE,
// ECONNABORTED and the like) rather than the end of the listener.
func isTemporary(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// sleepCtx waits d or until ctx is done; it reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
