package devicekey

import (
	"encoding/hex"

	"errors"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	"strings"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func wantErrIs(t testing.TB, err, target error, context string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got nil error, want %v", context, target)
	}
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %q, want errors.Is(%v)", context, err, target)
	}
}

func wantErrContains(t testing.TB, err error, target error, substr, context string) {
	t.Helper()
	wantErrIs(t, err, target, context)
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("%s: error %q does not mention %q", context, err, substr)
	}
}

// seqReader is a deterministic, non-cryptographic byte stream so that
// generated test keys are reproducible.
type seqReader struct{ b byte }

func (r *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		r.b = r.b*167 + 13
		p[i] = r.b
	}
	return len(p), nil
}

func mustKey(t testing.TB, algo Algo, seed byte) *PrivateKey {
	t.Helper()
	k, err := GenerateKey(algo, &seqReader{b: seed})
	if err != nil {
		t.Fatalf("GenerateKey(%s): %v", algo, err)
	}
	return k
}

func mustSign(t testing.TB, k *PrivateKey, msg []byte) []byte {
	t.Helper()
	sig, err := k.Sign(msg)
	if err != nil {
		t.Fatalf("Sign(%s): %v", k.Algo(), err)
	}
	return sig
}

func mustParse(t testing.TB, algo Algo, pub []byte) PublicKey {
	t.Helper()
	k, err := ParsePublicKey(algo, pub)
	if err != nil {
		t.Fatalf("ParsePublicKey(%s, %x): %v", algo, pub, err)
	}
	return k
}

func hexStr(b []byte) string { return hex.EncodeToString(b) }

func encodeBech32(hrp string, b []byte) (string, error) {
	return bech32.ConvertAndEncode(hrp, b)
}
