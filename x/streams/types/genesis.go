package types

import (
	"bytes"
	errorsmod "cosmossdk.io/errors"
	"crypto/sha256"
	"github.com/w3bd/w3bd/x/devices/devicekey"
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
		return errorsmod.Wrapf(ErrInvalidGenesis, "%v", err)
	}
	if gs.NextStreamId == 0 {
		return errorsmod.Wrapf(ErrInvalidGenesis, "next_stream_id must be at least 1")
	}
	counts := make(map[uint64]uint64, len(gs.Streams))
	producers := make(map[uint64]uint64, len(gs.Streams))
	for _, s := range gs.Streams {
		producers[s.Id] = s.ProducerInstanceId
		if s.Id == 0 || s.Id >= gs.NextStreamId {
			return errorsmod.Wrapf(ErrInvalidGenesis, "stream id %d outside [1, next_stream_id=%d)", s.Id, gs.NextStreamId)
		}
		if _, dup := counts[s.Id]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate stream id %d", s.Id)
		}
		counts[s.Id] = s.RecordCount
	}
	type key struct{ stream, index uint64 }
	seen := make(map[key]bool, len(gs.Records))
	perStream := make(map[uint64]uint64)
	for _, r := range gs.Records {
		count, ok := counts[r.StreamId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "record %d of unknown stream %d", r.Index, r.StreamId)
		}
		if r.Index >= count {
			return errorsmod.Wrapf(ErrInvalidGenesis, "record %d of stream %d beyond its record_count %d", r.Index, r.StreamId, count)
		}
		if seen[key{r.StreamId, r.Index}] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate record %d of stream %d", r.Index, r.StreamId)
		}
		seen[key{r.StreamId, r.Index}] = true
		perStream[r.StreamId]++
		if r.InstanceId != producers[r.StreamId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "record %d of stream %d: instance_id %d, the stream's producer is %d", r.Index, r.StreamId, r.InstanceId, producers[r.StreamId])
		}
		if r.InstanceId == 0 {
			if _, err := devicekey.ParseDeviceID(r.DeviceId); err != nil {
				return errorsmod.Wrapf(ErrInvalidGenesis, "record %d of stream %d: %v", r.Index, r.StreamId, err)
			}
		}
		if h := sha256.Sum256(r.Payload); !bytes.Equal(h[:], r.PayloadHash) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "record %d of stream %d: payload_hash does not match payload", r.Index, r.StreamId)
		}
	}
	for id, count := range counts {
		if perStream[id] != count {
			return errorsmod.Wrapf(ErrInvalidGenesis, "stream %d has record_count %d but %d records", id, count, perStream[id])
		}
	}
	return nil
}
