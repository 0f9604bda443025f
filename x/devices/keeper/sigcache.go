package keeper

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
)

// sigCacheSize is how many verified signatures a generation holds: a few
// blocks' worth at the gateway's rates (two generations are kept).
const sigCacheSize = 100_000

// sigCache remembers signatures this node found valid in CheckTx
// (Keeper.Preverify), so block execution need not verify them again.
// Verification is a pure function of the algorithm, the public key, the
// signed bytes and the signature, and the cache key hashes all four, so a hit
// gives exactly the verdict a verification would: consensus cannot depend on
// the cache, only the time a block takes. Only valid signatures are kept; a
// hit is used once. Two generations bound the memory of signatures whose
// transactions never reach a block.
type sigCache struct {
	mu       sync.Mutex
	cur, old map[[32]byte]struct{}
}

func newSigCache() *sigCache {
	return &sigCache{cur: map[[32]byte]struct{}{}, old: map[[32]byte]struct{}{}}
}

// sigKey identifies one verification; each part is length-prefixed so no
// two different inputs share a key.
func sigKey(algo string, pub, msg, sig []byte) [32]byte {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(algo), pub, msg, sig} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (c *sigCache) add(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cur) >= sigCacheSize {
		c.old, c.cur = c.cur, make(map[[32]byte]struct{}, sigCacheSize)
	}
	c.cur[k] = struct{}{}
}

// take reports whether k was verified as valid, and forgets it.
func (c *sigCache) take(k [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[k]; ok {
		delete(c.cur, k)
		return true
	}
	if _, ok := c.old[k]; ok {
		delete(c.old, k)
		return true
	}
	return false
}
