package applets

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/w3bd/w3bd/x/applets/types"
)

// AutoCLIOptions maps the query side of the CLI contract; the tx side and
// the state query live in client/cli.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Query_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the applets module parameters"},
				{
					RpcMethod: "Code", Use: "code [id]", Short: "Show an uploaded code: hash, size, creator",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod: "Instance", Use: "instance [id]", Short: "Show an instance: status, deposit, counters, cursors",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod: "Logs", Use: "logs [instance-id]", Short: "Show an instance's recent log lines and failures",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "instance_id"}},
				},
				{
					RpcMethod: "Outputs", Use: "outputs [instance-id]", Short: "List an instance's emitted outputs (its output stream)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "instance_id"}},
				},
				{RpcMethod: "State", Skip: true}, // client/cli: text or --hex key
			},
		},
	}
}
