package netx

import (
	"net"
	"sync"
)

// ConnSet holds the connections a server must close when it stops (the
// proxies' clients and the remote connections they relay to). The zero
// value is ready to use.
type ConnSet struct {
	mu     sync.Mutex
	m      map[net.Conn]struct{}
	closed bool
}

// Add registers c; it reports false (and keeps nothing) once CloseAll ran.
func (s *ConnSet) Add(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.m == nil {
		s.m = make(map[net.Conn]struct{})
	}
	s.m[c] = struct{}{}
	return true
}

// Remove forgets c.
func (s *ConnSet) Remove(c net.Conn) {
	s.mu.Lock()
	delete(s.m, c)
	s.mu.Unlock()
}

// CloseAll closes every registered connection and refuses later ones.
func (s *ConnSet) CloseAll() {
	s.mu.Lock()
	s.closed = true
	m := s.m
	s.m = nil
	s.mu.Unlock()
	for c := range m {
		c.Close()
	}
}
