package cmd

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"cosmossdk.io/math"
	cmtconfig "github.com/cometbft/cometbft/config"
	cmttime "github.com/cometbft/cometbft/types/time"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/server"
	srvconfig "github.com/cosmos/cosmos-sdk/server/config"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/w3bd/w3bd/app"
)

const (
	flagNumValidators = "v"
	flagOutputDir     = "output-dir"
	flagBasePort      = "base-port"
	flagCommitTimeout = "timeout-commit"
	flagNodeDirPrefix = "node-dir-prefix"
)

// Ports of node i are basePort + portStride*i + one of these offsets.
const (
	portStride = 10
	portP2P    = 0
	portRPC    = 1
	portGRPC   = 2
	portAPI    = 3
)

// Genesis amounts of every localnet validator account.
var (
	localnetBalance = sdk.TokensFromConsensusPower(1_000_000, sdk.DefaultPowerReduction)
	localnetStake   = sdk.TokensFromConsensusPower(100, sdk.DefaultPowerReduction)
)

// TestnetCmd holds the local multi-validator network tooling.
func TestnetCmd(mbm module.BasicManager) *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "testnet",
		Short:                      "Configure local multi-validator networks",
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(testnetInitFilesCmd(mbm), loadBankSendsCmd())
	return cmd
}

type testnetArgs struct {
	chainID, outputDir, nodeDirPrefix, keyringBackend, minGasPrices string
	numValidators, basePort                                         int
	timeoutCommit                                                   time.Duration
}

func testnetInitFilesCmd(mbm module.BasicManager) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init-files",
		Short: "Write the homes of an N-validator network whose nodes run as separate processes on loopback",
		Long: `init-files writes one home per validator (node0, node1, ...) under --output-dir: keys,
genesis with every validator's gentx, and config with persistent peers. All nodes listen on
127.0.0.1; node i uses ports base-port + 10*i + {0: p2p, 1: rpc, 2: grpc, 3: api}.
Start each with: w3bd start --home <output-dir>/node<i>`,
		Example: "w3bd testnet init-files --v 4 --output-dir ./localnet --chain-id w3bd-localnet",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			var a testnetArgs
			f := cmd.Flags()
			a.outputDir, _ = f.GetString(flagOutputDir)
			a.chainID, _ = f.GetString(flags.FlagChainID)
			a.keyringBackend, _ = f.GetString(flags.FlagKeyringBackend)
			a.minGasPrices, _ = f.GetString(server.FlagMinGasPrices)
			a.nodeDirPrefix, _ = f.GetString(flagNodeDirPrefix)
			a.numValidators, _ = f.GetInt(flagNumValidators)
			a.basePort, _ = f.GetInt(flagBasePort)
			a.timeoutCommit, _ = f.GetDuration(flagCommitTimeout)
			if a.numValidators < 1 {
				return fmt.Errorf("--%s must be at least 1", flagNumValidators)
			}
			if last := a.basePort + portStride*a.numValidators; a.basePort < 1024 || last > 65535 {
				return fmt.Errorf("--%s %d: ports %d..%d must lie in 1024..65535", flagBasePort, a.basePort, a.basePort, last)
			}
			if err := initTestnetFiles(cmd, clientCtx, mbm, a); err != nil {
				return err
			}
			cmd.PrintErrf("Initialised %d validator homes under %s (chain id %s)\n", a.numValidators, a.outputDir, a.chainID)
			return nil
		},
	}
	cmd.Flags().Int(flagNumValidators, 4, "number of validators")
	cmd.Flags().String(flagOutputDir, "./localnet", "directory for the validator homes")
	cmd.Flags().String(flags.FlagChainID, "w3bd-localnet", "chain id")
	cmd.Flags().Int(flagBasePort, 26600, "first port; node i uses base-port+10*i .. +3")
	cmd.Flags().Duration(flagCommitTimeout, DefaultTimeoutCommit, "consensus timeout_commit of every node")
	cmd.Flags().String(flagNodeDirPrefix, "node", "prefix of the node directories")
	cmd.Flags().String(flags.FlagKeyringBackend, keyring.BackendTest, "keyring backend of the validator keys (os|file|test)")
	cmd.Flags().String(server.FlagMinGasPrices, "0"+app.BondDenom, "minimum gas prices of every node")
	return cmd
}

