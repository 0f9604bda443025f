// Package cmd builds the w3bd command tree.
package cmd

import (
	"errors"
	"os"
	"time"

	"cosmossdk.io/log/v2"
	confixcmd "cosmossdk.io/tools/confix/cmd"
	cmtcfg "github.com/cometbft/cometbft/config"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/debug"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/cosmos/cosmos-sdk/client/pruning"
	"github.com/cosmos/cosmos-sdk/client/rpc"
	"github.com/cosmos/cosmos-sdk/client/snapshot"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/server"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	authcmd "github.com/cosmos/cosmos-sdk/x/auth/client/cli"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"

	"github.com/w3bd/w3bd/app"
	"github.com/w3bd/w3bd/gateway"
)

// DefaultTimeoutCommit is the pause after each commit: 1 s blocks.
const DefaultTimeoutCommit = time.Second

// NewRootCmd returns the w3bd command tree.
func NewRootCmd() *cobra.Command {
	app.SetAddressPrefixes()
	// A throwaway app yields the codecs and the module list for the CLI.
	tempHome, err := os.MkdirTemp("", "w3bd-cli")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tempHome)
	tempApp := app.New(log.NewNopLogger(), dbm.NewMemDB(), true, simtestutil.NewAppOptionsWithFlagHome(tempHome))

	initClientCtx := client.Context{}.
		WithCodec(tempApp.AppCodec()).
		WithInterfaceRegistry(tempApp.InterfaceRegistry()).
		WithTxConfig(tempApp.TxConfig()).
		WithLegacyAmino(tempApp.LegacyAmino()).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithHomeDir(app.DefaultNodeHome).
		WithViper("W3BD")

	rootCmd := &cobra.Command{
		Use:           app.AppName,
		Short:         "w3bd: verifiable machine data on a Cosmos appchain",
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())
			initClientCtx = initClientCtx.WithCmdContext(cmd.Context())
			initClientCtx, err := client.ReadPersistentCommandFlags(initClientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			initClientCtx, err = config.ReadFromClientConfig(initClientCtx)
			if err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(initClientCtx, cmd); err != nil {
				return err
			}
			appTemplate, appConfig := initAppConfig()
			return server.InterceptConfigsPreRunHandler(cmd, appTemplate, appConfig, initCometBFTConfig())
		},
	}

	basics := tempApp.BasicModuleManager
	rootCmd.AddCommand(
		initCmd(basics),
		debug.Cmd(),
		confixcmd.ConfigCommand(),
		pruning.Cmd(newApp, app.DefaultNodeHome),
		snapshot.Cmd(newApp),
		server.QueryBlockResultsCmd(),
	)
	server.AddCommands(rootCmd, app.DefaultNodeHome, newApp, appExport, func(*cobra.Command) {})
	rootCmd.AddCommand(
		server.StatusCommand(),
		genutilcli.Commands(tempApp.TxConfig(), basics, app.DefaultNodeHome),
		txCommand(),
		queryCommand(),
		keys.Commands(),
		TestnetCmd(basics),
		DeviceCmd(),
		GatewayCmd(),
	)

	autoCliOpts := tempApp.AutoCliOpts()
	autoCliOpts.AddressCodec = addresscodec.NewBech32Codec(sdk.GetConfig().GetBech32AccountAddrPrefix())
	autoCliOpts.ValidatorAddressCodec = addresscodec.NewBech32Codec(sdk.GetConfig().GetBech32ValidatorAddrPrefix())
	autoCliOpts.ConsensusAddressCodec = addresscodec.NewBech32Codec(sdk.GetConfig().GetBech32ConsensusAddrPrefix())
	if autoCliOpts.ClientCtx, err = config.ReadFromClientConfig(initClientCtx); err != nil {
		panic(err)
	}
	if err := autoCliOpts.EnhanceRootCommand(rootCmd); err != nil {
		panic(err)
	}
	return rootCmd
}

// initCmd is the SDK's init with --timeout-commit (default 1 s). The SDK
// replaces a timeout equal to CometBFT's default by 5 s when it writes a new
// config.toml, so the value is set on the server config just before init
// writes it.
func initCmd(basics module.BasicManager) *cobra.Command {
	cmd := genutilcli.InitCmd(basics, app.DefaultNodeHome)
	cmd.Flags().Duration(flagCommitTimeout, DefaultTimeoutCommit, "consensus timeout_commit: the pause after each block")
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		d, err := cmd.Flags().GetDuration(flagCommitTimeout)
		if err != nil {
			return err
		}
		server.GetServerContextFromCmd(cmd).Config.Consensus.TimeoutCommit = d
		return run(cmd, args)
	}
	return cmd
}

// initCometBFTConfig is CometBFT's default config with 1 s blocks (without it
// the SDK would write a 5 s timeout_commit) and room for applet uploads.
func initCometBFTConfig() *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	cfg.Consensus.TimeoutCommit = DefaultTimeoutCommit
	// Applet uploads (a gzipped Go applet is ~1 MB) exceed CometBFT's 1 MiB
	// defaults; a JSON-RPC broadcast carries the tx hex- or base64-encoded.
	cfg.Mempool.MaxTxBytes = 4 << 20
	cfg.RPC.MaxBodyBytes = 12 << 20
	return cfg
}

// appConfig is app.toml: the SDK's sections plus w3bd's [applets] and [gateway].
type appConfig struct {
	serverconfig.Config `mapstructure:",squash"`
	Applets             appletsConfig `mapstructure:"applets"`
	Gateway             gatewayFile   `mapstructure:"gateway"`
}

