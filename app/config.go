package app

import (
	sdk "github.com/cosmos/cosmos-sdk/types"
)

const (
	// AppName is the name of the chain binary and application.
	AppName = "w3bd"
	// BondDenom is the native denom: 1 W3B = 10^6 uw3b.
	BondDenom = "uw3b"
	// Bech32Prefix is the account address prefix.
	Bech32Prefix = "w3b"
)

func init() {
	// The SDK's defaults (genesis of staking, mint, gov; testnet tooling) read
	// this global, so it is set before any of them run.
	sdk.DefaultBondDenom = BondDenom
}

// SetAddressPrefixes sets the bech32 prefixes on the SDK's global config. The
// binary calls it once at start; tests call it before building addresses.
func SetAddressPrefixes() {
	cfg := sdk.GetConfig()
	cfg.SetBech32PrefixForAccount(Bech32Prefix, Bech32Prefix+sdk.PrefixPublic)
	cfg.SetBech32PrefixForValidator(Bech32Prefix+sdk.PrefixValidator+sdk.PrefixOperator, Bech32Prefix+sdk.PrefixValidator+sdk.PrefixOperator+sdk.PrefixPublic)
	cfg.SetBech32PrefixForConsensusNode(Bech32Prefix+sdk.PrefixValidator+sdk.PrefixConsensus, Bech32Prefix+sdk.PrefixValidator+sdk.PrefixConsensus+sdk.PrefixPublic)
}