func initTestnetFiles(cmd *cobra.Command, clientCtx client.Context, mbm module.BasicManager, a testnetArgs) error {
	nodeConfig := initCometBFTConfig()
	nodeConfig.Consensus.TimeoutCommit = a.timeoutCommit
	// Every node shares 127.0.0.1: no address-book strictness, no PEX gossip
	// of unroutable addresses.
	nodeConfig.P2P.AddrBookStrict = false
	nodeConfig.P2P.AllowDuplicateIP = true
	nodeConfig.P2P.PexReactor = false

	template, appCfg := initAppConfig()
	full := appCfg.(appConfig)
	appConfig := &full.Config
	appConfig.MinGasPrices = a.minGasPrices
	appConfig.API.Enable = true
	appConfig.GRPCWeb.Enable = false

	var (
		nodeIDs     = make([]string, a.numValidators)
		valPubKeys  = make([]cryptotypes.PubKey, a.numValidators)
		genAccounts []authtypes.GenesisAccount
		genBalances []banktypes.Balance
		genFiles    []string
	)
	gentxsDir := filepath.Join(a.outputDir, "gentxs")
	inBuf := bufio.NewReader(cmd.InOrStdin())
	valCodec := clientCtx.TxConfig.SigningContext().ValidatorAddressCodec()

	for i := range a.numValidators {
		name := fmt.Sprintf("%s%d", a.nodeDirPrefix, i)
		nodeDir := filepath.Join(a.outputDir, name)
		port := func(offset int) int { return a.basePort + portStride*i + offset }

		nodeConfig.SetRoot(nodeDir)
		nodeConfig.Moniker = name
		nodeConfig.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", port(portRPC))
		nodeConfig.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", port(portP2P))
		appConfig.GRPC.Address = fmt.Sprintf("127.0.0.1:%d", port(portGRPC))
		appConfig.API.Address = fmt.Sprintf("tcp://127.0.0.1:%d", port(portAPI))
		if err := os.MkdirAll(filepath.Join(nodeDir, "config"), 0o755); err != nil {
			return err
		}

		var err error
		nodeIDs[i], valPubKeys[i], err = genutil.InitializeNodeValidatorFiles(nodeConfig)
		if err != nil {
			return err
		}
		genFiles = append(genFiles, nodeConfig.GenesisFile())

		kb, err := keyring.New(sdk.KeyringServiceName(), a.keyringBackend, nodeDir, inBuf, clientCtx.Codec)
		if err != nil {
			return err
		}
		addr, secret, err := testutil.GenerateSaveCoinKey(kb, name, "", true, hd.Secp256k1)
		if err != nil {
			return err
		}
		seed, err := json.Marshal(map[string]string{"secret": secret})
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(nodeDir, "key_seed.json"), seed, 0o600); err != nil {
			return err
		}

		genBalances = append(genBalances, banktypes.Balance{Address: addr.String(), Coins: sdk.NewCoins(sdk.NewCoin(app.BondDenom, localnetBalance))})
		genAccounts = append(genAccounts, authtypes.NewBaseAccount(addr, nil, 0, 0))

		valStr, err := valCodec.BytesToString(sdk.ValAddress(addr))
		if err != nil {
			return err
		}
		createVal, err := stakingtypes.NewMsgCreateValidator(valStr, valPubKeys[i],
			sdk.NewCoin(app.BondDenom, localnetStake),
			stakingtypes.NewDescription(name, "", "", "", ""),
			stakingtypes.NewCommissionRates(math.LegacyMustNewDecFromStr("0.1"), math.LegacyOneDec(), math.LegacyMustNewDecFromStr("0.01")),
			math.OneInt())
		if err != nil {
			return err
		}
		memo := fmt.Sprintf("%s@127.0.0.1:%d", nodeIDs[i], port(portP2P))
		txBuilder := clientCtx.TxConfig.NewTxBuilder()
		if err := txBuilder.SetMsgs(createVal); err != nil {
			return err
		}
		txBuilder.SetMemo(memo)
		txFactory := tx.Factory{}.WithChainID(a.chainID).WithMemo(memo).WithKeybase(kb).WithTxConfig(clientCtx.TxConfig)
		if err := tx.Sign(cmd.Context(), txFactory, name, txBuilder, true); err != nil {
			return err
		}
		txBz, err := clientCtx.TxConfig.TxJSONEncoder()(txBuilder.GetTx())
		if err != nil {
			return err
		}
		if err := os.MkdirAll(gentxsDir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(gentxsDir, name+".json"), txBz, 0o600); err != nil {
			return err
		}

		srvconfig.SetConfigTemplate(template)
		srvconfig.WriteConfigFile(filepath.Join(nodeDir, "config", "app.toml"), full)
		cmtconfig.WriteConfigFile(filepath.Join(nodeDir, "config", "config.toml"), nodeConfig)
	}

	if err := writeGenesisFiles(clientCtx, mbm, a.chainID, genAccounts, genBalances, genFiles); err != nil {
		return err
	}
	return collectGenesisFiles(clientCtx, nodeConfig, a, nodeIDs, valPubKeys)
}

