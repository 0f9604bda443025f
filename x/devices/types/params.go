package types

import errorsmod "cosmossdk.io/errors"

// DefaultParams are the parameters of a new chain.
func DefaultParams() Params {
	return Params{MaxNameBytes: 128, MaxMetadataBytes: 4096}
}

// Validate checks the parameters are usable.
func (p Params) Validate() error {
	if p.MaxNameBytes == 0 {
		return errorsmod.Wrapf(ErrInvalidParams, "max_name_bytes must be positive")
	}
	if p.MaxMetadataBytes == 0 {
		return errorsmod.Wrapf(ErrInvalidParams, "max_metadata_bytes must be positive")
	}
	return nil
}
