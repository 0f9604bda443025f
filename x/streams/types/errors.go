package types

import "cosmossdk.io/errors"

// Errors of the streams module. Codes are stable: clients match on them.
var (
	ErrStreamNotFound    = errors.Register(ModuleName, 2, "stream not found")
	ErrInvalidName       = errors.Register(ModuleName, 3, "invalid stream name")
	ErrNoEnvelopes       = errors.Register(ModuleName, 4, "no envelopes to publish")
	ErrTooManyEnvelopes  = errors.Register(ModuleName, 5, "too many envelopes in one message")
	ErrMalformedEnvelope = errors.Register(ModuleName, 6, "malformed envelope")
	ErrPayloadTooLarge   = errors.Register(ModuleName, 7, "payload too large")
	ErrFutureTimestamp   = errors.Register(ModuleName, 8, "timestamp too far ahead of block time")
	ErrRecordNotFound    = errors.Register(ModuleName, 9, "record not found")
	ErrInvalidSigner     = errors.Register(ModuleName, 10, "invalid signer address")
	ErrInvalidGenesis    = errors.Register(ModuleName, 11, "invalid streams genesis")
	ErrInvalidParams     = errors.Register(ModuleName, 12, "invalid streams params")
	ErrNotDeviceStream   = errors.Register(ModuleName, 13, "stream takes no device envelopes")
	ErrAfterSeqsLength   = errors.Register(ModuleName, 14, "after_seqs must be empty or have one entry per envelope")
)
