package types

import (
	"bytes"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/w3bd/w3bd/x/devices/devicekey"
)

// DefaultGenesis is the state of a new chain: no projects, default params.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextProjectId: 1}
}

// Validate checks the genesis state is self-consistent: ids unique and below the
// next id, device ids derived from their keys, devices in existing projects.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return errorsmod.Wrapf(ErrInvalidGenesis, "params: %v", err)
	}
	if gs.NextProjectId == 0 {
		return errorsmod.Wrapf(ErrInvalidGenesis, "next_project_id must be at least 1")
	}
	projects := make(map[uint64]bool, len(gs.Projects))
	for _, p := range gs.Projects {
		if p.Id == 0 || p.Id >= gs.NextProjectId {
			return errorsmod.Wrapf(ErrInvalidGenesis, "project id %d outside [1, next_project_id=%d)", p.Id, gs.NextProjectId)
		}
		if _, err := sdk.AccAddressFromBech32(p.Owner); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "project %d owner %q: %v", p.Id, p.Owner, err)
		}
		if projects[p.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate project id %d", p.Id)
		}
		projects[p.Id] = true
	}
	devices := make(map[string]bool, len(gs.Devices))
	for _, d := range gs.Devices {
		if !projects[d.ProjectId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "device %s is in unknown project %d", d.Id, d.ProjectId)
		}
		if err := ValidateStatus(d.Status); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "device %s: %v", d.Id, err)
		}
		algo, err := devicekey.ParseAlgo(d.Algo)
		if err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "device %s: %v", d.Id, err)
		}
		pub, err := devicekey.NormalizePublicKey(algo, d.PubKey)
		if err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "device %s: %v", d.Id, err)
		}
		if !bytes.Equal(pub, d.PubKey) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "device %s: public key not in compressed form", d.Id)
		}
		if want := devicekey.DeviceID(algo, pub); want != d.Id {
			return errorsmod.Wrapf(ErrInvalidGenesis, "device id %s does not match its key (want %s)", d.Id, want)
		}
		if devices[d.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate device %s", d.Id)
		}
		devices[d.Id] = true
	}
	return nil
}
