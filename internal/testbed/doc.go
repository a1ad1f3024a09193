// Package testbed builds multi-host IPv4/IPv6 topologies out of Linux network
// namespaces for end-to-end tests, and injects the faults and observes the
// traffic those tests need: family black holes, fast-failing routes, packet
// loss, added latency, packet captures and a DNS server with a query log.
//
// It needs root, iproute2 and, for the pieces that use them, nftables,
// tcpdump, dnsmasq and ping (.ci/testbed-deps.sh installs them). Every test
// starts with [Available] (New calls it too), which skips the test when the
// machine cannot run namespaces — so `go test` as a normal user still passes —
// and fails it instead when the environment variable CI is "true".
//
// # Topology
//
// [New] takes a [Spec]: host names and the veth links between them, each link
// dual-stack, IPv4-only or IPv6-only. Link i (counting from 0) gets
// 10.0.i+1.0/24 and 2001:db8:i+1::/64; its A end is .1/::1, its B end .2/::2.
// IPv6 uses documentation space, not ULA, because Go sorts ULA below IPv4 and
// so would never prefer IPv6. Every host with more than one link forwards, and
// every host gets a route to every subnet it can reach over links of that
// family (shortest path), so a "router" is just a host in the middle of a
// chain. DAD is off in every namespace and links are up (state UP) before New
// returns. Namespace names carry a random suffix, so parallel test binaries
// never collide, and t.Cleanup removes the namespaces, their /etc/netns
// folders and every process started through the package.
//
//	n := testbed.New(t, testbed.Chain(testbed.DualStack, "client", "router", "server"))
//	srv := n.Host("server")
//	ln := srv.Listen(t, "tcp", "[::]:8080")           // in-process listener inside "server"
//	conn, err := n.Host("client").DialContext(ctx, "tcp", netip.AddrPortFrom(srv.V6, 8080).String())
//
// # Processes and Go code in a namespace
//
// [Host.Run] runs a command to completion and fails the test on error;
// [Host.Start] runs one in the background as a [Proc] that is killed and
// reaped at cleanup. [Host.Do] runs Go code on an OS thread that has joined
// the namespace; only that thread is inside: goroutines f starts, and the
// runtime's own helper threads, are not. A socket belongs to the namespace it
// was created in and keeps it for life, so create listeners and sockets inside
// Do and use them from anywhere. [Host.Listen], [Host.ListenPacket] and
// [Host.DialContext] do exactly that. The thread is discarded when f returns
// rather than handed back to the scheduler in the wrong namespace. Go's
// resolver runs its lookups on other goroutines, so a name given to
// Host.DialContext is resolved by [Host.Resolver]: inside the namespace,
// against the nameserver set with [Host.WriteResolvConf].
//
// # Faults
//
// [Host.DropFamily] drops a family to and from a peer with nftables (connects
// time out: the realistic broken-IPv6 case); [Host.RejectFamily] adds an
// "unreachable" policy rule (connects fail at once with ENETUNREACH);
// [Host.DropPercent] drops a share of a family's packets at random. Each
// returns a [Fault] whose Heal undoes it. The kernel here has no tc netem, so
// [DelayRelay] adds latency with a userspace TCP relay instead.
//
// # Observing
//
// [Host.Capture] runs tcpdump in the namespace and returns once it is
// listening; [Capture.Stop] returns the packets as tcpdump text lines and
// [Capture.Count] re-filters the saved file. [StartDNS] runs dnsmasq with
// fixed A/AAAA/CNAME records and logs every query; [DNS.Queries] returns them
// so a leak test can assert that a name was never asked for.
package testbed
