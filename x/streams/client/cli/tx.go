// Package cli holds the streams commands AutoCLI cannot express.
package cli

import (
	"fmt"
	"os"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/spf13/cobra"

	"github.com/w3bd/w3bd/x/streams/types"
)

// TxCmd is the streams tx root; AutoCLI adds the generated commands.
func TxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the streams module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(publishCmd())
	return cmd
}

func publishCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "publish [envelopes.json]",
		Short: "Submit device-signed envelopes (one JSON object or an array; bytes hex or base64)",
		Long: `Submit device-signed envelopes as they come from 'w3bd device sign':
{"stream_id":1,"device_id":"w3bdev1...","seq":1,"timestamp_ms":1700000000000,"payload":"<hex|base64>","signature":"<hex|base64>"}
Each envelope is judged on its own; rejected ones are listed in the response with a reason.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			envelopes, err := types.ParseEnvelopesJSON(data)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			msg := &types.MsgPublish{Submitter: clientCtx.GetFromAddress().String(), Envelopes: envelopes}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}
