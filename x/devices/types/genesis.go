package types

import (
	"bytes"
	"fmt"

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
		return fmt.Errorf("%w: params: %v", ErrInvalidGenesis, err)
	}
	if gs.NextProjectId == 0 {
		return fmt.Errorf("%w: next_project_id must be at least 1", ErrInvalidGenesis)
	}
	projects := make(map[uint64]bool, len(gs.Projects))
	for _, p := range gs.Projects {
		if p.Id == 0 || p.Id >= gs.NextProjectId {
			return fmt.Errorf("%w: project id %d outside [1, next_project_id=%d)", ErrInvalidGenesis, p.Id, gs.NextProjectId)
		}
		if projects[p.Id] {
			return fmt.Errorf("%w: duplicate project id %d", ErrInvalidGenesis, p.Id)
		}
		projects[p.Id] = true
	}
	devices := make(map[string]bool, len(gs.Devices))
	for _, d := range gs.Devices {
		if !projects[d.ProjectId] {
			return fmt.Errorf("%w: device %s is in unknown project %d", ErrInvalidGenesis, d.Id, d.ProjectId)
		}
		if err := ValidateStatus(d.Status); err != nil {
			return fmt.Errorf("%w: device %s: %v", ErrInvalidGenesis, d.Id, err)
		}
		algo, err := devicekey.ParseAlgo(d.Algo)
		if err != nil {
			return fmt.Errorf("%w: device %s: %v", ErrInvalidGenesis, d.Id, err)
		}
		pub, err := devicekey.NormalizePublicKey(algo, d.PubKey)
		if err != nil {
			return fmt.Errorf("%w: device %s: %v", ErrInvalidGenesis, d.Id, err)
		}
		if !bytes.Equal(pub, d.PubKey) {
			return fmt.Errorf("%w: device %s: public key not in compressed form", ErrInvalidGenesis, d.Id)
		}
		if want := devicekey.DeviceID(algo, pub); want != d.Id {
			return fmt.Errorf("%w: device id %s does not match its key (want %s)", ErrInvalidGenesis, d.Id, want)
		}
		if devices[d.Id] {
			return fmt.Errorf("%w: duplicate device %s", ErrInvalidGenesis, d.Id)
		}
		devices[d.Id] = true
	}
	return nil
}
