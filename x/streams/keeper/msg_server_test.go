package keeper_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/types"
)

func TestCreateStream(t *testing.T) {
	owner, other := testutil.AccAddress("owner"), testutil.AccAddress("other")
	tests := []struct {
		name       string
		sender     string
		project    uint64
		streamName string
		wantErr    error
	}{
		{name: "ok", sender: owner, project: 1, streamName: "temperature"},
		{name: "ok name at 128 bytes", sender: owner, project: 1, streamName: strings.Repeat("s", 128)},
		{name: "ok unicode", sender: owner, project: 1, streamName: "Temperatur °C"},
		{name: "non-owner", sender: other, project: 1, streamName: "t", wantErr: devicestypes.ErrNotProjectOwner},
		{name: "unknown project", sender: owner, project: 5, streamName: "t", wantErr: devicestypes.ErrProjectNotFound},
		{name: "project zero", sender: owner, project: 0, streamName: "t", wantErr: devicestypes.ErrProjectNotFound},
		{name: "empty name", sender: owner, project: 1, streamName: "", wantErr: types.ErrInvalidName},
		{name: "name too long", sender: owner, project: 1, streamName: strings.Repeat("s", 129), wantErr: types.ErrInvalidName},
		{name: "control character in name", sender: owner, project: 1, streamName: "a\tb", wantErr: types.ErrInvalidName},
		{name: "invalid utf-8 name", sender: owner, project: 1, streamName: "\xfe", wantErr: types.ErrInvalidName},
		{name: "bad owner address", sender: "w3b1xyz", project: 1, streamName: "t", wantErr: types.ErrInvalidSigner},
		{name: "empty owner", sender: "", project: 1, streamName: "t", wantErr: types.ErrInvalidSigner},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.NewFixture(t)
			f.Project(t, owner)
			f.ResetEvents()
			res, err := f.StreamsMsg.CreateStream(f.Ctx, &types.MsgCreateStream{Owner: tc.sender, ProjectId: tc.project, Name: tc.streamName})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Nil(t, res)
				_, err := f.Streams.GetStream(f.Ctx, 1)
				require.ErrorIs(t, err, types.ErrStreamNotFound)
				next, err := f.Streams.StreamSeq.Peek(f.Ctx)
				require.NoError(t, err)
				require.Equal(t, uint64(1), next, "no stream id consumed")
				require.Empty(t, f.Events(types.EventTypeStreamCreated))
				return
			}
			require.NoError(t, err)
			require.Equal(t, uint64(1), res.StreamId)
			s, err := f.Streams.GetStream(f.Ctx, 1)
			require.NoError(t, err)
			require.Equal(t, types.Stream{Id: 1, ProjectId: tc.project, Name: tc.streamName, CreatedHeight: 10}, s)
			require.Equal(t, []map[string]string{{
				types.AttributeKeyStreamID: "1", types.AttributeKeyProjectID: strconv.FormatUint(tc.project, 10), types.AttributeKeyName: tc.streamName,
			}}, f.Events(types.EventTypeStreamCreated))
			byProject, err := f.StreamsQuery.Streams(f.Ctx, &types.QueryStreamsRequest{ProjectId: tc.project})
			require.NoError(t, err)
			require.Equal(t, []types.Stream{s}, byProject.Streams)
		})
	}
}

func TestCreateStreamIDsAcrossProjects(t *testing.T) {
	f := testutil.NewFixture(t)
	a, b := testutil.AccAddress("a"), testutil.AccAddress("b")
	pa, pb := f.Project(t, a), f.Project(t, b)
	require.Equal(t, uint64(1), f.Stream(t, a, pa))
	require.Equal(t, uint64(2), f.Stream(t, b, pb))
	_, err := f.StreamsMsg.CreateStream(f.Ctx, &types.MsgCreateStream{Owner: a, ProjectId: pb, Name: "x"})
	require.ErrorIs(t, err, devicestypes.ErrNotProjectOwner)
	require.Equal(t, uint64(3), f.Stream(t, a, pa))
	// Same name twice is allowed: streams are identified by id.
	_, err = f.StreamsMsg.CreateStream(f.Ctx, &types.MsgCreateStream{Owner: a, ProjectId: pa, Name: "stream"})
	require.NoError(t, err)
}

func TestStreamsUpdateParams(t *testing.T) {
	f := testutil.NewFixture(t)
	require.Equal(t, f.Authority, f.Streams.Authority())
	get := func() types.Params {
		p, err := f.Streams.Params.Get(f.Ctx)
		require.NoError(t, err)
		return p
	}
	require.Equal(t, types.DefaultParams(), get())
	good := types.Params{
		MaxPayloadBytes: 100, MaxClockSkew: 5 * time.Second, MaxEnvelopesPerMsg: 10,
		VerifyGasP256: 1, VerifyGasSecp256K1: 2, VerifyGasEd25519: 3, GasPerPayloadByte: 0,
	}

	_, err := f.StreamsMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: testutil.AccAddress("owner"), Params: good})
	require.ErrorIs(t, err, types.ErrInvalidSigner)
	_, err = f.StreamsMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: "", Params: good})
	require.ErrorIs(t, err, types.ErrInvalidSigner)
	require.Equal(t, types.DefaultParams(), get())

	for name, mutate := range map[string]func(*types.Params){
		"zero max_payload_bytes":     func(p *types.Params) { p.MaxPayloadBytes = 0 },
		"negative max_clock_skew":    func(p *types.Params) { p.MaxClockSkew = -time.Millisecond },
		"zero max_envelopes_per_msg": func(p *types.Params) { p.MaxEnvelopesPerMsg = 0 },
	} {
		bad := good
		mutate(&bad)
		_, err := f.StreamsMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority, Params: bad})
		require.ErrorIs(t, err, types.ErrInvalidParams, name)
		require.Equal(t, types.DefaultParams(), get(), name)
	}

	_, err = f.StreamsMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority, Params: good})
	require.NoError(t, err)
	require.Equal(t, good, get())
	res, err := f.StreamsQuery.Params(f.Ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, good, res.Params)
}
