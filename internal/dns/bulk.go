package dns

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Lookuper resolves a name to its A and AAAA records. *Resolver is one; the
// client's tunnel resolver is another.
type Lookuper interface {
	LookupAddrs(ctx context.Context, host string) ([]Record, error)
}

// BulkOptions tune ResolveAll. Zero values pick the defaults.
type BulkOptions struct {
	Concurrency int           // names in flight; 0 → 32
	Timeout     time.Duration // per name and try; 0 → 10 s
	Retries     int           // extra tries after a failure other than not-found; 0 → 2, negative → none
	// Progress, when set, is called after each name with the count done.
	Progress func(done, total int)
}

// BulkResult is the outcome for one name: the records kept, those rejected
// by FilterBogus, or the error of its last try.
type BulkResult struct {
	Name     string
	Records  []Record
	Rejected []Rejected
	Err      error
}

// ResolveAll looks up every name with bounded concurrency. A failure never
// stops the run; results are in the order of names.
func ResolveAll(ctx context.Context, l Lookuper, names []string, o BulkOptions) []BulkResult {
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 2
	}
	out := make([]BulkResult, len(names))
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range min(o.Concurrency, len(names)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(names) {
					return
				}
				out[i] = resolveOne(ctx, l, names[i], o)
				if o.Progress != nil {
					o.Progress(int(done.Add(1)), len(names))
				}
			}
		})
	}
	wg.Wait()
	return out
}

func resolveOne(ctx context.Context, l Lookuper, name string, o BulkOptions) BulkResult {
	res := BulkResult{Name: name}
	for try := 0; try <= max(o.Retries, 0); try++ {
		tctx, cancel := context.WithTimeout(ctx, o.Timeout)
		recs, err := l.LookupAddrs(tctx, name)
		cancel()
		if err == nil {
			res.Records, res.Rejected = FilterBogus(recs)
			res.Err = nil
			return res
		}
		res.Err = err
		if errors.Is(err, ErrNotFound) || ctx.Err() != nil {
			break
		}
	}
	return res
}
