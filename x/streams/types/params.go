package types

import (
	errorsmod "cosmossdk.io/errors"
	"time"

	"github.com/w3bd/w3bd/x/devices/devicekey"
)

// DefaultParams are the parameters of a new chain. Verify gas is about the
// SDK's own price for a secp256k1 transaction signature (1000), scaled by
// each algorithm's measured cost.
func DefaultParams() Params {
	return Params{
		MaxPayloadBytes:    4096,
		MaxClockSkew:       60 * time.Second,
		MaxEnvelopesPerMsg: 2000,
		VerifyGasP256:      1000,
		VerifyGasSecp256K1: 1000,
		VerifyGasEd25519:   600,
		GasPerPayloadByte:  10,
	}
}

// Validate checks the parameters are usable.
func (p Params) Validate() error {
	switch {
	case p.MaxPayloadBytes == 0:
		return errorsmod.Wrapf(ErrInvalidParams, "max_payload_bytes must be positive")
	case p.MaxClockSkew < 0:
		return errorsmod.Wrapf(ErrInvalidParams, "max_clock_skew must not be negative")
	case p.MaxEnvelopesPerMsg == 0:
		return errorsmod.Wrapf(ErrInvalidParams, "max_envelopes_per_msg must be positive")
	}
	return nil
}

// VerifyGas prices one signature check by algorithm.
func (p Params) VerifyGas(algo string) uint64 {
	switch devicekey.Algo(algo) {
	case devicekey.P256:
		return p.VerifyGasP256
	case devicekey.Secp256k1:
		return p.VerifyGasSecp256K1
	case devicekey.Ed25519:
		return p.VerifyGasEd25519
	}
	return p.VerifyGasP256
}
