package gateway

import (
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
)

// heldKey is a keyring that keeps one local key in memory: the file and test
// backends read and decode the key file for each Key and Sign, ~4 ms per
// transaction that the gateway signs several times a second. Other names,
// and keys not held locally (Ledger, offline), go to the keyring.
type heldKey struct {
	keyring.Keyring
	name   string
	record *keyring.Record
	priv   cryptotypes.PrivKey
}

// holdKey returns kr with name's private key held, or kr itself when the
// key is not a local one.
func holdKey(kr keyring.Keyring, name string) keyring.Keyring {
	rec, err := kr.Key(name)
	if err != nil || rec.GetLocal() == nil || rec.GetLocal().PrivKey == nil {
		return kr
	}
	priv, ok := rec.GetLocal().PrivKey.GetCachedValue().(cryptotypes.PrivKey)
	if !ok {
		return kr
	}
	return heldKey{Keyring: kr, name: name, record: rec, priv: priv}
}

func (k heldKey) Key(uid string) (*keyring.Record, error) {
	if uid != k.name {
		return k.Keyring.Key(uid)
	}
	return k.record, nil
}

func (k heldKey) Sign(uid string, msg []byte, mode signing.SignMode) ([]byte, cryptotypes.PubKey, error) {
	if uid != k.name {
		return k.Keyring.Sign(uid, msg, mode)
	}
	sig, err := k.priv.Sign(msg)
	return sig, k.priv.PubKey(), err
}
