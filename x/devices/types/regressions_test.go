package types_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/x/devices/types"
)

// Validate does not check project owner addresses, but InitGenesis rejects a
// bad one (keeper/genesis.go validateAddress), so `genesis validate` passes a
// file the chain then cannot start from.
func TestDevicesGenesisValidateRejectsBadOwner(t *testing.T) {
	gs := types.DefaultGenesis()
	gs.NextProjectId = 2
	gs.Projects = []types.Project{{Id: 1, Owner: "garbage", Name: "p"}}
	require.ErrorIs(t, gs.Validate(), types.ErrInvalidGenesis)
}
