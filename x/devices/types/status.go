package types

import errorsmod "cosmossdk.io/errors"

// Device statuses. Revoked is final.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusRevoked   = "revoked"
)

// ValidateStatus accepts exactly the three status names.
func ValidateStatus(s string) error {
	switch s {
	case StatusActive, StatusSuspended, StatusRevoked:
		return nil
	}
	return errorsmod.Wrapf(ErrInvalidStatus, "%q, want active, suspended or revoked", s)
}
