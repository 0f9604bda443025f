package types

import "cosmossdk.io/errors"

// Errors of the applets module. Codes are stable: clients match on them.
var (
	ErrInvalidWasm      = errors.Register(ModuleName, 2, "invalid wasm module")
	ErrCodeTooLarge     = errors.Register(ModuleName, 3, "wasm module too large")
	ErrUploadNotAllowed = errors.Register(ModuleName, 4, "sender may not upload code")
	ErrCodeNotFound     = errors.Register(ModuleName, 5, "code not found")
	ErrInstanceNotFound = errors.Register(ModuleName, 6, "instance not found")
	ErrNotInstanceOwner = errors.Register(ModuleName, 7, "sender is not the instance owner")
	ErrInvalidStreams   = errors.Register(ModuleName, 8, "invalid stream subscription")
	ErrInvalidGas       = errors.Register(ModuleName, 9, "invalid gas per event")
	ErrInvalidDeposit   = errors.Register(ModuleName, 10, "invalid deposit")
	ErrInvalidUpdate    = errors.Register(ModuleName, 11, "invalid instance update")
	ErrInvalidSigner    = errors.Register(ModuleName, 12, "invalid signer address")
	ErrInvalidParams    = errors.Register(ModuleName, 13, "invalid applets params")
	ErrInvalidGenesis   = errors.Register(ModuleName, 14, "invalid applets genesis")
	ErrConfigTooLarge   = errors.Register(ModuleName, 15, "instance config too large")
)
