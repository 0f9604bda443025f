package devicekey

import (
	"bytes"
	"errors"
	"testing"
)

func fuzzAlgo(i byte) Algo { return Algos[int(i)%len(Algos)] }

func seedKeys(f *testing.F) {
	msg := []byte("fuzz seed")
	for i, algo := range Algos {
		k := mustKey(f, algo, byte(i))
		sig := mustSign(f, k, msg)
		f.Add(byte(i), k.PublicKey(), sig, msg)
		if algo != Ed25519 {
			var r, s [32]byte
			copy(r[:], sig[:32])
			copy(s[:], sig[32:])
			f.Add(byte(i), k.PublicKey(), appendDERSignature(nil, &r, &s), msg)
		}
	}
	f.Add(byte(0), []byte{}, []byte{}, []byte{})
	f.Add(byte(1), bytes.Repeat([]byte{0xff}, 33), bytes.Repeat([]byte{0x30}, 72), []byte{0})
}

// FuzzVerify: arbitrary key/signature/message bytes never panic, and every
// failure is classified into exactly one of the documented sentinels.
func FuzzVerify(f *testing.F) {
	seedKeys(f)
	f.Fuzz(func(t *testing.T, ai byte, pub, sig, msg []byte) {
		algo := fuzzAlgo(ai)
		k, err := ParsePublicKey(algo, pub)
		if err != nil {
			if !errors.Is(err, ErrInvalidPublicKey) {
				t.Fatalf("ParsePublicKey error not ErrInvalidPublicKey: %v", err)
			}
			return
		}
		err = k.Verify(msg, sig)
		if err == nil {
			return
		}
		enc, mis := errors.Is(err, ErrInvalidSignatureEncoding), errors.Is(err, ErrSignatureMismatch)
		if enc == mis {
			t.Fatalf("Verify error must be exactly one sentinel: %v", err)
		}
	})
}

// FuzzNormalizePublicKey: accepted keys normalize idempotently to the
// canonical size, and parse/verify paths agree on what they accept.
func FuzzNormalizePublicKey(f *testing.F) {
	seedKeys(f)
	f.Fuzz(func(t *testing.T, ai byte, pub, _, _ []byte) {
		algo := fuzzAlgo(ai)
		norm, err := NormalizePublicKey(algo, pub)
		if err != nil {
			if !errors.Is(err, ErrInvalidPublicKey) {
				t.Fatalf("error not ErrInvalidPublicKey: %v", err)
			}
			return
		}
		want := CompressedECKeySize
		if algo == Ed25519 {
			want = Ed25519KeySize
		}
		if len(norm) != want {
			t.Fatalf("normalized to %d bytes", len(norm))
		}
		again, err := NormalizePublicKey(algo, norm)
		if err != nil || !bytes.Equal(again, norm) {
			t.Fatalf("not idempotent: %x -> %x (%v)", norm, again, err)
		}
		if len(pub) == CompressedECKeySize || algo == Ed25519 {
			if !bytes.Equal(norm, pub) {
				t.Fatalf("canonical input %x changed to %x", pub, norm)
			}
		} else if !bytes.Equal(norm[1:], pub[1:33]) {
			t.Fatalf("compressed x differs from uncompressed x")
		}
		if _, err := JWK(algo, pub); err != nil {
			t.Fatalf("JWK rejects a key Normalize accepts: %v", err)
		}
		id := DeviceID(algo, norm)
		if raw, err := ParseDeviceID(id); err != nil || !bytes.Equal(raw, DeviceIDBytes(algo, norm)) {
			t.Fatalf("DeviceID round trip: %v", err)
		}
	})
}

// FuzzDERSignature: the strict parser only accepts canonical DER, i.e. any
// accepted input re-encodes to itself (no BER malleability).
func FuzzDERSignature(f *testing.F) {
	k := mustKey(f, P256, 1)
	sig := mustSign(f, k, nil)
	var r, s [32]byte
	copy(r[:], sig[:32])
	copy(s[:], sig[32:])
	f.Add(appendDERSignature(nil, &r, &s))
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Add([]byte{0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, der []byte) {
		r, s, err := parseDERSignature(der)
		if err != nil || r == zero32 || s == zero32 {
			return
		}
		if got := appendDERSignature(nil, &r, &s); !bytes.Equal(got, der) {
			t.Fatalf("accepted non-canonical DER %x (canonical %x)", der, got)
		}
	})
}
