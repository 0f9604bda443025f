// Package cli holds the devices commands AutoCLI cannot express.
package cli

import (
	"fmt"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/spf13/cobra"

	"github.com/w3bd/w3bd/x/devices/types"
)

// QueryCmd is the devices query root; AutoCLI adds the generated commands.
func QueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Querying commands for the devices module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(didDocumentCmd())
	return cmd
}

// didDocumentCmd prints the W3C DID document itself, as JSON whatever the
// output format: a DID document is a JSON document.
func didDocumentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "did-document [did]",
		Short:   "Resolve did:w3b:<device id> to its W3C DID Core document",
		Example: "w3bd q devices did-document did:w3b:w3bdev1...",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			res, err := types.NewQueryClient(clientCtx).DidDocument(cmd.Context(), &types.QueryDidDocumentRequest{Did: args[0]})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), res.DidDocument)
			return err
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}
