package types

import (
	"bytes"
	errorsmod "cosmossdk.io/errors"
	"crypto/sha256"
)

// DefaultGenesis is the state of a new chain: no code, default params.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextCodeId: 1, NextInstanceId: 1}
}

// Validate checks the genesis state is self-consistent.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return errorsmod.Wrapf(ErrInvalidGenesis, "%v", err)
	}
	if gs.NextCodeId == 0 || gs.NextInstanceId == 0 {
		return errorsmod.Wrapf(ErrInvalidGenesis, "next ids must be at least 1")
	}
	codes := map[uint64]bool{}
	for _, c := range gs.Codes {
		if c.Code.Id == 0 || c.Code.Id >= gs.NextCodeId || codes[c.Code.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "code id %d duplicate or outside [1, %d)", c.Code.Id, gs.NextCodeId)
		}
		codes[c.Code.Id] = true
		wasm, err := UnpackCode(c.Wasm, int(gs.Params.MaxUploadBytes))
		if err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "code %d: %v", c.Code.Id, err)
		}
		if h := sha256.Sum256(wasm); !bytes.Equal(h[:], c.Code.Hash) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "code %d: hash does not match its bytes", c.Code.Id)
		}
	}
	instances := map[uint64]bool{}
	for _, e := range gs.Instances {
		i := e.Instance
		if i.Id == 0 || i.Id >= gs.NextInstanceId || instances[i.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "instance id %d duplicate or outside [1, %d)", i.Id, gs.NextInstanceId)
		}
		instances[i.Id] = true
		if !codes[i.CodeId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "instance %d runs unknown code %d", i.Id, i.CodeId)
		}
		switch i.Status {
		case StatusActive, StatusPaused, StatusOutOfFunds:
		default:
			return errorsmod.Wrapf(ErrInvalidGenesis, "instance %d has status %q", i.Id, i.Status)
		}
		if len(e.Cursors) != len(i.Streams) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "instance %d has %d cursors for %d streams", i.Id, len(e.Cursors), len(i.Streams))
		}
		if uint64(len(e.Logs)) > e.NextLog {
			return errorsmod.Wrapf(ErrInvalidGenesis, "instance %d has more logs than next_log", i.Id)
		}
	}
	for _, s := range gs.State {
		if !instances[s.InstanceId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "state of unknown instance %d", s.InstanceId)
		}
	}
	return nil
}
