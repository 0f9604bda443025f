package devicekey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
)

func curveOrder(algo Algo) *big.Int {
	switch algo {
	case P256:
		return new(big.Int).SetBytes(p256N[:])
	case Secp256k1:
		return new(big.Int).SetBytes(secp256k1N[:])
	}
	panic("not ECDSA")
}

func scalar32(v *big.Int) []byte { return v.FillBytes(make([]byte, 32)) }

func rawSig(r, s *big.Int) []byte { return append(scalar32(r), scalar32(s)...) }

func derSig(t testing.TB, r, s *big.Int) []byte {
	b, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestECDSASignatureForms(t *testing.T) {
	msg := []byte("sensor 42: 17.3 kPa")
	for _, algo := range []Algo{P256, Secp256k1} {
		t.Run(string(algo), func(t *testing.T) {
			k := mustKey(t, algo, 11)
			pub := mustParse(t, algo, k.PublicKey())
			sig := mustSign(t, k, msg)
			n := curveOrder(algo)
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])

			// DER form of the same signature verifies.
			der := derSig(t, r, s)
			if err := pub.Verify(msg, der); err != nil {
				t.Fatalf("DER form: %v", err)
			}
			// High s (n - s) is accepted: no malleability rule.
			highS := new(big.Int).Sub(n, s)
			if err := pub.Verify(msg, rawSig(r, highS)); err != nil {
				t.Fatalf("high-s raw: %v", err)
			}
			if err := pub.Verify(msg, derSig(t, r, highS)); err != nil {
				t.Fatalf("high-s DER: %v", err)
			}
			// Our DER re-encoder agrees with encoding/asn1 for both s values.
			for _, sv := range []*big.Int{s, highS} {
				var rb, sb [32]byte
				copy(rb[:], scalar32(r))
				copy(sb[:], scalar32(sv))
				if got := appendDERSignature(nil, &rb, &sb); !bytes.Equal(got, derSig(t, r, sv)) {
					t.Fatalf("appendDERSignature = %x, want %x", got, derSig(t, r, sv))
				}
			}

			zero, one := big.NewInt(0), big.NewInt(1)
			nPlus1 := new(big.Int).Add(n, one)
			max := new(big.Int).SetBytes(bytes.Repeat([]byte{0xff}, 32))
			for _, c := range []struct {
				name string
				sig  []byte
				msg  string
			}{
				{"r=0", rawSig(zero, s), "r is zero"},
				{"s=0", rawSig(r, zero), "s is zero"},
				{"r=n", rawSig(n, s), "r is not below the curve order"},
				{"s=n", rawSig(r, n), "s is not below the curve order"},
				{"r=n+1", rawSig(nPlus1, s), "r is not below the curve order"},
				{"s=2^256-1", rawSig(r, max), "s is not below the curve order"},
				{"DER r=0", derSig(t, zero, s), "r is zero"},
				{"DER s=n", derSig(t, r, n), "s is not below the curve order"},
				{"DER s=2^256-1", derSig(t, r, max), "s is not below the curve order"},
				{"DER 33-byte r", derSig(t, new(big.Int).Lsh(one, 256), s), "larger than a 256-bit scalar"},
				{"DER negative r", derSig(t, big.NewInt(-5), s), "r is negative"},
				{"63 bytes", sig[:63], "63 bytes, want 64 (r||s) or ASN.1 DER"},
				{"65 bytes", append(bytes.Clone(sig), 0), "65 bytes, want 64"},
				{"empty", nil, "0 bytes"},
				{"truncated DER", der[:len(der)-1], "truncated"},
				{"DER header only", der[:2], "truncated"},
				{"DER trailing byte", append(bytes.Clone(der), 0), "trailing data"},
				{"DER long-form length", append([]byte{0x30, 0x81, byte(len(der) - 2)}, der[2:]...), "short-form"},
				{"DER non-minimal r", nonMinimalDER(der), "non-minimal"},
				{"DER wrong inner tag", withByte(der, 2, 0x03), "want INTEGER tag"},
				{"DER SEQUENCE of one INTEGER", derOne(t, r), "truncated before INTEGER s"},
			} {
				err := pub.Verify(msg, c.sig)
				wantErrContains(t, err, ErrInvalidSignatureEncoding, c.msg, c.name)
				if !strings.Contains(err.Error(), string(algo)) {
					t.Fatalf("%s: error %q does not name the algo", c.name, err)
				}
			}

			for _, c := range []struct {
				name string
				msg  []byte
				sig  []byte
			}{
				{"flipped bit in s", msg, withByte(sig, 63, sig[63]^0x01)},
				{"flipped bit in r", msg, withByte(sig, 31, sig[31]^0x80)},
				{"flipped bit in DER s", msg, withByte(der, len(der)-1, der[len(der)-1]^0x01)},
				{"wrong message", []byte("sensor 42: 17.4 kPa"), sig},
				{"empty message", nil, sig},
				{"other key", msg, mustSign(t, mustKey(t, algo, 12), msg)},
				{"swapped r and s", msg, append(bytes.Clone(sig[32:]), sig[:32]...)},
			} {
				wantErrIs(t, pub.Verify(c.msg, c.sig), ErrSignatureMismatch, c.name)
			}
		})
	}
}

