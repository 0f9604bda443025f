package devicekey

import (
	voied25519 "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Batch verifies many signatures at once. Ed25519 signatures share one
// batch equation, about a third of the cost of checking each on its own;
// ECDSA ones are verified one by one. The verdicts are those Verify would
// give, signature by signature: a batch that fails falls back to checking
// each of its Ed25519 entries alone, so one forged signature costs its
// batch the saving but never changes another entry's verdict.
//
// A Batch is for one goroutine; use one per worker to verify in parallel.
type Batch struct {
	items []batchItem
	ed    *voied25519.BatchVerifier
	edIdx []int // items in the Ed25519 batch, in the order added
}

type batchItem struct {
	key       PublicKey
	msg, sig  []byte
	err       error
	edBatched bool
}

// NewBatch returns an empty batch with room for n signatures.
func NewBatch(n int) *Batch {
	return &Batch{items: make([]batchItem, 0, n)}
}

// Add queues sig over msg by key. The slices must stay unchanged until
// Verify returns.
func (b *Batch) Add(key PublicKey, msg, sig []byte) {
	it := batchItem{key: key, msg: msg, sig: sig}
	if k, ok := key.(*ed25519Key); ok {
		if it.err = checkEd25519Encoding(sig); it.err == nil {
			if b.ed == nil {
				b.ed = voied25519.NewBatchVerifierWithCapacity(cap(b.items))
			}
			b.ed.AddExpandedWithOptions(k.expanded, msg, sig, ed25519Options)
			b.edIdx = append(b.edIdx, len(b.items))
			it.edBatched = true
		}
	}
	b.items = append(b.items, it)
}

// Verify checks every signature added and returns one verdict per Add, in
// order: nil, or an error matching ErrInvalidSignatureEncoding or
// ErrSignatureMismatch.
func (b *Batch) Verify() []error {
	errs := make([]error, len(b.items))
	switch len(b.edIdx) {
	case 0:
	case 1:
		// A batch of one costs more than a plain verification.
		it := &b.items[b.edIdx[0]]
		it.err = it.key.Verify(it.msg, it.sig)
	default:
		// nil reader: crypto/rand draws the batch's random coefficients.
		if ok, valid := b.ed.Verify(nil); !ok {
			for j, i := range b.edIdx {
				if !valid[j] {
					b.items[i].err = errEd25519Mismatch
				}
			}
		}
	}
	for i := range b.items {
		it := &b.items[i]
		if it.err == nil && !it.edBatched {
			it.err = it.key.Verify(it.msg, it.sig)
		}
		errs[i] = it.err
	}
	return errs
}
