package types

import (
	"context"

	devicestypes "github.com/w3bd/w3bd/x/devices/types"
)

// DevicesKeeper is what streams needs of x/devices: project ownership and the
// admission of device-signed claims.
type DevicesKeeper interface {
	GetProject(ctx context.Context, id uint64) (devicestypes.Project, error)
	RequireProjectOwner(ctx context.Context, projectID uint64, sender string) (devicestypes.Project, error)
	Admit(ctx context.Context, claims []devicestypes.Claim, verifyGas devicestypes.VerifyGasFunc) ([]devicestypes.Verdict, error)
}