type appletsConfig struct {
	Engine   string `mapstructure:"engine"`
	CacheDir string `mapstructure:"cache-dir"`
	Workers  int    `mapstructure:"workers"`
}

type gatewayFile struct {
	MQTTAddress string `mapstructure:"mqtt-address"`
	HTTPAddress string `mapstructure:"http-address"`
	TLSCertFile string `mapstructure:"tls-cert-file"`
	TLSKeyFile  string `mapstructure:"tls-key-file"`
	SpoolDir    string `mapstructure:"spool-dir"`
	BatchSize   int    `mapstructure:"batch-size"`
	BatchWindow string `mapstructure:"batch-window"`
	MaxInFlight int    `mapstructure:"max-in-flight"`
	Lanes       int    `mapstructure:"lanes"`
	QueueSize   int    `mapstructure:"queue-size"`
	CacheTTL    string `mapstructure:"cache-ttl"`
}

const w3bdConfigTemplate = `
###############################################################################
###                            w3bd applets                                 ###
###############################################################################

[applets]
# Applet engine of this node: "compiler" (native code) or "interpreter".
# Both give identical results; this only changes speed.
engine = "{{ .Applets.Engine }}"
# Compiled applets are cached here (default <home>/data/applets-cache).
cache-dir = "{{ .Applets.CacheDir }}"
# Applet instances run in parallel on this many workers (0: one per CPU).
workers = {{ .Applets.Workers }}

###############################################################################
###                            w3bd gateway                                 ###
###############################################################################

# Read by 'w3bd gateway start'; its flags override these.
[gateway]
mqtt-address = "{{ .Gateway.MQTTAddress }}"
http-address = "{{ .Gateway.HTTPAddress }}"
# TLS for MQTT and HTTP when both are set.
tls-cert-file = "{{ .Gateway.TLSCertFile }}"
tls-key-file = "{{ .Gateway.TLSKeyFile }}"
# Durable spool (default <home>/data/gateway-spool).
spool-dir = "{{ .Gateway.SpoolDir }}"
batch-size = {{ .Gateway.BatchSize }}
batch-window = "{{ .Gateway.BatchWindow }}"
max-in-flight = {{ .Gateway.MaxInFlight }}
lanes = {{ .Gateway.Lanes }}
queue-size = {{ .Gateway.QueueSize }}
cache-ttl = "{{ .Gateway.CacheTTL }}"
`

// initAppConfig is the SDK's app.toml with a zero minimum gas price (a new
// local node accepts transactions without fees; validators of a public
// network set their own price) and w3bd's sections.
func initAppConfig() (string, any) {
	cfg := serverconfig.DefaultConfig()
	cfg.MinGasPrices = "0" + app.BondDenom
	gw := gateway.DefaultConfig()
	return serverconfig.DefaultConfigTemplate + w3bdConfigTemplate, appConfig{
		Config:  *cfg,
		Applets: appletsConfig{Engine: "compiler"},
		Gateway: gatewayFile{
			MQTTAddress: gw.MQTTAddr, HTTPAddress: gw.HTTPAddr, BatchSize: gw.Pipeline.BatchSize,
			BatchWindow: gw.Pipeline.BatchWindow.String(), MaxInFlight: gw.Pipeline.MaxInFlight,
			Lanes:     gw.Pipeline.Lanes,
			QueueSize: gw.Pipeline.QueueSize, CacheTTL: gw.CacheTTL.String(),
		},
	}
}

func queryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "query",
		Aliases:                    []string{"q"},
		Short:                      "Querying subcommands",
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		rpc.ValidatorCommand(),
		server.QueryBlockCmd(),
		authcmd.QueryTxsByEventsCmd(),
		server.QueryBlocksCmd(),
		authcmd.QueryTxCmd(),
	)
	return cmd
}

func txCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "tx",
		Short:                      "Transactions subcommands",
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		authcmd.GetSignCommand(),
		authcmd.GetSignBatchCommand(),
		authcmd.GetMultiSignCommand(),
		authcmd.GetMultiSignBatchCmd(),
		authcmd.GetValidateSignaturesCommand(),
		authcmd.GetBroadcastCommand(),
		authcmd.GetEncodeCommand(),
		authcmd.GetDecodeCommand(),
		authcmd.GetSimulateCmd(),
	)
	return cmd
}

func newApp(logger log.Logger, db dbm.DB, appOpts servertypes.AppOptions) servertypes.Application {
	return app.New(logger, db, true, appOpts, server.DefaultBaseappOptions(appOpts)...)
}

func appExport(logger log.Logger, db dbm.DB, height int64, forZeroHeight bool, jailAllowedAddrs []string,
	appOpts servertypes.AppOptions, modulesToExport []string,
) (servertypes.ExportedApp, error) {
	homePath, ok := appOpts.Get(flags.FlagHome).(string)
	if !ok || homePath == "" {
		return servertypes.ExportedApp{}, errors.New("application home not set")
	}
	viperAppOpts, ok := appOpts.(*viper.Viper)
	if !ok {
		return servertypes.ExportedApp{}, errors.New("appOpts is not viper.Viper")
	}
	viperAppOpts.Set(server.FlagInvCheckPeriod, 1)
	var a *app.App
	if height != -1 {
		a = app.New(logger, db, false, viperAppOpts)
		if err := a.LoadHeight(height); err != nil {
			return servertypes.ExportedApp{}, err
		}
	} else {
		a = app.New(logger, db, true, viperAppOpts)
	}
	return a.ExportAppStateAndValidators(forZeroHeight, jailAllowedAddrs, modulesToExport)
}
