package types_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/devices/types"
)

func validGenesis(t *testing.T) (*types.GenesisState, []*testutil.Device) {
	owner := testutil.AccAddress("owner")
	devs := []*testutil.Device{
		testutil.NewDevice(t, devicekey.P256, 1),
		testutil.NewDevice(t, devicekey.Secp256k1, 2),
		testutil.NewDevice(t, devicekey.Ed25519, 3),
	}
	gs := &types.GenesisState{
		Params:        types.DefaultParams(),
		NextProjectId: 4,
		Projects: []types.Project{
			{Id: 1, Owner: owner, Name: "a"},
			{Id: 3, Owner: owner, Name: "c"},
		},
	}
	for i, d := range devs {
		gs.Devices = append(gs.Devices, types.Device{
			Id: d.ID, ProjectId: []uint64{1, 3, 1}[i], Algo: string(d.Key.Algo()), PubKey: d.Key.PublicKey(),
			Status: []string{types.StatusActive, types.StatusSuspended, types.StatusRevoked}[i], LastSeq: uint64(i * 5),
		})
	}
	return gs, devs
}

func TestDevicesGenesisValidate(t *testing.T) {
	gs, _ := validGenesis(t)
	require.NoError(t, gs.Validate())
	require.NoError(t, types.DefaultGenesis().Validate())

	other := testutil.NewDevice(t, devicekey.P256, 50)
	tests := []struct {
		name   string
		mutate func(t *testing.T, gs *types.GenesisState, devs []*testutil.Device)
	}{
		{"zero max_name_bytes", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) { gs.Params.MaxNameBytes = 0 }},
		{"zero max_metadata_bytes", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) { gs.Params.MaxMetadataBytes = 0 }},
		{"next project id zero", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) {
			gs.NextProjectId, gs.Projects, gs.Devices = 0, nil, nil
		}},
		{"project id zero", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) { gs.Projects[0].Id = 0 }},
		{"project id equal to next id", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) { gs.Projects[1].Id = 4 }},
		{"project id above next id", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) { gs.NextProjectId = 3 }},
		{"duplicate project id", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) {
			gs.Projects = append(gs.Projects, types.Project{Id: 1, Owner: gs.Projects[0].Owner, Name: "dup"})
		}},
		{"device of unknown project", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) { gs.Devices[1].ProjectId = 2 }},
		{"invalid status", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) { gs.Devices[0].Status = "paused" }},
		{"invalid algo", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) { gs.Devices[0].Algo = "P256" }},
		{"algo does not match key", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) { gs.Devices[2].Algo = "p256" }},
		{"invalid key", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) {
			gs.Devices[0].PubKey = append([]byte(nil), gs.Devices[0].PubKey[:32]...)
		}},
		{"uncompressed key", func(t *testing.T, gs *types.GenesisState, devs []*testutil.Device) {
			gs.Devices[0].PubKey = devs[0].UncompressedKey(t)
		}},
		{"uncompressed secp256k1 key", func(t *testing.T, gs *types.GenesisState, devs []*testutil.Device) {
			gs.Devices[1].PubKey = devs[1].UncompressedKey(t)
		}},
		{"device id not matching key", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) {
			gs.Devices[0].Id = other.ID
		}},
		{"key swapped for another valid key", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) {
			gs.Devices[0].PubKey = other.Key.PublicKey()
		}},
		{"device id of the same key under another algo", func(_ *testing.T, gs *types.GenesisState, devs []*testutil.Device) {
			gs.Devices[2].Id = devicekey.DeviceID(devicekey.P256, devs[2].Key.PublicKey())
		}},
		{"malformed device id", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) { gs.Devices[0].Id = "w3bdev1x" }},
		{"duplicate device", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) {
			d := gs.Devices[1]
			d.Status = types.StatusActive
			gs.Devices = append(gs.Devices, d)
		}},
		{"duplicate device in another project", func(_ *testing.T, gs *types.GenesisState, _ []*testutil.Device) {
			d := gs.Devices[0]
			d.ProjectId = 3
			gs.Devices = append(gs.Devices, d)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gs, devs := validGenesis(t)
			tc.mutate(t, gs, devs)
			require.ErrorIs(t, gs.Validate(), types.ErrInvalidGenesis)
		})
	}
}

func TestDevicesParamsValidate(t *testing.T) {
	require.NoError(t, types.DefaultParams().Validate())
	require.NoError(t, types.Params{MaxNameBytes: 1, MaxMetadataBytes: 1}.Validate())
	require.ErrorIs(t, types.Params{MaxNameBytes: 0, MaxMetadataBytes: 1}.Validate(), types.ErrInvalidParams)
	require.ErrorIs(t, types.Params{MaxNameBytes: 1, MaxMetadataBytes: 0}.Validate(), types.ErrInvalidParams)
}

func TestValidateStatus(t *testing.T) {
	for _, s := range []string{types.StatusActive, types.StatusSuspended, types.StatusRevoked} {
		require.NoError(t, types.ValidateStatus(s))
	}
	for _, s := range []string{"", "Active", "ACTIVE", "paused", " active", "revoked "} {
		require.ErrorIs(t, types.ValidateStatus(s), types.ErrInvalidStatus, "%q", s)
	}
}

func TestCheckName(t *testing.T) {
	ok := []string{"a", "sensor-7 (r)", "Gewächshaus", "温度", strings.Repeat("x", 12)}
	for _, n := range ok {
		require.NoError(t, types.CheckName(n, 12), "%q", n)
	}
	bad := []string{"", strings.Repeat("x", 11) + "é", "a\tb", "a\nb", "\x00", "a\x7f", "\u0085", "\u009f", "\xc3\x28", "\xff"}
	for _, n := range bad {
		require.Error(t, types.CheckName(n, 12), "%q", n)
	}
	// The limit is in bytes, not runes.
	require.NoError(t, types.CheckName("éé", 4))
	require.Error(t, types.CheckName("ééé", 5))
}