// writeGenesisFiles writes the default genesis with the validator accounts.
func writeGenesisFiles(clientCtx client.Context, mbm module.BasicManager, chainID string,
	genAccounts []authtypes.GenesisAccount, genBalances []banktypes.Balance, genFiles []string,
) error {
	appGenState := mbm.DefaultGenesis(clientCtx.Codec)

	var authGenState authtypes.GenesisState
	clientCtx.Codec.MustUnmarshalJSON(appGenState[authtypes.ModuleName], &authGenState)
	accounts, err := authtypes.PackAccounts(genAccounts)
	if err != nil {
		return err
	}
	authGenState.Accounts = accounts
	appGenState[authtypes.ModuleName] = clientCtx.Codec.MustMarshalJSON(&authGenState)

	var bankGenState banktypes.GenesisState
	clientCtx.Codec.MustUnmarshalJSON(appGenState[banktypes.ModuleName], &bankGenState)
	bankGenState.Balances = banktypes.SanitizeGenesisBalances(genBalances)
	for _, bal := range bankGenState.Balances {
		bankGenState.Supply = bankGenState.Supply.Add(bal.Coins...)
	}
	appGenState[banktypes.ModuleName] = clientCtx.Codec.MustMarshalJSON(&bankGenState)

	appGenStateJSON, err := json.MarshalIndent(appGenState, "", "  ")
	if err != nil {
		return err
	}
	appGenesis := genutiltypes.NewAppGenesisWithVersion(chainID, appGenStateJSON)
	for _, f := range genFiles {
		if err := appGenesis.SaveAs(f); err != nil {
			return err
		}
	}
	return nil
}

// collectGenesisFiles puts every gentx into every node's genesis (one genesis
// time for all) and sets each node's persistent peers to the others.
func collectGenesisFiles(clientCtx client.Context, nodeConfig *cmtconfig.Config, a testnetArgs,
	nodeIDs []string, valPubKeys []cryptotypes.PubKey,
) error {
	var appState json.RawMessage
	genTime := cmttime.Now()
	gentxsDir := filepath.Join(a.outputDir, "gentxs")
	valCodec := clientCtx.TxConfig.SigningContext().ValidatorAddressCodec()
	for i := range a.numValidators {
		name := fmt.Sprintf("%s%d", a.nodeDirPrefix, i)
		nodeDir := filepath.Join(a.outputDir, name)
		port := func(offset int) int { return a.basePort + portStride*i + offset }
		nodeConfig.SetRoot(nodeDir)
		nodeConfig.Moniker = name
		nodeConfig.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", port(portRPC))
		nodeConfig.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", port(portP2P))

		initCfg := genutiltypes.NewInitConfig(a.chainID, gentxsDir, nodeIDs[i], valPubKeys[i])
		appGenesis, err := genutiltypes.AppGenesisFromFile(nodeConfig.GenesisFile())
		if err != nil {
			return err
		}
		nodeAppState, err := genutil.GenAppStateFromConfig(clientCtx.Codec, clientCtx.TxConfig, nodeConfig, initCfg,
			appGenesis, banktypes.GenesisBalancesIterator{}, genutiltypes.DefaultMessageValidator, valCodec)
		if err != nil {
			return err
		}
		if appState == nil {
			appState = nodeAppState // every node gets the first node's state: one genesis
		}
		if err := genutil.ExportGenesisFileWithTime(nodeConfig.GenesisFile(), a.chainID, nil, appState, genTime); err != nil {
			return err
		}
	}
	return nil
}
