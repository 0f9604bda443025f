package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/types"
)

func TestStreamsGenesisDefault(t *testing.T) {
	f := testutil.NewFixture(t)
	gs, err := f.Streams.ExportGenesis(f.Ctx)
	require.NoError(t, err)
	require.Equal(t, types.DefaultGenesis(), gs)
	require.NoError(t, gs.Validate())
}

// history builds a realistic chain state: several owners and projects (one
// transferred), devices of every algorithm in every status with last seqs,
// streams (one empty), records, non-default params in both modules.
type history struct {
	a, b             string
	pa, pb, pc       uint64
	s1, s2, s3, sNil uint64
	devs             map[string]*testutil.Device // by name
}

func buildHistory(t *testing.T, f *testutil.Fixture) *history {
	h := &history{a: testutil.AccAddress("alice"), b: testutil.AccAddress("bob"), devs: map[string]*testutil.Device{}}
	_, err := f.DevicesMsg.UpdateParams(f.Ctx, &devicestypes.MsgUpdateParams{Authority: f.Authority, Params: devicestypes.Params{MaxNameBytes: 100, MaxMetadataBytes: 1000}})
	require.NoError(t, err)
	sp := types.DefaultParams()
	sp.MaxPayloadBytes, sp.MaxClockSkew, sp.VerifyGasEd25519 = 2048, 90*time.Second, 777
	_, err = f.StreamsMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority, Params: sp})
	require.NoError(t, err)

	h.pa, h.pb = f.Project(t, h.a), f.Project(t, h.b)
	res, err := f.DevicesMsg.CreateProject(f.Ctx, &devicestypes.MsgCreateProject{Owner: h.a, Name: "handed over", Metadata: `{"x":1}`})
	require.NoError(t, err)
	h.pc = res.ProjectId
	_, err = f.DevicesMsg.TransferProject(f.Ctx, &devicestypes.MsgTransferProject{Owner: h.a, ProjectId: h.pc, NewOwner: h.b})
	require.NoError(t, err)
	_, err = f.DevicesMsg.CreateProject(f.Ctx, &devicestypes.MsgCreateProject{Owner: h.b, Name: "empty"})
	require.NoError(t, err)

	h.s1, h.s2 = f.Stream(t, h.a, h.pa), f.Stream(t, h.a, h.pa)
	h.s3 = f.Stream(t, h.b, h.pb)
	h.sNil = f.Stream(t, h.b, h.pc)

	reg := func(name string, owner string, project uint64, algo devicekey.Algo, seed int64) *testutil.Device {
		d := testutil.NewDevice(t, algo, seed)
		f.Register(t, owner, project, d)
		h.devs[name] = d
		return d
	}
	ap := reg("a-p256", h.a, h.pa, devicekey.P256, 1)
	ak := reg("a-k1", h.a, h.pa, devicekey.Secp256k1, 2)
	ae := reg("a-ed", h.a, h.pa, devicekey.Ed25519, 3)
	bp := reg("b-p256", h.b, h.pb, devicekey.P256, 4)
	be := reg("b-ed", h.b, h.pb, devicekey.Ed25519, 5)
	reg("c-k1-idle", h.b, h.pc, devicekey.Secp256k1, 6)

	forged := ak.Envelope(t, h.s1, 50, testutil.Reading(50))
	forged.Signature[0] ^= 1
	res1 := f.Publish(t,
		ap.Envelope(t, h.s1, 1, testutil.Reading(1)),
		ak.Envelope(t, h.s1, 4, testutil.Reading(2)),
		ae.Envelope(t, h.s2, 2, testutil.Reading(3)),
		bp.Envelope(t, h.s3, 10, testutil.Reading(4)),
		forged,
		be.Envelope(t, h.s1, 1, testutil.Reading(5)), // wrong project
	)
	require.Equal(t, uint32(4), res1.Accepted)
	f.Ctx = f.Ctx.WithBlockHeight(11).WithBlockTime(testutil.BlockTime.Add(time.Second))
	res2 := f.Publish(t,
		ap.Envelope(t, h.s1, 2, testutil.Reading(6)),
		ae.Envelope(t, h.s1, 3, testutil.Reading(7)),
		be.Envelope(t, h.s3, 1, []byte{}),
		bp.Envelope(t, h.s3, 11, []byte{0, 1, 2, 0xff}),
		ak.Envelope(t, h.s2, 9, testutil.Reading(8)),
	)
	require.Equal(t, uint32(5), res2.Accepted)
	f.SetStatus(t, h.a, ak.ID, devicestypes.StatusSuspended)
	f.SetStatus(t, h.a, ae.ID, devicestypes.StatusRevoked)
	f.SetStatus(t, h.b, be.ID, devicestypes.StatusSuspended)
	f.SetStatus(t, h.b, be.ID, devicestypes.StatusActive)
	return h
}

