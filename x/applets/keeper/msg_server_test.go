package keeper_test

import (
	"crypto/sha256"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/applets/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

func TestStoreCode(t *testing.T) {
	w := newWorld(t, testutil.FixtureOptions{})
	f := w.f
	counter := fixture(t, "counter")
	res, err := f.AppletsMsg.StoreCode(f.Ctx, &types.MsgStoreCode{Sender: w.owner, Wasm: counter})
	require.NoError(t, err)
	sum := sha256.Sum256(counter)
	require.Equal(t, sum[:], res.Hash)
	require.False(t, res.Existing)
	code, err := f.Applets.GetCode(f.Ctx, res.CodeId)
	require.NoError(t, err)
	require.Equal(t, uint64(len(counter)), code.Size_)

	// The same module again, raw or gzipped, is the existing code.
	for _, wasm := range [][]byte{counter, gz(t, counter)} {
		again, err := f.AppletsMsg.StoreCode(f.Ctx, &types.MsgStoreCode{Sender: testutil.AccAddress("other"), Wasm: wasm})
		require.NoError(t, err)
		require.True(t, again.Existing)
		require.Equal(t, res.CodeId, again.CodeId)
	}

	for _, tc := range []struct {
		name, contains string
		wasm           []byte
		err            error
	}{
		{"garbage", "", []byte("definitely not wasm"), types.ErrInvalidWasm},
		{"bad gzip", "gzip", []byte{0x1f, 0x8b, 1, 2, 3}, types.ErrInvalidWasm},
		{"disallowed import", "env", fixture(t, "import_env"), types.ErrInvalidWasm},
		{"wasi outside the subset", "path_open", fixture(t, "import_wasi_fs"), types.ErrInvalidWasm},
		{"simd", "", fixture(t, "simd"), types.ErrInvalidWasm},
		{"no handle export", "handle", fixture(t, "no_handle"), types.ErrInvalidWasm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.AppletsMsg.StoreCode(f.Ctx, &types.MsgStoreCode{Sender: w.owner, Wasm: tc.wasm})
			require.ErrorIs(t, err, tc.err)
			require.Contains(t, err.Error(), tc.contains)
		})
	}

	params := types.DefaultParams()
	params.MaxUploadBytes = 100
	_, err = f.AppletsMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority, Params: params})
	require.NoError(t, err)
	_, err = f.AppletsMsg.StoreCode(f.Ctx, &types.MsgStoreCode{Sender: w.owner, Wasm: fixture(t, "nan")})
	require.ErrorIs(t, err, types.ErrCodeTooLarge)
	_, err = f.AppletsMsg.StoreCode(f.Ctx, &types.MsgStoreCode{Sender: w.owner, Wasm: gz(t, fixture(t, "nan"))})
	require.ErrorIs(t, err, types.ErrCodeTooLarge, "a gzip bomb is bounded after inflating")

	params = types.DefaultParams()
	params.UploadAllowList = []string{testutil.AccAddress("uploader")}
	_, err = f.AppletsMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority, Params: params})
	require.NoError(t, err)
	_, err = f.AppletsMsg.StoreCode(f.Ctx, &types.MsgStoreCode{Sender: w.owner, Wasm: fixture(t, "nan")})
	require.ErrorIs(t, err, types.ErrUploadNotAllowed)
	_, err = f.AppletsMsg.StoreCode(f.Ctx, &types.MsgStoreCode{Sender: testutil.AccAddress("uploader"), Wasm: fixture(t, "nan")})
	require.NoError(t, err)
	_, err = f.AppletsMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: w.owner, Params: params})
	require.ErrorIs(t, err, types.ErrInvalidSigner)
}

