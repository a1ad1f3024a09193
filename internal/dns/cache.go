package dns

import (
	"container/list"
	"sync"
	"time"
)

type cacheKey struct {
	name  string
	qtype uint16
}

// cacheEntry is one answer: records, or a negative answer (err != nil).
type cacheEntry struct {
	key     cacheKey
	records []Record
	err     error // wraps ErrNotFound for a cached negative answer
	expires time.Time
}

// cache is a size-bounded LRU of answers. Expired entries stay until
// evicted so that they can be served as last-good answers.
type cache struct {
	mu  sync.Mutex
	max int
	ll  *list.List // front = most recently used
	m   map[cacheKey]*list.Element
}

func newCache(max int) *cache {
	return &cache{max: max, ll: list.New(), m: map[cacheKey]*list.Element{}}
}

// get returns the entry for k (fresh or not) and whether it is fresh.
func (c *cache) get(k cacheKey, now time.Time) (cacheEntry, bool, bool) {
	if c == nil {
		return cacheEntry{}, false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[k]
	if !ok {
		return cacheEntry{}, false, false
	}
	c.ll.MoveToFront(el)
	e := *el.Value.(*cacheEntry)
	return e, true, now.Before(e.expires)
}

func (c *cache) put(e cacheEntry) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[e.key]; ok {
		*el.Value.(*cacheEntry) = e
		c.ll.MoveToFront(el)
		return
	}
	c.m[e.key] = c.ll.PushFront(&e)
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(*cacheEntry).key)
	}
}

// len is the number of entries, fresh or expired.
func (c *cache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// withTTL returns a copy of records whose TTL is what is left until expires.
func withTTL(records []Record, expires, now time.Time, stale bool) []Record {
	left := uint32(0)
	if d := expires.Sub(now); d > 0 {
		left = uint32((d + time.Second - 1) / time.Second)
	}
	out := make([]Record, len(records))
	for i, r := range records {
		out[i] = Record{IP: r.IP, TTL: left, Stale: stale}
	}
	return out
}
