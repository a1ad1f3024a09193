package cli

import "testing"

func TestLocalListenConfigKeepalive(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1": false, "::1": false, "0.0.0.0": true, "::": true, "192.168.1.5": true} {
		if got := localListenConfig(host).KeepAlive >= 0; got != want {
			t.Errorf("listener on %s: TCP keepalive %v, want %v", host, got, want)
		}
	}
}
