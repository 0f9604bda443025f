package keeper_test

import (
	"testing"

	errorsmod "cosmossdk.io/errors"
	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/devices/types"
)

// requireABCICode checks that err reaches clients with want's codespace and
// code. The SDK turns a failed message's error into the tx result with
// errorsmod.ABCIInfo, after wrapping it (errorsmod.Wrapf in baseapp.runMsgs);
// ABCIInfo follows Cause(), not Go's Unwrap.
func requireABCICode(t *testing.T, err error, want *errorsmod.Error) {
	t.Helper()
	require.ErrorIs(t, err, want)
	wrapped := errorsmod.Wrapf(err, "failed to execute message; message index: %d", 0)
	codespace, code, _ := errorsmod.ABCIInfo(wrapped, false)
	require.Equal(t, want.Codespace(), codespace, "%v", err)
	require.Equal(t, want.ABCICode(), code, "%v", err)
}

// The module documents its error codes as stable ("clients match on them"),
// but every error is wrapped with fmt.Errorf("%w: ..."), which
// errorsmod.ABCIInfo does not see through: transactions fail with code 1 in
// codespace "undefined" instead.
func TestDevicesMsgErrorsKeepABCICodes(t *testing.T) {
	f := testutil.NewFixture(t)
	owner, other := testutil.AccAddress("owner"), testutil.AccAddress("other")
	p := f.Project(t, owner)
	dev := testutil.NewDevice(t, devicekey.Ed25519, 1)
	f.Register(t, owner, p, dev)

	_, err := f.DevicesMsg.CreateProject(f.Ctx, &types.MsgCreateProject{Owner: owner, Name: ""})
	requireABCICode(t, err, types.ErrInvalidName)
	_, err = f.DevicesMsg.CreateProject(f.Ctx, &types.MsgCreateProject{Owner: "bad", Name: "p"})
	requireABCICode(t, err, types.ErrInvalidSigner)
	_, err = f.DevicesMsg.UpdateProject(f.Ctx, &types.MsgUpdateProject{Owner: other, ProjectId: p})
	requireABCICode(t, err, types.ErrNotProjectOwner)
	_, err = f.DevicesMsg.UpdateProject(f.Ctx, &types.MsgUpdateProject{Owner: owner, ProjectId: 99})
	requireABCICode(t, err, types.ErrProjectNotFound)
	_, err = f.DevicesMsg.RegisterDevice(f.Ctx, &types.MsgRegisterDevice{Owner: owner, ProjectId: p, PubKey: dev.Key.PublicKey(), Algo: "ed25519"})
	requireABCICode(t, err, types.ErrDeviceExists)
	_, err = f.DevicesMsg.SetDeviceStatus(f.Ctx, &types.MsgSetDeviceStatus{Owner: owner, DeviceId: dev.ID, Status: "x"})
	requireABCICode(t, err, types.ErrInvalidStatus)
	_, err = f.DevicesMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority})
	requireABCICode(t, err, types.ErrInvalidParams)
}
