package cli

import (
	"encoding/hex"
	"fmt"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/spf13/cobra"

	"github.com/w3bd/w3bd/x/applets/types"
)

const flagHex = "hex"

// QueryCmd is the applets query root; AutoCLI adds the generated commands.
func QueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Querying commands for the applets module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(stateCmd())
	return cmd
}

func stateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state [instance-id] [key]",
		Short: "Read one key of an instance's state (KEY as text, or hex with --hex)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			var id uint64
			if _, err := fmt.Sscan(args[0], &id); err != nil {
				return fmt.Errorf("instance id %q: %w", args[0], err)
			}
			key := []byte(args[1])
			if asHex, _ := cmd.Flags().GetBool(flagHex); asHex {
				if key, err = hex.DecodeString(args[1]); err != nil {
					return fmt.Errorf("key is not hex: %w", err)
				}
			}
			res, err := types.NewQueryClient(clientCtx).State(cmd.Context(), &types.QueryStateRequest{InstanceId: id, Key: key})
			if err != nil {
				return err
			}
			if !res.Found {
				return fmt.Errorf("instance %d has no key %q", id, args[1])
			}
			return clientCtx.PrintProto(res)
		},
	}
	cmd.Flags().Bool(flagHex, false, "the key is hex")
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}
