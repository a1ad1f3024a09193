// Package mux multiplexes many byte streams over one transport connection.
// It is built for autovpn's tunnel data path and replaces xtaci/smux there.
//
// Why not smux: the tunnel must move a GiB for ≤ 1.5 s of CPU (client and
// server together) on a 2-core machine, open a connection with p50 ≤ 0.5 ms,
// and hold 10,000 idle tunnelled connections in ≤ 24 KiB each. With smux
// v1.5.58 (protocol v2) every frame sent crosses two goroutine handoffs
// (writer → shaperLoop → sendLoop) before its system call, every frame
// received one more (recvLoop → the stream's reader), and every idle
// connection keeps a goroutine blocked in Stream.Read on each side. Profiles
// show system calls dominate, so this package removes handoffs rather than
// shaving instructions:
//
//   - Send: the writing goroutine writes headers and payload itself, under
//     the session's write lock, with one writev (WriteBuffers): a 256 KiB
//     Write leaves as four frames in one system call. No send goroutine.
//   - Receive: one loop per session reads the transport into one 512 KiB
//     buffer, as much as one read gives, and hands every frame in it over
//     before reading again; payload pieces are delivered as they arrive,
//     without waiting for a frame's end. Queued data is copied into pooled
//     size-classed buffers; Read and WriteTo consume them. The loop never
//     blocks on a stream: per-stream credit (a receive window) bounds what a
//     stream may queue, so a stream nobody reads stalls only itself.
//   - Sink: Stream.SetSink hands the stream→socket direction to the receive
//     loop, which writes the payload pieces of a stream that follow each
//     other in its buffer straight into the local TCP socket with one
//     non-blocking writev. Only when the socket is full does a short-lived
//     goroutine drain the rest. An idle relayed connection has no goroutine
//     for that direction at all.
//
// Wire format: every frame is an 8-byte header — cmd (1), flags (1, zero),
// payload length (2, big endian), stream id (4, big endian) — and a payload.
// Commands: SYN (opens a stream; may carry data), DATA, FIN (half-close),
// RST (abort), WINDOW (4-byte credit increment). Client stream ids are odd,
// server ids even. Opening a stream costs no frame of its own: the SYN rides
// with the stream's first write.
//
// Flow control: each direction of each stream starts with a 64 KiB window;
// a receiver with a larger Config.Window grants the difference with its first
// frame on the stream (the SYN for the opener). Consumed bytes are returned
// in WINDOW frames once half the window has been consumed. A peer that sends
// beyond its credit breaks the protocol and the session is closed. Queued
// memory per stream is bounded by the window plus one partly filled buffer.
//
// Close semantics: CloseWrite sends FIN, and the peer's Read returns io.EOF
// after the data. Close ends both directions from our side: if the peer has
// already sent FIN, Close sends our FIN (a clean close); otherwise it sends
// RST, so the peer's writes fail with ErrReset while its reads still return
// the data that arrived before the RST. Frames for a stream we no longer know
// are discarded.
//
// Keepalive is not this package's job (the WebSocket layer pings); a session
// ends when the transport's Read or Write fails.
package mux
