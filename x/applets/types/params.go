package types

import (
	errorsmod "cosmossdk.io/errors"
	"slices"

	"cosmossdk.io/math"
)

// MaxConfigBytes bounds an instance's config blob.
const MaxConfigBytes = 16 << 10

// DefaultParams are the parameters of a new chain. The upload limit fits a Go
// wasip1 applet (~2 MB); the gas price makes a 1M-gas event cost 100 uw3b.
func DefaultParams() Params {
	return Params{
		MaxUploadBytes:     4 << 20,
		GasPrice:           math.LegacyNewDecWithPrec(1, 4),
		MaxGasPerEvent:     100_000_000,
		MaxEventsPerBlock:  10_000,
		MaxLogsPerInstance: 100,
	}
}

// Validate checks the parameters are usable.
func (p Params) Validate() error {
	switch {
	case p.MaxUploadBytes == 0:
		return errorsmod.Wrapf(ErrInvalidParams, "max_upload_bytes must be positive")
	case p.GasPrice.IsNil() || p.GasPrice.IsNegative():
		return errorsmod.Wrapf(ErrInvalidParams, "gas_price must not be negative")
	case p.MaxGasPerEvent == 0:
		return errorsmod.Wrapf(ErrInvalidParams, "max_gas_per_event must be positive")
	case p.MaxEventsPerBlock == 0:
		return errorsmod.Wrapf(ErrInvalidParams, "max_events_per_block must be positive")
	}
	return nil
}

// MayUpload tells whether addr may store code.
func (p Params) MayUpload(addr string) bool {
	return len(p.UploadAllowList) == 0 || slices.Contains(p.UploadAllowList, addr)
}

// Fee is what gas costs at the gas price, rounded up.
func (p Params) Fee(gas uint64) math.Int {
	return p.GasPrice.MulInt(math.NewIntFromUint64(gas)).Ceil().TruncateInt()
}
