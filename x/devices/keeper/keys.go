package keeper

import (
	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

func pairOwner(owner sdk.AccAddress, projectID uint64) collections.Pair[sdk.AccAddress, uint64] {
	return collections.Join(owner, projectID)
}

func pairDevice(projectID uint64, addr []byte) collections.Pair[uint64, []byte] {
	return collections.Join(projectID, addr)
}
