package keeper

import "cosmossdk.io/collections"

func pairStream(projectID, streamID uint64) collections.Pair[uint64, uint64] {
	return collections.Join(projectID, streamID)
}
