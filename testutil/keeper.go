// Package testutil holds fixtures shared by w3bd's tests: keepers on an
// in-memory store, device keys, signed envelopes.
package testutil

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/log/v2"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/w3bd/w3bd/x/applets"
	appletskeeper "github.com/w3bd/w3bd/x/applets/keeper"
	appletstypes "github.com/w3bd/w3bd/x/applets/types"
	"github.com/w3bd/w3bd/x/applets/vm"

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

// Fixture is x/devices, x/streams and x/applets (with real x/auth and x/bank
// for deposits) on an in-memory store, at genesis defaults, with a context at
// height 10 and BlockTime.
type Fixture struct {
	Ctx          sdk.Context
	Codec        codec.Codec
	Devices      deviceskeeper.Keeper
	Streams      *streamskeeper.Keeper
	Applets      appletskeeper.Keeper
	Bank         bankkeeper.BaseKeeper
	DevicesMsg   devicestypes.MsgServer
	StreamsMsg   streamstypes.MsgServer
	AppletsMsg   appletstypes.MsgServer
	DevicesQuery devicestypes.QueryServer
	StreamsQuery streamstypes.QueryServer
	AppletsQuery appletstypes.QueryServer
	// Authority is the gov module address, allowed to update params.
	Authority string
}

// FixtureOptions choose the node-local applet engine and parallelism.
type FixtureOptions struct {
	Engine  vm.EngineKind
	Workers int
}

// NewFixture builds the keepers with the compiler engine.
func NewFixture(tb testing.TB) *Fixture { return NewFixtureWith(tb, FixtureOptions{}) }

// NewFixtureWith builds the keepers and initialises default genesis.
func NewFixtureWith(tb testing.TB, opts FixtureOptions) *Fixture {
	tb.Helper()
	f := newBareFixture(tb, opts)
	if err := f.Devices.InitGenesis(f.Ctx, devicestypes.DefaultGenesis()); err != nil {
		tb.Fatal(err)
	}
	if err := f.Streams.InitGenesis(f.Ctx, streamstypes.DefaultGenesis()); err != nil {
		tb.Fatal(err)
	}
	if err := f.Applets.InitGenesis(f.Ctx, appletstypes.DefaultGenesis()); err != nil {
		tb.Fatal(err)
	}
	return f
}

// NewBareFixture builds the keepers on an empty store, without genesis, for
// tests that import a genesis of their own.
func NewBareFixture(tb testing.TB) *Fixture { return newBareFixture(tb, FixtureOptions{}) }

func newBareFixture(tb testing.TB, opts FixtureOptions) *Fixture {
	tb.Helper()
	app.SetAddressPrefixes()
	enc := moduletestutil.MakeTestEncodingConfig(devices.AppModule{}, streams.AppModule{}, applets.AppModule{})
	authtypes.RegisterInterfaces(enc.InterfaceRegistry)
	banktypes.RegisterInterfaces(enc.InterfaceRegistry)
	keys := storetypes.NewKVStoreKeys(devicestypes.StoreKey, streamstypes.StoreKey, appletstypes.StoreKey, authtypes.StoreKey, banktypes.StoreKey)
	ctx := sdktestutil.DefaultContextWithKeys(keys, nil, nil).
		WithBlockHeader(cmtproto.Header{ChainID: ChainID, Height: 10, Time: BlockTime}).
		WithHeaderHash(hashOfHeight(10)).
		WithChainID(ChainID)
	ac := address.NewBech32Codec(app.Bech32Prefix)
	authority := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	perms := map[string][]string{authtypes.FeeCollectorName: nil, appletstypes.ModuleName: nil, minttypes.ModuleName: {authtypes.Minter}}
	ak := authkeeper.NewAccountKeeper(enc.Codec, runtime.NewKVStoreService(keys[authtypes.StoreKey]), authtypes.ProtoBaseAccount,
		perms, ac, app.Bech32Prefix, authority)
	bk := bankkeeper.NewBaseKeeper(enc.Codec, runtime.NewKVStoreService(keys[banktypes.StoreKey]), ak, nil, authority, log.NewNopLogger())
	dk := deviceskeeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[devicestypes.StoreKey]), ac, authority)
	sk := streamskeeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[streamstypes.StoreKey]), ac, authority, dk)
	cfg := vm.DefaultConfig()
	cfg.Kind = opts.Engine
	engine, err := vm.NewEngine(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { engine.Close(context.Background()) })
	apk := appletskeeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[appletstypes.StoreKey]), ac, authority,
		app.BondDenom, authtypes.FeeCollectorName, bk, dk, sk, engine).WithWorkers(opts.Workers)
	return &Fixture{
		Ctx: ctx, Codec: enc.Codec, Devices: dk, Streams: sk, Applets: apk, Bank: bk,
		DevicesMsg: deviceskeeper.NewMsgServerImpl(dk), StreamsMsg: streamskeeper.NewMsgServerImpl(sk),
		AppletsMsg:   appletskeeper.NewMsgServerImpl(apk),
		DevicesQuery: deviceskeeper.NewQueryServerImpl(dk), StreamsQuery: streamskeeper.NewQueryServerImpl(sk),
		AppletsQuery: appletskeeper.NewQueryServerImpl(apk, streamskeeper.NewQueryServerImpl(sk)),
		Authority:    authority,
	}
}

// Fund mints uw3b to addr.
func (f *Fixture) Fund(tb testing.TB, addr string, amount int64) {
	tb.Helper()
	coins := sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, amount))
	acc, err := sdk.AccAddressFromBech32(addr)
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Bank.MintCoins(f.Ctx, minttypes.ModuleName, coins); err != nil {
		tb.Fatal(err)
	}
	if err := f.Bank.SendCoinsFromModuleToAccount(f.Ctx, minttypes.ModuleName, acc, coins); err != nil {
		tb.Fatal(err)
	}
}

// NextBlock moves the fixture's context to the next height, one second later.
func (f *Fixture) NextBlock() {
	h := f.Ctx.BlockHeader()
	h.Height++
	h.Time = h.Time.Add(time.Second)
	f.Ctx = f.Ctx.WithBlockHeader(h).WithHeaderHash(hashOfHeight(h.Height))
}

func hashOfHeight(h int64) []byte {
	sum := sha256.Sum256(fmt.Appendf(nil, "block %d", h))
	return sum[:]
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
