package types

import (
	"bytes"
	"crypto/sha256"
	"fmt"
)

// DefaultGenesis is the state of a new chain: no code, default params.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextCodeId: 1, NextInstanceId: 1}
}

// Validate checks the genesis state is self-consistent.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidGenesis, err)
	}
	if gs.NextCodeId == 0 || gs.NextInstanceId == 0 {
		return fmt.Errorf("%w: next ids must be at least 1", ErrInvalidGenesis)
	}
	codes := map[uint64]bool{}
	for _, c := range gs.Codes {
		if c.Code.Id == 0 || c.Code.Id >= gs.NextCodeId || codes[c.Code.Id] {
			return fmt.Errorf("%w: code id %d duplicate or outside [1, %d)", ErrInvalidGenesis, c.Code.Id, gs.NextCodeId)
		}
		codes[c.Code.Id] = true
		wasm, err := UnpackCode(c.Wasm, int(gs.Params.MaxUploadBytes))
		if err != nil {
			return fmt.Errorf("%w: code %d: %v", ErrInvalidGenesis, c.Code.Id, err)
		}
		if h := sha256.Sum256(wasm); !bytes.Equal(h[:], c.Code.Hash) {
			return fmt.Errorf("%w: code %d: hash does not match its bytes", ErrInvalidGenesis, c.Code.Id)
		}
	}
	instances := map[uint64]bool{}
	for _, e := range gs.Instances {
		i := e.Instance
		if i.Id == 0 || i.Id >= gs.NextInstanceId || instances[i.Id] {
			return fmt.Errorf("%w: instance id %d duplicate or outside [1, %d)", ErrInvalidGenesis, i.Id, gs.NextInstanceId)
		}
		instances[i.Id] = true
		if !codes[i.CodeId] {
			return fmt.Errorf("%w: instance %d runs unknown code %d", ErrInvalidGenesis, i.Id, i.CodeId)
		}
		switch i.Status {
		case StatusActive, StatusPaused, StatusOutOfFunds:
		default:
			return fmt.Errorf("%w: instance %d has status %q", ErrInvalidGenesis, i.Id, i.Status)
		}
		if len(e.Cursors) != len(i.Streams) {
			return fmt.Errorf("%w: instance %d has %d cursors for %d streams", ErrInvalidGenesis, i.Id, len(e.Cursors), len(i.Streams))
		}
		if uint64(len(e.Logs)) > e.NextLog {
			return fmt.Errorf("%w: instance %d has more logs than next_log", ErrInvalidGenesis, i.Id)
		}
	}
	for _, s := range gs.State {
		if !instances[s.InstanceId] {
			return fmt.Errorf("%w: state of unknown instance %d", ErrInvalidGenesis, s.InstanceId)
		}
	}
	return nil
}
