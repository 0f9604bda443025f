package gateway

import (
	"runtime"
	"sync"
	"time"

	"github.com/w3bd/w3bd/x/devices/devicekey"
)

// verifier checks signatures for concurrent receivers (one goroutine per
// MQTT client or HTTP request) in batches: the caller that finds fewer than
// maxLeaders batches running becomes a leader; it lets checks gather for
// window, then verifies everything waiting, up to maxBatch at a time, as one
// devicekey.Batch, and goes on while anything waits. An Ed25519 check costs
// ~24 us alone, ~16 us in a batch of 8, ~12 us in one of 64: without the
// window, checks arriving at thousands a second rarely overlap and would be
// verified one by one. The window (a few milliseconds) is small beside the
// spool's fsync and the block time that every reading waits for anyway.
// Few leaders (a quarter of the cores) make for big batches; the other
// goroutines need the cores for I/O.
type verifier struct {
	maxBatch, maxLeaders int
	window               time.Duration

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

func newVerifier(maxBatch int, window time.Duration) *verifier {
	return &verifier{maxBatch: maxBatch, window: window, maxLeaders: max(1, runtime.GOMAXPROCS(0)/4)}
}

// Verify checks sig over msg by key, as key.Verify would. Only Ed25519 gains
// from a batch; ECDSA keys are verified by the caller at once, in parallel
// with other callers (one leader would serialize them on one core).
func (v *verifier) Verify(key devicekey.PublicKey, msg, sig []byte) error {
	if key.Algo() != devicekey.Ed25519 {
		return key.Verify(msg, sig)
	}
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
		if full := len(v.waiting) >= v.maxBatch; !full && v.window > 0 {
			v.mu.Unlock()
			time.Sleep(v.window)
			v.mu.Lock()
		}
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
