package keeper

import (
	"sync"

	"github.com/w3bd/w3bd/x/devices/devicekey"
)

// keyCacheSize bounds the parsed-key cache: a parsed Ed25519 key carries a
// ~1.5 KiB precomputed table, so the cache holds at most ~50 MiB.
const keyCacheSize = 1 << 15

// keyCache keeps parsed public keys by device id. It can never be stale: a
// device id is a hash of its algorithm and key, so an id names one key forever.
// Hits and misses give the same answers, so the cache cannot affect consensus.
type keyCache struct {
	mu   sync.RWMutex
	max  int
	keys map[string]devicekey.PublicKey
}

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, keys: make(map[string]devicekey.PublicKey)}
}

func (c *keyCache) get(algo devicekey.Algo, id string, pub []byte) (devicekey.PublicKey, error) {
	c.mu.RLock()
	k, ok := c.keys[id]
	c.mu.RUnlock()
	if ok {
		return k, nil
	}
	k, err := devicekey.ParsePublicKey(algo, pub)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.keys) >= c.max {
		clear(c.keys)
	}
	c.keys[id] = k
	c.mu.Unlock()
	return k, nil
}