func TestInstantiateRules(t *testing.T) {
	w := newWorld(t, testutil.FixtureOptions{})
	f := w.f
	code := w.store(t, fixture(t, "counter"))
	w.publish(t, "before") // not an event: it precedes the instance
	msg := func() *types.MsgInstantiate {
		return &types.MsgInstantiate{Owner: w.owner, CodeId: code, ProjectId: w.project, Streams: []uint64{w.stream},
			GasPerEvent: 1_000_000, Deposit: sdk.NewInt64Coin("uw3b", 1_000_000)}
	}
	other := testutil.AccAddress("stranger")
	f.Fund(t, other, 1_000_000)
	otherProject := f.Project(t, other)
	otherStream := f.Stream(t, other, otherProject)

	for _, tc := range []struct {
		name   string
		mutate func(*types.MsgInstantiate)
		err    error
	}{
		{"unknown code", func(m *types.MsgInstantiate) { m.CodeId = 99 }, types.ErrCodeNotFound},
		{"not the project owner", func(m *types.MsgInstantiate) { m.Owner = other }, nil},
		{"no streams", func(m *types.MsgInstantiate) { m.Streams = nil }, types.ErrInvalidStreams},
		{"stream twice", func(m *types.MsgInstantiate) { m.Streams = []uint64{w.stream, w.stream} }, types.ErrInvalidStreams},
		{"stream of another project", func(m *types.MsgInstantiate) { m.Streams = []uint64{otherStream} }, types.ErrInvalidStreams},
		{"unknown stream", func(m *types.MsgInstantiate) { m.Streams = []uint64{77} }, types.ErrInvalidStreams},
		{"zero gas", func(m *types.MsgInstantiate) { m.GasPerEvent = 0 }, types.ErrInvalidGas},
		{"too much gas", func(m *types.MsgInstantiate) { m.GasPerEvent = types.DefaultParams().MaxGasPerEvent + 1 }, types.ErrInvalidGas},
		{"wrong denom", func(m *types.MsgInstantiate) { m.Deposit = sdk.NewInt64Coin("atom", 5) }, types.ErrInvalidDeposit},
		{"more than the balance", func(m *types.MsgInstantiate) { m.Deposit = sdk.NewInt64Coin("uw3b", 1<<60) }, types.ErrInvalidDeposit},
		{"config too large", func(m *types.MsgInstantiate) { m.Config = make([]byte, types.MaxConfigBytes+1) }, types.ErrConfigTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := msg()
			tc.mutate(m)
			_, err := f.AppletsMsg.Instantiate(f.Ctx, m)
			require.Error(t, err)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			}
		})
	}

	before := f.Bank.GetBalance(f.Ctx, sdk.MustAccAddressFromBech32(w.owner), "uw3b").Amount.Int64()
	res, err := f.AppletsMsg.Instantiate(f.Ctx, msg())
	require.NoError(t, err)
	after := f.Bank.GetBalance(f.Ctx, sdk.MustAccAddressFromBech32(w.owner), "uw3b").Amount.Int64()
	require.Equal(t, int64(1_000_000), before-after, "the deposit moves to the module")
	inst := w.instance(t, res.InstanceId)
	require.Equal(t, types.StatusActive, inst.Status)
	out, err := f.Streams.GetStream(f.Ctx, res.OutputStreamId)
	require.NoError(t, err)
	require.Equal(t, inst.Id, out.ProducerInstanceId)
	require.Equal(t, w.project, out.ProjectId)

	q, err := f.AppletsQuery.Instance(f.Ctx, &types.QueryInstanceRequest{Id: inst.Id})
	require.NoError(t, err)
	require.Equal(t, []types.Cursor{{StreamId: w.stream, NextIndex: 1}}, q.Cursors, "records before the instance are not its events")

	// Devices cannot publish into an output stream.
	env := w.dev.Envelope(t, res.OutputStreamId, 100, []byte("x"))
	pub := f.Publish(t, env)
	require.Equal(t, streamstypes.ReasonNotDeviceStream, pub.Results[0].Reason)
}

func TestUpdateInstanceAndDeposit(t *testing.T) {
	w := newWorld(t, testutil.FixtureOptions{})
	f := w.f
	code := w.store(t, fixture(t, "counter"))
	code2 := w.store(t, fixture(t, "nan"))
	inst := w.instantiate(t, code, "v1", 1_000_000, 1_000_000)

	upd := func(m types.MsgUpdateInstance) error {
		m.InstanceId = inst.Id
		if m.Owner == "" {
			m.Owner = w.owner
		}
		_, err := f.AppletsMsg.UpdateInstance(f.Ctx, &m)
		return err
	}
	require.ErrorIs(t, upd(types.MsgUpdateInstance{Owner: testutil.AccAddress("x"), Pause: true}), types.ErrNotInstanceOwner)
	require.ErrorIs(t, upd(types.MsgUpdateInstance{}), types.ErrInvalidUpdate)
	require.ErrorIs(t, upd(types.MsgUpdateInstance{Pause: true, Resume: true}), types.ErrInvalidUpdate)
	require.ErrorIs(t, upd(types.MsgUpdateInstance{CodeId: 99}), types.ErrCodeNotFound)

	require.NoError(t, upd(types.MsgUpdateInstance{Pause: true}))
	require.Equal(t, types.StatusPaused, w.instance(t, inst.Id).Status)
	w.publish(t, "while paused")
	w.endBlock(t)
	_, ran := w.state(t, inst.Id, "count")
	require.False(t, ran, "a paused instance does not run")

	require.NoError(t, upd(types.MsgUpdateInstance{Resume: true, SetConfig: true, Config: []byte("v2")}))
	w.endBlock(t)
	cfg, _ := w.state(t, inst.Id, "cfg")
	require.Equal(t, "v2", string(cfg), "resumed with the new config; the waiting record ran")

	require.NoError(t, upd(types.MsgUpdateInstance{CodeId: code2}))
	require.Equal(t, code2, w.instance(t, inst.Id).CodeId)

	_, err := f.AppletsMsg.Deposit(f.Ctx, &types.MsgDeposit{Sender: w.owner, InstanceId: inst.Id, Amount: sdk.NewInt64Coin("uw3b", 0)})
	require.ErrorIs(t, err, types.ErrInvalidDeposit)
	_, err = f.AppletsMsg.Deposit(f.Ctx, &types.MsgDeposit{Sender: w.owner, InstanceId: 99, Amount: sdk.NewInt64Coin("uw3b", 5)})
	require.ErrorIs(t, err, types.ErrInstanceNotFound)
	before := w.instance(t, inst.Id).Deposit.Amount.Int64()
	_, err = f.AppletsMsg.Deposit(f.Ctx, &types.MsgDeposit{Sender: w.owner, InstanceId: inst.Id, Amount: sdk.NewInt64Coin("uw3b", 5)})
	require.NoError(t, err)
	require.Equal(t, before+5, w.instance(t, inst.Id).Deposit.Amount.Int64())
}
