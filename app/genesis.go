package app

import "encoding/json"

// GenesisState is the genesis of every module, by module name.
type GenesisState map[string]json.RawMessage
