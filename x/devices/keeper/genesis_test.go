package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/devices/types"
)

func TestDevicesGenesisDefault(t *testing.T) {
	f := testutil.NewFixture(t)
	gs, err := f.Devices.ExportGenesis(f.Ctx)
	require.NoError(t, err)
	require.Equal(t, types.DefaultGenesis(), gs)
	require.NoError(t, gs.Validate())
}

func TestDevicesGenesisRoundTrip(t *testing.T) {
	f := testutil.NewFixture(t)
	a, b := testutil.AccAddress("a"), testutil.AccAddress("b")
	p1, p2 := f.Project(t, a), f.Project(t, b)
	p3 := f.Project(t, a)
	_, err := f.DevicesMsg.TransferProject(f.Ctx, &types.MsgTransferProject{Owner: a, ProjectId: p3, NewOwner: b})
	require.NoError(t, err)
	_, err = f.DevicesMsg.UpdateProject(f.Ctx, &types.MsgUpdateProject{Owner: a, ProjectId: p1, Metadata: `{"k":1}`})
	require.NoError(t, err)
	_, err = f.DevicesMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority, Params: types.Params{MaxNameBytes: 64, MaxMetadataBytes: 100}})
	require.NoError(t, err)

	s1 := f.Stream(t, a, p1)
	var devs []*testutil.Device
	for i, algo := range allAlgos {
		for j, status := range []string{types.StatusActive, types.StatusSuspended, types.StatusRevoked} {
			d := testutil.NewDevice(t, algo, int64(10*i+j))
			f.Register(t, a, p1, d)
			require.Equal(t, uint32(1), f.Publish(t, d.Envelope(t, s1, uint64(3+i+j), testutil.Reading(i))).Accepted)
			f.SetStatus(t, a, d.ID, status)
			devs = append(devs, d)
		}
	}
	fresh := testutil.NewDevice(t, devicekey.P256, 77) // last_seq 0
	f.Register(t, b, p2, fresh)

	gs, err := f.Devices.ExportGenesis(f.Ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	require.Equal(t, uint64(4), gs.NextProjectId)
	require.Len(t, gs.Projects, 3)
	require.Len(t, gs.Devices, len(devs)+1)
	statuses := map[string]int{}
	for _, d := range gs.Devices {
		statuses[d.Status]++
		if d.Id == fresh.ID {
			require.Zero(t, d.LastSeq)
		} else {
			require.NotZero(t, d.LastSeq, "export carries last_seq")
		}
	}
	require.Equal(t, map[string]int{types.StatusActive: 4, types.StatusSuspended: 3, types.StatusRevoked: 3}, statuses)
	bz, err := f.Codec.MarshalJSON(gs)
	require.NoError(t, err)

	g := testutil.NewBareFixture(t)
	require.NoError(t, g.Devices.InitGenesis(g.Ctx, gs))
	gs2, err := g.Devices.ExportGenesis(g.Ctx)
	require.NoError(t, err)
	bz2, err := g.Codec.MarshalJSON(gs2)
	require.NoError(t, err)
	require.Equal(t, string(bz), string(bz2))

	// Indexes are rebuilt and the sequence continues.
	res, err := g.DevicesQuery.Projects(g.Ctx, &types.QueryProjectsRequest{Owner: b})
	require.NoError(t, err)
	require.Len(t, res.Projects, 2)
	require.Equal(t, []uint64{p2, p3}, []uint64{res.Projects[0].Id, res.Projects[1].Id})
	pd, err := g.DevicesQuery.ProjectDevices(g.Ctx, &types.QueryProjectDevicesRequest{ProjectId: p1})
	require.NoError(t, err)
	require.Len(t, pd.Devices, len(devs))
	require.Equal(t, uint64(4), g.Project(t, a))
	_, err = g.DevicesMsg.SetDeviceStatus(g.Ctx, &types.MsgSetDeviceStatus{Owner: a, DeviceId: devs[2].ID, Status: types.StatusActive})
	require.ErrorIs(t, err, types.ErrDeviceRevoked, "revocation survives export/import")
	_, err = g.DevicesMsg.RegisterDevice(g.Ctx, &types.MsgRegisterDevice{Owner: b, ProjectId: p2, PubKey: fresh.Key.PublicKey(), Algo: "p256"})
	require.ErrorIs(t, err, types.ErrDeviceExists)
}
