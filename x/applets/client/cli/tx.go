// Package cli holds the applets commands AutoCLI cannot express.
package cli

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/spf13/cobra"

	"github.com/w3bd/w3bd/x/applets/types"
)

const (
	flagStreams     = "streams"
	flagConfig      = "config"
	flagGasPerEvent = "gas-per-event"
	flagDeposit     = "deposit"
	flagPause       = "pause"
	flagResume      = "resume"
	flagCode        = "code"
)

// TxCmd is the applets tx root.
func TxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the applets module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(storeCodeCmd(), instantiateCmd(), updateInstanceCmd(), depositCmd())
	return cmd
}

func storeCodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store-code [file.wasm]",
		Short: "Upload a WebAssembly applet; raw modules are gzipped before sending. The tx's events carry the code id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			wasm, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			if wasm, err = gzipIfRaw(wasm); err != nil {
				return err
			}
			defaultGasAuto(cmd)
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), &types.MsgStoreCode{Sender: clientCtx.GetFromAddress().String(), Wasm: wasm})
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func instantiateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "instantiate [code-id] [project-id]",
		Short:   "Run a code over streams of a project you own",
		Example: `w3bd tx applets instantiate 1 1 --streams 1,2 --config '{"threshold":30}' --gas-per-event 2000000 --deposit 1000000uw3b --from alice`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			codeID, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("code id %q: %w", args[0], err)
			}
			projectID, err := strconv.ParseUint(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("project id %q: %w", args[1], err)
			}
			s, _ := cmd.Flags().GetString(flagStreams)
			streams, err := parseIDs(s)
			if err != nil {
				return fmt.Errorf("--%s: %w", flagStreams, err)
			}
			config, _ := cmd.Flags().GetString(flagConfig)
			gas, _ := cmd.Flags().GetUint64(flagGasPerEvent)
			msg := &types.MsgInstantiate{
				Owner: clientCtx.GetFromAddress().String(), CodeId: codeID, ProjectId: projectID,
				Streams: streams, Config: []byte(config), GasPerEvent: gas,
			}
			if d, _ := cmd.Flags().GetString(flagDeposit); d != "" {
				if msg.Deposit, err = sdk.ParseCoinNormalized(d); err != nil {
					return fmt.Errorf("--%s: %w", flagDeposit, err)
				}
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(flagStreams, "", "comma-separated stream ids to consume, in delivery order (required)")
	cmd.Flags().String(flagConfig, "", "config the applet reads with config() (any bytes, e.g. JSON)")
	cmd.Flags().Uint64(flagGasPerEvent, 1_000_000, "gas each event may use")
	cmd.Flags().String(flagDeposit, "", "deposit paying for gas, e.g. 1000000uw3b")
	flags.AddTxFlagsToCmd(cmd)
	_ = cmd.MarkFlagRequired(flagStreams)
	return cmd
}

func updateInstanceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update-instance [instance-id]",
		Short: "Pause, resume, reconfigure (--config) or migrate (--code) an instance",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("instance id %q: %w", args[0], err)
			}
			f := cmd.Flags()
			msg := &types.MsgUpdateInstance{Owner: clientCtx.GetFromAddress().String(), InstanceId: id}
			msg.Pause, _ = f.GetBool(flagPause)
			msg.Resume, _ = f.GetBool(flagResume)
			msg.CodeId, _ = f.GetUint64(flagCode)
			if f.Changed(flagConfig) {
				config, _ := f.GetString(flagConfig)
				msg.SetConfig, msg.Config = true, []byte(config)
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, f, msg)
		},
	}
	cmd.Flags().Bool(flagPause, false, "stop running the instance (records wait)")
	cmd.Flags().Bool(flagResume, false, "run the instance again, from where it stopped")
	cmd.Flags().String(flagConfig, "", "replace the config")
	cmd.Flags().Uint64(flagCode, 0, "migrate to this code id")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func depositCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deposit [instance-id] [amount]",
		Short: "Top up an instance's deposit (resumes it if it ran out of funds)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("instance id %q: %w", args[0], err)
			}
			amount, err := sdk.ParseCoinNormalized(args[1])
			if err != nil {
				return fmt.Errorf("amount %q: %w", args[1], err)
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), &types.MsgDeposit{Sender: clientCtx.GetFromAddress().String(), InstanceId: id, Amount: amount})
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// gzipIfRaw compresses a raw module: a Go applet shrinks about 3.5x, which
// keeps the transaction, its fee and the stored state small.
func gzipIfRaw(wasm []byte) ([]byte, error) {
	if bytes.HasPrefix(wasm, []byte{0x1f, 0x8b}) {
		return wasm, nil
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(wasm); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func parseIDs(s string) ([]uint64, error) {
	var ids []uint64
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		id, err := strconv.ParseUint(part, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an id", part)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no stream ids")
	}
	return ids, nil
}

// defaultGasAuto simulates the gas of a large upload unless --gas was given:
// a fixed default limit cannot fit modules of every size.
func defaultGasAuto(cmd *cobra.Command) {
	f := cmd.Flags()
	if !f.Changed(flags.FlagGas) {
		_ = f.Set(flags.FlagGas, flags.GasFlagAuto)
		if !f.Changed(flags.FlagGasAdjustment) {
			_ = f.Set(flags.FlagGasAdjustment, "1.3")
		}
	}
}
