package types

import (
	"bytes"
	"crypto/sha256"
	"fmt"
)

// DefaultGenesis is the state of a new chain: no streams, default params.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextStreamId: 1}
}

// Validate checks the genesis state is self-consistent: ids unique and below
// the next id; every stream holds exactly records 0..record_count-1; payload
// hashes match payloads.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidGenesis, err)
	}
	if gs.NextStreamId == 0 {
		return fmt.Errorf("%w: next_stream_id must be at least 1", ErrInvalidGenesis)
	}
	counts := make(map[uint64]uint64, len(gs.Streams))
	for _, s := range gs.Streams {
		if s.Id == 0 || s.Id >= gs.NextStreamId {
			return fmt.Errorf("%w: stream id %d outside [1, next_stream_id=%d)", ErrInvalidGenesis, s.Id, gs.NextStreamId)
		}
		if _, dup := counts[s.Id]; dup {
			return fmt.Errorf("%w: duplicate stream id %d", ErrInvalidGenesis, s.Id)
		}
		counts[s.Id] = s.RecordCount
	}
	type key struct{ stream, index uint64 }
	seen := make(map[key]bool, len(gs.Records))
	perStream := make(map[uint64]uint64)
	for _, r := range gs.Records {
		count, ok := counts[r.StreamId]
		if !ok {
			return fmt.Errorf("%w: record %d of unknown stream %d", ErrInvalidGenesis, r.Index, r.StreamId)
		}
		if r.Index >= count {
			return fmt.Errorf("%w: record %d of stream %d beyond its record_count %d", ErrInvalidGenesis, r.Index, r.StreamId, count)
		}
		if seen[key{r.StreamId, r.Index}] {
			return fmt.Errorf("%w: duplicate record %d of stream %d", ErrInvalidGenesis, r.Index, r.StreamId)
		}
		seen[key{r.StreamId, r.Index}] = true
		perStream[r.StreamId]++
		if h := sha256.Sum256(r.Payload); !bytes.Equal(h[:], r.PayloadHash) {
			return fmt.Errorf("%w: record %d of stream %d: payload_hash does not match payload", ErrInvalidGenesis, r.Index, r.StreamId)
		}
	}
	for id, count := range counts {
		if perStream[id] != count {
			return fmt.Errorf("%w: stream %d has record_count %d but %d records", ErrInvalidGenesis, id, count, perStream[id])
		}
	}
	return nil
}
