package types

import "cosmossdk.io/errors"

// Errors of the devices module. Codes are stable: clients match on them.
var (
	ErrProjectNotFound  = errors.Register(ModuleName, 2, "project not found")
	ErrNotProjectOwner  = errors.Register(ModuleName, 3, "sender is not the project owner")
	ErrInvalidName      = errors.Register(ModuleName, 4, "invalid project name")
	ErrMetadataTooLarge = errors.Register(ModuleName, 5, "project metadata too large")
	ErrInvalidAlgo      = errors.Register(ModuleName, 6, "invalid key algorithm")
	ErrInvalidPubKey    = errors.Register(ModuleName, 7, "invalid device public key")
	ErrDeviceExists     = errors.Register(ModuleName, 8, "device key already registered")
	ErrDeviceNotFound   = errors.Register(ModuleName, 9, "device not found")
	ErrInvalidStatus    = errors.Register(ModuleName, 10, "invalid device status")
	ErrDeviceRevoked    = errors.Register(ModuleName, 11, "device is revoked; revocation is final")
	ErrInvalidDeviceID  = errors.Register(ModuleName, 12, "invalid device id")
	ErrInvalidDID       = errors.Register(ModuleName, 13, "invalid DID")
	ErrInvalidSigner    = errors.Register(ModuleName, 14, "invalid signer address")
	ErrInvalidGenesis   = errors.Register(ModuleName, 15, "invalid devices genesis")
	ErrInvalidParams    = errors.Register(ModuleName, 16, "invalid devices params")
)

// Rejections of a device's signed claim (see Keeper.Admit).
var (
	ErrWrongProject     = errors.Register(ModuleName, 20, "device belongs to another project")
	ErrDeviceSuspended  = errors.Register(ModuleName, 21, "device is suspended")
	ErrInvalidSignature = errors.Register(ModuleName, 22, "signature does not verify")
	ErrStaleSeq         = errors.Register(ModuleName, 23, "sequence number not greater than the last accepted")
	ErrOutOfOrder       = errors.Register(ModuleName, 24, "envelope must follow a seq that is not the last accepted; resubmit it after that one is judged")
)
