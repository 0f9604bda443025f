package gateway

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/w3bd/w3bd/x/devices/devicekey"
)

// TestVerifierConcurrent: many receivers at once each get the verdict their
// own signature deserves, batched (Ed25519) or not (P-256, verified by the
// caller).
func TestVerifierConcurrent(t *testing.T) {
	type check struct {
		key      devicekey.PublicKey
		msg, sig []byte
		valid    bool
	}
	var checks []check
	batchable := 0
	for i := range 400 {
		algo := devicekey.Ed25519
		if i%10 == 9 {
			algo = devicekey.P256
		}
		priv, err := devicekey.GenerateKey(algo, nil)
		if err != nil {
			t.Fatal(err)
		}
		key, err := devicekey.ParsePublicKey(algo, priv.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		msg := fmt.Appendf(nil, "reading %d", i)
		sig, err := priv.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		valid := i%7 != 3
		if !valid {
			sig[10] ^= 1
		}
		checks = append(checks, check{key, msg, sig, valid})
		if algo == devicekey.Ed25519 {
			batchable++
		}
	}

	run := func(t *testing.T, v *verifier, started func()) {
		var wg sync.WaitGroup
		errs := make([]error, len(checks))
		for i, c := range checks {
			wg.Go(func() { errs[i] = v.Verify(c.key, c.msg, c.sig) })
		}
		started()
		wg.Wait()
		for i, c := range checks {
			switch {
			case c.valid && errs[i] != nil:
				t.Fatalf("check %d: valid signature rejected: %v", i, errs[i])
			case !c.valid && !errors.Is(errs[i], devicekey.ErrSignatureMismatch):
				t.Fatalf("check %d: forged signature: got %v, want a mismatch", i, errs[i])
			}
		}
		if v.checked != batchable {
			t.Fatalf("%d checks went through batches, want the %d Ed25519 ones", v.checked, batchable)
		}
		if v.leaders != 0 || len(v.waiting) != 0 {
			t.Fatalf("after the last check: %d leaders, %d waiting", v.leaders, len(v.waiting))
		}
	}

	t.Run("free for all", func(t *testing.T) {
		v := newVerifier(64, 0)
		v.maxLeaders = 2
		run(t, v, func() {})
		t.Logf("%d checks in %d batches", v.checked, v.batches)
	})

	// With every leader busy, all checks queue up; the next leader takes
	// them in batches of at most maxBatch.
	t.Run("batches under load", func(t *testing.T) {
		v := newVerifier(64, 0)
		v.maxLeaders = 1
		v.leaders = 1 // a leader busy elsewhere
		run(t, v, func() {
			for {
				v.mu.Lock()
				n := len(v.waiting)
				v.mu.Unlock()
				if n == batchable {
					break
				}
				time.Sleep(time.Millisecond)
			}
			v.lead() // the busy leader comes back for the queue
		})
		if want := (batchable + 63) / 64; v.batches != want {
			t.Fatalf("%d batches, want %d", v.batches, want)
		}
	})
}
