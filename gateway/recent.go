package gateway

import (
	"sync"

	"github.com/w3bd/w3bd/gateway/spool"
)

// recent keeps the last n early rejections for status lookups.
type recent struct {
	mu    sync.Mutex
	n     int
	items map[spool.Key]Receipt
	order []spool.Key
}

func newRecent(n int) *recent { return &recent{n: n, items: map[spool.Key]Receipt{}} }

func (r *recent) put(k spool.Key, v Receipt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.items[k]; !ok {
		r.order = append(r.order, k)
		if len(r.order) > r.n {
			delete(r.items, r.order[0])
			r.order = r.order[1:]
		}
	}
	r.items[k] = v
}

func (r *recent) get(k spool.Key) (Receipt, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.items[k]
	return v, ok
}
