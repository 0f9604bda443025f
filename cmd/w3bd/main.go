// Command w3bd is the w3bd node, its CLI, and the device-side tools.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/w3bd/w3bd/app"
	"github.com/w3bd/w3bd/cmd/w3bd/cmd"
)

func main() {
	rootCmd := cmd.NewRootCmd()
	if err := svrcmd.Execute(rootCmd, "W3BD", app.DefaultNodeHome); err != nil {
		fmt.Fprintln(rootCmd.OutOrStderr(), "Error:", err)
		os.Exit(1)
	}
}
