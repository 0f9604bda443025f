package gateway

import (
	"testing"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
)

// TestHoldKey: the held key signs as the keyring would, and other names
// still reach the keyring.
func TestHoldKey(t *testing.T) {
	reg := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(reg)
	kr := keyring.NewInMemory(codec.NewProtoCodec(reg))
	for _, name := range []string{"gateway", "other"} {
		if _, _, err := kr.NewMnemonic(name, keyring.English, "", "", hd.Secp256k1); err != nil {
			t.Fatal(err)
		}
	}
	held := holdKey(kr, "gateway")
	if _, ok := held.(heldKey); !ok {
		t.Fatalf("a local key was not held: %T", held)
	}
	msg := []byte("sign bytes")
	for _, name := range []string{"gateway", "other"} {
		sig, pub, err := held.Sign(name, msg, signing.SignMode_SIGN_MODE_DIRECT)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := kr.Key(name)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := rec.GetPubKey()
		if !pub.Equals(want) || !want.VerifySignature(msg, sig) {
			t.Fatalf("%s: signature not by the keyring's key", name)
		}
		got, err := held.Key(name)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := mustAddr(t, got), mustAddr(t, rec); a != b {
			t.Fatalf("%s: Key gives %s, keyring %s", name, a, b)
		}
	}
	if _, err := held.Key("missing"); err == nil {
		t.Fatal("an unknown key was found")
	}
	if _, held := holdKey(kr, "missing").(heldKey); held {
		t.Fatal("a missing key should leave the keyring as it is")
	}
}

func mustAddr(t *testing.T, r *keyring.Record) string {
	t.Helper()
	a, err := r.GetAddress()
	if err != nil {
		t.Fatal(err)
	}
	return a.String()
}
