package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// BankKeeper moves deposits and fees.
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, sender sdk.AccAddress, recipientModule string, amt sdk.Coins) error
	SendCoinsFromModuleToModule(ctx context.Context, senderModule, recipientModule string, amt sdk.Coins) error
}

// DevicesKeeper tells who owns a project.
type DevicesKeeper interface {
	RequireProjectOwner(ctx context.Context, projectID uint64, sender string) (devicestypes.Project, error)
}

// StreamsKeeper gives the records applets consume and takes their outputs.
type StreamsKeeper interface {
	GetStream(ctx context.Context, id uint64) (streamstypes.Stream, error)
	RecordsFrom(ctx context.Context, streamID, from uint64, limit int) ([]streamstypes.Record, error)
	CreateOutputStream(ctx context.Context, projectID, instanceID uint64) (uint64, error)
	AppendOutputs(ctx context.Context, streamID uint64, outputs []streamstypes.Output) error
}
