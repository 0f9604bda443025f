package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the applets module; its account holds deposits.
	ModuleName = "applets"
	// StoreKey is the store key of the applets module.
	StoreKey = ModuleName
)

// Store prefixes. Changing one is a state-breaking change.
var (
	ParamsKey      = collections.NewPrefix(0)
	CodeSeqKey     = collections.NewPrefix(1)
	CodesKey       = collections.NewPrefix(2)
	CodeBytesKey   = collections.NewPrefix(3)
	CodeByHashKey  = collections.NewPrefix(4)
	InstanceSeqKey = collections.NewPrefix(5)
	InstancesKey   = collections.NewPrefix(6)
	CursorsKey     = collections.NewPrefix(7)
	StateKey       = collections.NewPrefix(8)
	LogsKey        = collections.NewPrefix(9)
	LogSeqKey      = collections.NewPrefix(10)
)

// Instance statuses.
const (
	StatusActive     = "active"
	StatusPaused     = "paused"
	StatusOutOfFunds = "out_of_funds"
)

// LogLevelFailure marks the log entry that records a failed event.
const LogLevelFailure int32 = -3
