// Package testutil holds fixtures shared by w3bd's tests: keepers on an
// in-memory store, device keys, signed envelopes.
package testutil

import (
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdktestutil "github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/w3bd/w3bd/app"
	"github.com/w3bd/w3bd/x/devices"
	deviceskeeper "github.com/w3bd/w3bd/x/devices/keeper"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams"
	streamskeeper "github.com/w3bd/w3bd/x/streams/keeper"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// ChainID is the chain id of keeper fixtures.
const ChainID = "w3bd-test"

// BlockTime is the block time of keeper fixtures.
var BlockTime = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// Fixture is x/devices and x/streams on an in-memory store, at genesis
// defaults, with a context at height 10 and BlockTime.
type Fixture struct {
	Ctx          sdk.Context
	Codec        codec.Codec
	Devices      deviceskeeper.Keeper
	Streams      *streamskeeper.Keeper
	DevicesMsg   devicestypes.MsgServer
	StreamsMsg   streamstypes.MsgServer
	DevicesQuery devicestypes.QueryServer
	StreamsQuery streamstypes.QueryServer
	// Authority is the gov module address, allowed to update params.
	Authority string
}

// NewFixture builds the keepers and initialises default genesis.
func NewFixture(tb testing.TB) *Fixture {
	tb.Helper()
	return newFixture(tb, true)
}

// NewBareFixture builds the keepers on an empty store without initialising
// any genesis, for tests that load a genesis state of their own (InitGenesis).
func NewBareFixture(tb testing.TB) *Fixture {
	tb.Helper()
	return newFixture(tb, false)
}

func newFixture(tb testing.TB, defaultGenesis bool) *Fixture {
	tb.Helper()
	app.SetAddressPrefixes()
	enc := moduletestutil.MakeTestEncodingConfig(devices.AppModule{}, streams.AppModule{})
	keys := storetypes.NewKVStoreKeys(devicestypes.StoreKey, streamstypes.StoreKey)
	ctx := sdktestutil.DefaultContextWithKeys(keys, nil, nil).
		WithBlockHeader(cmtproto.Header{ChainID: ChainID, Height: 10, Time: BlockTime}).
		WithChainID(ChainID)
	ac := address.NewBech32Codec(app.Bech32Prefix)
	authority := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	dk := deviceskeeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[devicestypes.StoreKey]), ac, authority)
	sk := streamskeeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[streamstypes.StoreKey]), ac, authority, dk)
	f := &Fixture{
		Ctx: ctx, Codec: enc.Codec, Devices: dk, Streams: sk,
		DevicesMsg: deviceskeeper.NewMsgServerImpl(dk), StreamsMsg: streamskeeper.NewMsgServerImpl(sk),
		DevicesQuery: deviceskeeper.NewQueryServerImpl(dk), StreamsQuery: streamskeeper.NewQueryServerImpl(sk),
		Authority: authority,
	}
	if defaultGenesis {
		f.InitGenesis(tb, devicestypes.DefaultGenesis(), streamstypes.DefaultGenesis())
	}
	return f
}

// AccAddress is a deterministic account address for name, as a bech32 string.
func AccAddress(name string) string {
	app.SetAddressPrefixes()
	return authtypes.NewModuleAddress("test/" + name).String()
}

// Project creates a project owned by owner and returns its id.
func (f *Fixture) Project(tb testing.TB, owner string) uint64 {
	tb.Helper()
	res, err := f.DevicesMsg.CreateProject(f.Ctx, &devicestypes.MsgCreateProject{Owner: owner, Name: "project"})
	if err != nil {
		tb.Fatal(err)
	}
	return res.ProjectId
}

// Stream creates a stream in project and returns its id.
func (f *Fixture) Stream(tb testing.TB, owner string, project uint64) uint64 {
	tb.Helper()
	res, err := f.StreamsMsg.CreateStream(f.Ctx, &streamstypes.MsgCreateStream{Owner: owner, ProjectId: project, Name: "stream"})
	if err != nil {
		tb.Fatal(err)
	}
	return res.StreamId
}

// Register registers dev in project.
func (f *Fixture) Register(tb testing.TB, owner string, project uint64, dev *Device) {
	tb.Helper()
	res, err := f.DevicesMsg.RegisterDevice(f.Ctx, &devicestypes.MsgRegisterDevice{
		Owner: owner, ProjectId: project, PubKey: dev.Key.PublicKey(), Algo: string(dev.Key.Algo()),
	})
	if err != nil {
		tb.Fatal(err)
	}
	if res.DeviceId != dev.ID {
		tb.Fatalf("registered device id %s, want %s", res.DeviceId, dev.ID)
	}
}
