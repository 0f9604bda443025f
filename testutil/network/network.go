// Package network runs w3bd validators in process, on the SDK's test network.
package network

import (
	"os"

	"cosmossdk.io/log/v2"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/cosmos-sdk/baseapp"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	pruningtypes "github.com/cosmos/cosmos-sdk/store/v2/pruning/types"
	sdknetwork "github.com/cosmos/cosmos-sdk/testutil/network"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/w3bd/w3bd/app"
)

// Fixture builds w3bd apps for the SDK's in-process test network.
func Fixture() sdknetwork.TestFixture {
	app.SetAddressPrefixes()
	dir, err := os.MkdirTemp("", "w3bd-network")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), true, simtestutil.NewAppOptionsWithFlagHome(dir))
	return sdknetwork.TestFixture{
		AppConstructor: func(val sdknetwork.ValidatorI) servertypes.Application {
			cfg := val.GetAppConfig()
			return app.New(val.GetCtx().Logger, dbm.NewMemDB(), true,
				simtestutil.NewAppOptionsWithFlagHome(val.GetCtx().Config.RootDir),
				baseapp.SetPruning(pruningtypes.NewPruningOptionsFromString(cfg.Pruning)),
				baseapp.SetMinGasPrices(cfg.MinGasPrices),
				baseapp.SetChainID(val.GetCtx().Viper.GetString("chain-id")),
			)
		},
		GenesisState: a.DefaultGenesis(),
		EncodingConfig: moduletestutil.TestEncodingConfig{
			InterfaceRegistry: a.InterfaceRegistry(),
			Codec:             a.AppCodec(),
			TxConfig:          a.TxConfig(),
			Amino:             a.LegacyAmino(),
		},
	}
}

// DefaultConfig is the SDK's network config for w3bd: 1 s blocks, free fees.
func DefaultConfig() sdknetwork.Config {
	cfg := sdknetwork.DefaultConfig(Fixture)
	cfg.BondDenom = app.BondDenom
	cfg.MinGasPrices = "0" + app.BondDenom
	return cfg
}
