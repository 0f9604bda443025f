package keeper_test

import (
	"context"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"
	protov2 "google.golang.org/protobuf/proto"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/keeper"
	"github.com/w3bd/w3bd/x/streams/types"
)

// preverifyRecorder is x/devices with its Preverify calls recorded.
type preverifyRecorder struct {
	types.DevicesKeeper
	calls [][]devicestypes.Claim
}

func (r *preverifyRecorder) Preverify(ctx context.Context, claims []devicestypes.Claim) error {
	r.calls = append(r.calls, claims)
	return r.DevicesKeeper.Preverify(ctx, claims)
}

type testTx struct{ msgs []sdk.Msg }

func (t testTx) GetMsgs() []sdk.Msg                    { return t.msgs }
func (t testTx) GetMsgsV2() ([]protov2.Message, error) { return nil, nil }

// TestPreverifyDecorator: in CheckTx the envelopes' claims, with the sign
// bytes of this chain, go to x/devices ahead of the block; ReCheckTx,
// simulation and block execution skip it; it never fails the transaction
// and charges no gas.
func TestPreverifyDecorator(t *testing.T) {
	s := newScene(t)
	dev := s.device(t, devicekey.P256, 1)
	env1, env2 := dev.Envelope(t, s.stream, 1, testutil.Reading(1)), dev.Envelope(t, s.stream, 2, testutil.Reading(2))
	unknown := testutil.NewDevice(t, devicekey.Ed25519, 9).Envelope(t, s.stream, 1, testutil.Reading(3))
	tx := testTx{msgs: []sdk.Msg{
		&types.MsgPublish{Submitter: testutil.Submitter(), Envelopes: []types.Envelope{env1, unknown}},
		&types.MsgCreateStream{},
		&types.MsgPublish{Submitter: testutil.Submitter(), Envelopes: []types.Envelope{env2}},
	}}
	rec := &preverifyRecorder{DevicesKeeper: s.f.Devices}
	dec := keeper.NewPreverifyDecorator(rec)
	nextCalled := 0
	next := func(ctx sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { nextCalled++; return ctx, nil }

	for _, tc := range []struct {
		name     string
		ctx      sdk.Context
		simulate bool
		calls    int
	}{
		{"deliver", s.f.Ctx, false, 0},
		{"recheck", s.f.Ctx.WithIsCheckTx(true).WithIsReCheckTx(true), false, 0},
		{"simulate", s.f.Ctx.WithIsCheckTx(true), true, 0},
		{"check", s.f.Ctx.WithIsCheckTx(true), false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.calls, nextCalled = nil, 0
			before := tc.ctx.GasMeter().GasConsumed()
			_, err := dec.AnteHandle(tc.ctx, tx, tc.simulate, next)
			require.NoError(t, err)
			require.Equal(t, 1, nextCalled)
			require.Len(t, rec.calls, tc.calls)
			require.Equal(t, before, tc.ctx.GasMeter().GasConsumed(), "no gas charged")
		})
	}
	claims := rec.calls[0]
	require.Len(t, claims, 3)
	for i, env := range []types.Envelope{env1, unknown, env2} {
		require.Equal(t, env.DeviceId, claims[i].DeviceID)
		require.Equal(t, env.Seq, claims[i].Seq)
		require.Equal(t, env.SignBytes(s.f.Ctx.ChainID()), claims[i].SignBytes)
		require.Equal(t, env.Signature, claims[i].Signature)
	}

	// The transaction then executes as it would have: both readings
	// admitted, the unknown device rejected.
	res := s.f.Publish(t, env1, unknown, env2)
	require.Equal(t, uint32(2), res.Accepted)
	require.Equal(t, types.ReasonUnknownDevice, res.Results[1].Reason)
}
