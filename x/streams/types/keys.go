package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the streams module.
	ModuleName = "streams"
	// StoreKey is the store key of the streams module.
	StoreKey = ModuleName
)

// Store prefixes. Changing one is a state-breaking change.
var (
	ParamsKey          = collections.NewPrefix(0)
	StreamSeqKey       = collections.NewPrefix(1)
	StreamsKey         = collections.NewPrefix(2)
	StreamsByProjKey   = collections.NewPrefix(3)
	RecordsKey         = collections.NewPrefix(4)
	RecordsByDeviceKey = collections.NewPrefix(5)
)
