package gateway

import (
	"runtime"
	"sync"

	"github.com/w3bd/w3bd/x/devices/devicekey"
)

// verifier checks signatures for concurrent receivers (one goroutine per
// MQTT client or HTTP request) in batches: the caller that finds fewer than
// maxLeaders batches running becomes a leader and verifies everything
// waiting, up to maxBatch at a time, as one devicekey.Batch, until nothing
// waits. Alone, a check is verified at once, as a batch of one; under load
// the batches grow by themselves, and an Ed25519 check in a batch of a
// hundred costs about a third of a lone one. Few leaders (a quarter of the
// cores) make for big batches: with a leader per core, checks rarely wait
// and are verified one by one, while the other goroutines need the cores
// for I/O anyway; one leader verifies some 80k Ed25519 signatures a second.
type verifier struct {
	maxBatch, maxLeaders int

	mu      sync.Mutex
	waiting []*sigCheck
	leaders int

	batches, checked int // totals, for tests
}

type sigCheck struct {
	key      devicekey.PublicKey
	msg, sig []byte
	done     chan error
}

func newVerifier(maxBatch int) *verifier {
	return &verifier{maxBatch: maxBatch, maxLeaders: max(1, runtime.GOMAXPROCS(0)/4)}
}

// Verify checks sig over msg by key, as key.Verify would.
func (v *verifier) Verify(key devicekey.PublicKey, msg, sig []byte) error {
	c := &sigCheck{key: key, msg: msg, sig: sig, done: make(chan error, 1)}
	v.mu.Lock()
	v.waiting = append(v.waiting, c)
	lead := v.leaders < v.maxLeaders
	if lead {
		v.leaders++
	}
	v.mu.Unlock()
	if lead {
		v.lead()
	}
	return <-c.done
}

// lead verifies batches until none waits; it stops only with the lock held
// and the queue empty, so no check is ever left without a leader.
func (v *verifier) lead() {
	for {
		v.mu.Lock()
		if len(v.waiting) == 0 {
			v.leaders--
			v.mu.Unlock()
			return
		}
		n := min(len(v.waiting), v.maxBatch)
		batch := v.waiting[:n:n]
		v.waiting = append([]*sigCheck(nil), v.waiting[n:]...)
		v.batches++
		v.checked += n
		v.mu.Unlock()

		b := devicekey.NewBatch(n)
		for _, c := range batch {
			b.Add(c.key, c.msg, c.sig)
		}
		for i, err := range b.Verify() {
			batch[i].done <- err
		}
	}
}
