package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the devices module.
	ModuleName = "devices"
	// StoreKey is the store key of the devices module.
	StoreKey = ModuleName
)

// Store prefixes. Changing one is a state-breaking change.
var (
	ParamsKey          = collections.NewPrefix(0)
	ProjectSeqKey      = collections.NewPrefix(1)
	ProjectsKey        = collections.NewPrefix(2)
	ProjectsByOwnerKey = collections.NewPrefix(3)
	DevicesKey         = collections.NewPrefix(4)
	DevicesByProjKey   = collections.NewPrefix(5)
	LastSeqKey         = collections.NewPrefix(6)
)

// DIDPrefix starts every device DID: did:w3b:<device id>.
const DIDPrefix = "did:w3b:"