func TestGenesisRoundTrip(t *testing.T) {
	f := testutil.NewFixture(t)
	h := buildHistory(t, f)

	dgs, sgs := f.ExportGenesis(t)
	require.NoError(t, dgs.Validate())
	require.NoError(t, sgs.Validate())

	// The export reflects the history.
	require.Equal(t, uint64(5), dgs.NextProjectId)
	require.Len(t, dgs.Projects, 4)
	require.Len(t, dgs.Devices, 6)
	status, last := map[string]string{}, map[string]uint64{}
	for _, d := range dgs.Devices {
		status[d.Id], last[d.Id] = d.Status, d.LastSeq
	}
	require.Equal(t, devicestypes.StatusSuspended, status[h.devs["a-k1"].ID])
	require.Equal(t, devicestypes.StatusRevoked, status[h.devs["a-ed"].ID])
	require.Equal(t, devicestypes.StatusActive, status[h.devs["b-ed"].ID])
	require.Equal(t, uint64(2), last[h.devs["a-p256"].ID])
	require.Equal(t, uint64(9), last[h.devs["a-k1"].ID])
	require.Equal(t, uint64(3), last[h.devs["a-ed"].ID])
	require.Equal(t, uint64(11), last[h.devs["b-p256"].ID])
	require.Equal(t, uint64(1), last[h.devs["b-ed"].ID])
	require.Zero(t, last[h.devs["c-k1-idle"].ID])
	require.Equal(t, uint64(5), sgs.NextStreamId)
	require.Len(t, sgs.Streams, 4)
	require.Len(t, sgs.Records, 9)
	counts := map[uint64]uint64{}
	for _, s := range sgs.Streams {
		counts[s.Id] = s.RecordCount
	}
	require.Equal(t, map[uint64]uint64{h.s1: 4, h.s2: 2, h.s3: 3, h.sNil: 0}, counts)
	require.Equal(t, uint32(2048), sgs.Params.MaxPayloadBytes)
	require.Equal(t, uint32(100), dgs.Params.MaxNameBytes)

	dJSON, err := f.Codec.MarshalJSON(dgs)
	require.NoError(t, err)
	sJSON, err := f.Codec.MarshalJSON(sgs)
	require.NoError(t, err)

	// Through JSON, as a real genesis file would go.
	var dIn devicestypes.GenesisState
	var sIn types.GenesisState
	require.NoError(t, f.Codec.UnmarshalJSON(dJSON, &dIn))
	require.NoError(t, f.Codec.UnmarshalJSON(sJSON, &sIn))
	require.NoError(t, dIn.Validate())
	require.NoError(t, sIn.Validate())

	g := testutil.NewBareFixture(t)
	g.InitGenesis(t, &dIn, &sIn)
	dJSON2, sJSON2 := g.GenesisJSON(t)
	require.Equal(t, string(dJSON), string(dJSON2))
	require.Equal(t, string(sJSON), string(sJSON2))

	// Every query answers the same on both chains (indexes rebuilt).
	for _, owner := range []string{h.a, h.b} {
		want, err := f.DevicesQuery.Projects(f.Ctx, &devicestypes.QueryProjectsRequest{Owner: owner})
		require.NoError(t, err)
		got, err := g.DevicesQuery.Projects(g.Ctx, &devicestypes.QueryProjectsRequest{Owner: owner})
		require.NoError(t, err)
		require.Equal(t, want.Projects, got.Projects)
	}
	for _, p := range []uint64{h.pa, h.pb, h.pc} {
		want, err := f.DevicesQuery.ProjectDevices(f.Ctx, &devicestypes.QueryProjectDevicesRequest{ProjectId: p})
		require.NoError(t, err)
		got, err := g.DevicesQuery.ProjectDevices(g.Ctx, &devicestypes.QueryProjectDevicesRequest{ProjectId: p})
		require.NoError(t, err)
		require.Equal(t, want.Devices, got.Devices)
		wantS, err := f.StreamsQuery.Streams(f.Ctx, &types.QueryStreamsRequest{ProjectId: p})
		require.NoError(t, err)
		gotS, err := g.StreamsQuery.Streams(g.Ctx, &types.QueryStreamsRequest{ProjectId: p})
		require.NoError(t, err)
		require.Equal(t, wantS.Streams, gotS.Streams)
	}
	for _, d := range h.devs {
		want, err := f.StreamsQuery.DeviceRecords(f.Ctx, &types.QueryDeviceRecordsRequest{DeviceId: d.ID})
		require.NoError(t, err)
		got, err := g.StreamsQuery.DeviceRecords(g.Ctx, &types.QueryDeviceRecordsRequest{DeviceId: d.ID})
		require.NoError(t, err)
		require.Equal(t, want.Records, got.Records)
		wantDID, err := f.DevicesQuery.DidDocument(f.Ctx, &devicestypes.QueryDidDocumentRequest{Did: d.ID})
		require.NoError(t, err)
		gotDID, err := g.DevicesQuery.DidDocument(g.Ctx, &devicestypes.QueryDidDocumentRequest{Did: d.ID})
		require.NoError(t, err)
		require.Equal(t, wantDID, gotDID)
	}

	// Both chains continue identically: ids, seqs, statuses, commitments.
	for _, c := range []*testutil.Fixture{f, g} {
		c.Ctx = c.Ctx.WithBlockHeight(12)
		require.Equal(t, uint64(5), c.Project(t, h.a))
		require.Equal(t, uint64(5), c.Stream(t, h.a, h.pa))
		ap, ak, ae := h.devs["a-p256"], h.devs["a-k1"], h.devs["a-ed"]
		res := c.Publish(t,
			ap.Envelope(t, h.s1, 2, testutil.Reading(9)),   // stale
			ap.Envelope(t, h.s1, 3, testutil.Reading(10)),  // ok, index 4
			ak.Envelope(t, h.s1, 10, testutil.Reading(11)), // suspended
			ae.Envelope(t, h.s1, 4, testutil.Reading(12)),  // revoked
		)
		require.Equal(t, []string{types.ReasonStaleSeq, "", types.ReasonDeviceSuspended, types.ReasonDeviceRevoked},
			[]string{res.Results[0].Reason, res.Results[1].Reason, res.Results[2].Reason, res.Results[3].Reason})
		require.Equal(t, uint64(4), res.Results[1].RecordIndex)
	}
	fd, fs := f.GenesisJSON(t)
	gd, gs := g.GenesisJSON(t)
	require.Equal(t, string(fd), string(gd))
	require.Equal(t, string(fs), string(gs))
}

func TestInitGenesisStreamOfUnknownProject(t *testing.T) {
	g := testutil.NewBareFixture(t)
	require.NoError(t, g.Devices.InitGenesis(g.Ctx, devicestypes.DefaultGenesis()))
	sgs := types.DefaultGenesis()
	sgs.NextStreamId = 2
	sgs.Streams = []types.Stream{{Id: 1, ProjectId: 3, Name: "orphan"}}
	require.NoError(t, sgs.Validate(), "stream genesis alone cannot see projects")
	require.ErrorIs(t, g.Streams.InitGenesis(g.Ctx, sgs), devicestypes.ErrProjectNotFound)
}
