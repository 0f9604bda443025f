package keeper

import (
	"context"
	"sync"

	"cosmossdk.io/collections"
)

// storeLock serialises reads of the SDK store by instances running in
// parallel: the store is not safe for concurrent use. Writes never reach the
// store during the run (see instanceState).
type storeLock struct{ mu sync.Mutex }

// instanceState is one instance's vm.StateStore during a block: reads see
// the instance's own buffered writes first, then the store (under the lock);
// writes are buffered and applied by flush, after the parallel run, in
// instance-id order. So instances cannot see each other's writes of this
// block, and the result does not depend on scheduling.
type instanceState struct {
	ctx     context.Context
	k       Keeper
	id      uint64
	lock    *storeLock
	pending map[string][]byte // nil value: deleted
	order   []string          // first-write order, for deterministic flush
}

func newInstanceState(ctx context.Context, k Keeper, id uint64, lock *storeLock) *instanceState {
	return &instanceState{ctx: ctx, k: k, id: id, lock: lock, pending: map[string][]byte{}}
}

func (s *instanceState) Get(key []byte) ([]byte, bool) {
	if v, ok := s.pending[string(key)]; ok {
		return v, v != nil
	}
	s.lock.mu.Lock()
	defer s.lock.mu.Unlock()
	v, err := s.k.State.Get(s.ctx, collections.Join(s.id, key))
	if err != nil {
		return nil, false
	}
	return v, true
}

func (s *instanceState) Set(key, value []byte) { s.put(key, append([]byte{}, value...)) }

func (s *instanceState) Delete(key []byte) { s.put(key, nil) }

func (s *instanceState) put(key, value []byte) {
	k := string(key)
	if _, seen := s.pending[k]; !seen {
		s.order = append(s.order, k)
	}
	s.pending[k] = value
}

// flush writes the buffered state to the store.
func (s *instanceState) flush(ctx context.Context) error {
	for _, key := range s.order {
		k := collections.Join(s.id, []byte(key))
		if v := s.pending[key]; v != nil {
			if err := s.k.State.Set(ctx, k, v); err != nil {
				return err
			}
		} else if err := s.k.State.Remove(ctx, k); err != nil {
			return err
		}
	}
	return nil
}
