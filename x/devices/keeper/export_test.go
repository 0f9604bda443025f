package keeper

import "github.com/w3bd/w3bd/x/devices/devicekey"

// TakeVerified reports whether Preverify found sig over msg by key valid,
// and forgets it (as Admit does).
func (k Keeper) TakeVerified(key devicekey.PublicKey, msg, sig []byte) bool {
	return k.sigs.take(sigKey(string(key.Algo()), key.Bytes(), msg, sig))
}

// MarkVerified puts a signature in the cache without verifying it.
func (k Keeper) MarkVerified(key devicekey.PublicKey, msg, sig []byte) {
	k.sigs.add(sigKey(string(key.Algo()), key.Bytes(), msg, sig))
}
