package cli

import (
	"os"
	"runtime"
)

// DataPathProcs is called by server, client and demo before they start.
// The autovpn binary sets it to OneProc; tests that run commands in their
// own process leave it nil, so the test binary keeps its parallelism.
var DataPathProcs func()

// OneProc runs the Go scheduler with a single P unless the GOMAXPROCS
// environment variable says otherwise.
//
// Why: the tunnel's data path is system calls and wake-ups, one goroutine
// per connection direction, and a second P mostly adds cross-thread
// hand-offs: a woken goroutine is run by another thread that must itself be
// woken, and Ps steal work from each other. Measured on the 2-vCPU
// benchmark machine (alternating runs, docs/benchmarks.md): one P moved a
// GiB for 1.44 instead of 1.71 CPU seconds with 2.3× fewer context switches,
// at 0.35 instead of 0.30 × direct TCP, and the connect+echo p50 fell from
// 1.0–1.25 to 0.88–1.1 ms; 8 streams were no slower. One core here relays
// over 6 Gbit/s, far beyond any link a VPS offers. Set GOMAXPROCS to use
// more (many busy users on a large server, say).
func OneProc() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
}

func dataPathProcs() {
	if DataPathProcs != nil {
		DataPathProcs()
	}
}
