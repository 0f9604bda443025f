package streams

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/w3bd/w3bd/x/streams/types"
)

// AutoCLIOptions maps the CLI contract onto the Msg and Query services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the streams module parameters"},
				{
					RpcMethod: "Stream", Use: "stream [id]", Short: "Show a stream: project, record count, commitment",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{RpcMethod: "Streams", Use: "streams", Short: "List streams (--project-id to filter)"},
				{
					RpcMethod: "Records", Use: "records [stream-id]", Short: "List a stream's records in order (--from-index, --page-limit)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "stream_id"}},
				},
				{
					RpcMethod: "Record", Use: "record [stream-id] [index]", Short: "Show one record",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "stream_id"}, {ProtoField: "index"}},
				},
				{
					RpcMethod: "DeviceRecords", Use: "device-records [device-id]", Short: "List one device's records",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "CreateStream", Use: "create-stream [project-id] [name]", Short: "Create a stream in a project you own",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "project_id"}, {ProtoField: "name"}},
				},
				{RpcMethod: "Publish", Skip: true},      // client/cli reads the envelopes file
				{RpcMethod: "UpdateParams", Skip: true}, // governance only
			},
		},
	}
}