// nonMinimalDER prepends a redundant 0x00 to r's content. Whether or not r
// already carried its sign pad, the result is no longer minimal.
func nonMinimalDER(der []byte) []byte {
	rl := int(der[3])
	out := []byte{0x30, der[1] + 1, 0x02, byte(rl + 1), 0x00}
	return append(out, der[4:]...)
}

func derOne(t *testing.T, r *big.Int) []byte {
	b, err := asn1.Marshal(struct{ R *big.Int }{r})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func withByte(b []byte, i int, v byte) []byte {
	c := bytes.Clone(b)
	c[i] = v
	return c
}

// The P-256 path must agree with crypto/ecdsa on arbitrary signatures made
// by the standard library (random nonces, both s halves).
func TestP256AgreesWithStdlib(t *testing.T) {
	k := mustKey(t, P256, 21)
	pub := mustParse(t, P256, k.PublicKey())
	for i := 0; i < 50; i++ {
		msg := []byte{byte(i), 1, 2, 3}
		h := sha256.Sum256(msg)
		der, err := ecdsa.SignASN1(nil, k.p256, h[:])
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Verify(msg, der); err != nil {
			t.Fatalf("stdlib DER signature %x: %v", der, err)
		}
	}
}

func TestEd25519SignatureRejects(t *testing.T) {
	k := mustKey(t, Ed25519, 2)
	pub := mustParse(t, Ed25519, k.PublicKey())
	msg := []byte("hello")
	sig := mustSign(t, k, msg)
	if err := pub.Verify(msg, sig); err != nil {
		t.Fatal(err)
	}
	// S + L verifies under a lax verifier; RFC 8032 requires rejecting it.
	sPlusL := addLE(sig[32:], mustHex(t, "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"))
	for _, c := range []struct {
		name string
		sig  []byte
		msg  string
	}{
		{"63 bytes", sig[:63], "63 bytes, want 64"},
		{"65 bytes", append(bytes.Clone(sig), 0), "65 bytes, want 64"},
		{"DER-looking", append([]byte{0x30, 0x44}, sig[:66-2]...), "66 bytes"},
		{"S >= L", append(bytes.Clone(sig[:32]), sPlusL...), "S is not below the group order"},
	} {
		wantErrContains(t, pub.Verify(msg, c.sig), ErrInvalidSignatureEncoding, c.msg, c.name)
	}
	for _, c := range []struct {
		name string
		msg  []byte
		sig  []byte
	}{
		{"flipped bit in R", msg, withByte(sig, 0, sig[0]^1)},
		{"flipped bit in S", msg, withByte(sig, 40, sig[40]^1)},
		{"wrong message", []byte("hellO"), sig},
		{"other key", msg, mustSign(t, mustKey(t, Ed25519, 3), msg)},
	} {
		wantErrIs(t, pub.Verify(c.msg, c.sig), ErrSignatureMismatch, c.name)
	}
}

// addLE adds two 32-byte little-endian numbers (mod 2^256).
func addLE(a, b []byte) []byte {
	out := make([]byte, 32)
	carry := 0
	for i := 0; i < 32; i++ {
		v := int(a[i]) + int(b[i]) + carry
		out[i] = byte(v)
		carry = v >> 8
	}
	return out
}
