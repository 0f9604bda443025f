package devices

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/w3bd/w3bd/x/devices/types"
)

// AutoCLIOptions maps the CLI contract onto the Msg and Query services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Query_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the devices module parameters"},
				{
					RpcMethod: "Project", Use: "project [id]", Short: "Show a project",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{RpcMethod: "Projects", Use: "projects", Short: "List projects (--owner to filter)"},
				{
					RpcMethod: "Device", Use: "device [device-id]", Short: "Show a device and its last accepted seq",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}},
				},
				{
					RpcMethod: "ProjectDevices", Use: "devices [project-id]", Short: "List a project's devices",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "project_id"}},
				},
				// did-document prints the DID document itself: see client/cli.
				{RpcMethod: "DidDocument", Skip: true},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "CreateProject", Use: "create-project [name]", Short: "Create a project (--metadata to describe it)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "name"}},
				},
				{
					RpcMethod: "UpdateProject", Use: "update-project [project-id] [metadata]", Short: "Replace a project's metadata",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "project_id"}, {ProtoField: "metadata"}},
				},
				{
					RpcMethod: "TransferProject", Use: "transfer-project [project-id] [new-owner]", Short: "Hand a project to another account",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "project_id"}, {ProtoField: "new_owner"}},
				},
				{
					RpcMethod: "RegisterDevice", Use: "register-device [project-id] [pubkey-hex]",
					Short:          "Register a device key (--algo p256|secp256k1|ed25519)",
					Long:           "Register a device by its public key: hex (or base64) of a compressed or uncompressed EC point, or a 32-byte Ed25519 key. --algo names the algorithm.",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "project_id"}, {ProtoField: "pub_key"}},
				},
				{
					RpcMethod: "SetDeviceStatus", Use: "set-device-status [device-id] [active|suspended|revoked]",
					Short:          "Suspend, reactivate or revoke (final) a device",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}, {ProtoField: "status"}},
				},
				{RpcMethod: "UpdateParams", Skip: true}, // governance only
			},
		},
	}
}
