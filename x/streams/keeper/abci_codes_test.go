package keeper_test

import (
	"testing"

	errorsmod "cosmossdk.io/errors"
	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/types"
)

// requireABCICode checks that err reaches clients with want's codespace and
// code, as baseapp reports a failed message (errorsmod.Wrapf, then ABCIInfo,
// which follows Cause(), not Go's Unwrap).
func requireABCICode(t *testing.T, err error, want *errorsmod.Error) {
	t.Helper()
	require.ErrorIs(t, err, want)
	wrapped := errorsmod.Wrapf(err, "failed to execute message; message index: %d", 0)
	codespace, code, _ := errorsmod.ABCIInfo(wrapped, false)
	require.Equal(t, want.Codespace(), codespace, "%v", err)
	require.Equal(t, want.ABCICode(), code, "%v", err)
}

func TestStreamsMsgErrorsKeepABCICodes(t *testing.T) {
	s := newScene(t)
	// ErrNoEnvelopes is returned unwrapped, so it keeps its code today.
	_, err := s.f.StreamsMsg.Publish(s.f.Ctx, &types.MsgPublish{Submitter: testutil.Submitter()})
	requireABCICode(t, err, types.ErrNoEnvelopes)

	_, err = s.f.StreamsMsg.CreateStream(s.f.Ctx, &types.MsgCreateStream{Owner: s.owner, ProjectId: s.project, Name: ""})
	requireABCICode(t, err, types.ErrInvalidName)
	_, err = s.f.StreamsMsg.CreateStream(s.f.Ctx, &types.MsgCreateStream{Owner: testutil.AccAddress("x"), ProjectId: s.project, Name: "n"})
	requireABCICode(t, err, devicestypes.ErrNotProjectOwner)
	_, err = s.f.StreamsMsg.Publish(s.f.Ctx, &types.MsgPublish{Submitter: "bad", Envelopes: make([]types.Envelope, 1)})
	requireABCICode(t, err, types.ErrInvalidSigner)
	_, err = s.f.StreamsMsg.Publish(s.f.Ctx, &types.MsgPublish{Submitter: testutil.Submitter(), Envelopes: make([]types.Envelope, 2001)})
	requireABCICode(t, err, types.ErrTooManyEnvelopes)
	_, err = s.f.StreamsMsg.UpdateParams(s.f.Ctx, &types.MsgUpdateParams{Authority: s.f.Authority})
	requireABCICode(t, err, types.ErrInvalidParams)
}
