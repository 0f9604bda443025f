package devicekey

import (
	"crypto/ed25519"
	"crypto/sha512"
	"errors"
	"fmt"
	"testing"

	"filippo.io/edwards25519"
)

type batchCase struct {
	name     string
	key      PublicKey
	msg, sig []byte
}

// batchCases mixes valid and invalid signatures of every algorithm.
func batchCases(t *testing.T) []batchCase {
	var cases []batchCase
	for a, algo := range []Algo{Ed25519, P256, Secp256k1, Ed25519} {
		for i := range 6 {
			k := mustKey(t, algo, byte(16*a+i+1))
			pub := mustParse(t, algo, k.PublicKey())
			msg := fmt.Appendf(nil, "reading %d of %s", i, algo)
			sig := mustSign(t, k, msg)
			cases = append(cases, batchCase{fmt.Sprintf("%s-%d valid", algo, i), pub, msg, sig})
			switch i {
			case 1: // another message
				cases = append(cases, batchCase{fmt.Sprintf("%s-%d wrong message", algo, i), pub, []byte("forged"), sig})
			case 2: // a flipped bit in the signature
				bad := append([]byte(nil), sig...)
				bad[5] ^= 1
				cases = append(cases, batchCase{fmt.Sprintf("%s-%d flipped bit", algo, i), pub, msg, bad})
			case 3: // truncated
				cases = append(cases, batchCase{fmt.Sprintf("%s-%d truncated", algo, i), pub, msg, sig[:63]})
			case 4: // another device's key
				other := mustParse(t, algo, mustKey(t, algo, byte(200+a)).PublicKey())
				cases = append(cases, batchCase{fmt.Sprintf("%s-%d other key", algo, i), other, msg, sig})
			}
		}
	}
	// S >= L: an encoding error, not a mismatch.
	k := mustKey(t, Ed25519, 99)
	sig := mustSign(t, k, []byte("m"))
	big := append(append([]byte(nil), sig[:32]...), mustHex(t, "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")...)
	cases = append(cases, batchCase{"ed25519 S = L", mustParse(t, Ed25519, k.PublicKey()), []byte("m"), big})
	return cases
}

func verdictClass(err error) string {
	switch {
	case err == nil:
		return "valid"
	case errors.Is(err, ErrInvalidSignatureEncoding):
		return "encoding"
	case errors.Is(err, ErrSignatureMismatch):
		return "mismatch"
	}
	return "other: " + err.Error()
}

// TestBatchAgreesWithVerify: whatever is mixed into a batch, each verdict is
// the one Verify gives for that signature alone.
func TestBatchAgreesWithVerify(t *testing.T) {
	cases := batchCases(t)
	for _, size := range []int{1, 2, 3, len(cases) / 2, len(cases)} {
		for start := 0; start+size <= len(cases); start += max(1, size/2) {
			b := NewBatch(size)
			for _, c := range cases[start : start+size] {
				b.Add(c.key, c.msg, c.sig)
			}
			got := b.Verify()
			if len(got) != size {
				t.Fatalf("batch of %d: %d verdicts", size, len(got))
			}
			for j, c := range cases[start : start+size] {
				want := verdictClass(c.key.Verify(c.msg, c.sig))
				if g := verdictClass(got[j]); g != want {
					t.Fatalf("batch of %d at %d, %s: batch says %s, Verify says %s", size, start, c.name, g, want)
				}
			}
		}
	}
	// The fixture must exercise both outcomes, or the comparison proves little.
	var valid, invalid int
	for _, c := range cases {
		if c.key.Verify(c.msg, c.sig) == nil {
			valid++
		} else {
			invalid++
		}
	}
	if valid < 20 || invalid < 15 {
		t.Fatalf("fixture has %d valid and %d invalid signatures", valid, invalid)
	}
}

func TestBatchAllValidEd25519(t *testing.T) {
	b := NewBatch(64)
	for i := range 64 {
		k := mustKey(t, Ed25519, byte(i))
		msg := []byte{byte(i)}
		b.Add(mustParse(t, Ed25519, k.PublicKey()), msg, mustSign(t, k, msg))
	}
	for i, err := range b.Verify() {
		if err != nil {
			t.Fatalf("signature %d: %v", i, err)
		}
	}
}

// TestEd25519CofactoredRule pins the verification equation: a signature
// whose R carries a small-order component (only its key holder can make
// one) verifies one by one and in a batch alike. crypto/ed25519's
// cofactorless equation would reject it; a batch cannot tell the two apart,
// so the chain uses the cofactored rule everywhere.
func TestEd25519CofactoredRule(t *testing.T) {
	k := mustKey(t, Ed25519, 7)
	h := sha512.Sum512(k.ed.Seed())
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("torsion")
	rh := sha512.Sum512(append(append([]byte(nil), h[32:]...), msg...))
	r, err := new(edwards25519.Scalar).SetUniformBytes(rh[:])
	if err != nil {
		t.Fatal(err)
	}
	// T = (0, -1), the point of order 2.
	torsion, err := new(edwards25519.Point).SetBytes(mustHex(t, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"))
	if err != nil {
		t.Fatal(err)
	}
	R := new(edwards25519.Point).Add(new(edwards25519.Point).ScalarBaseMult(r), torsion)
	pub := k.PublicKey()
	kh := sha512.New()
	kh.Write(R.Bytes())
	kh.Write(pub)
	kh.Write(msg)
	kc, err := new(edwards25519.Scalar).SetUniformBytes(kh.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	S := new(edwards25519.Scalar).MultiplyAdd(kc, a, r)
	sig := append(R.Bytes(), S.Bytes()...)

	if ed25519.Verify(pub, msg, sig) {
		t.Fatal("crypto/ed25519 accepts the signature: R has no small-order component")
	}
	key := mustParse(t, Ed25519, pub)
	if err := key.Verify(msg, sig); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	b := NewBatch(2)
	b.Add(key, msg, sig)
	b.Add(key, []byte("m"), mustSign(t, k, []byte("m")))
	for i, err := range b.Verify() {
		if err != nil {
			t.Fatalf("batch entry %d: %v", i, err)
		}
	}
	// The same signature without the torsion component is the honest one.
	honest := mustSign(t, k, msg)
	if err := key.Verify(msg, honest); err != nil {
		t.Fatalf("honest signature: %v", err)
	}
}

func BenchmarkEd25519Verify(b *testing.B) {
	keys, msgs, sigs := ed25519Fixture(b, 256)
	b.Run("one-by-one", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			j := i % len(keys)
			if err := keys[j].Verify(msgs[j], sigs[j]); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, n := range []int{2, 4, 8, 16, 64, 256} {
		b.Run(fmt.Sprintf("batch-%d", n), func(b *testing.B) {
			for b.Loop() {
				batch := NewBatch(n)
				for j := range n {
					batch.Add(keys[j], msgs[j], sigs[j])
				}
				for _, err := range batch.Verify() {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/sig")
		})
	}
}

func ed25519Fixture(b *testing.B, n int) ([]PublicKey, [][]byte, [][]byte) {
	keys := make([]PublicKey, n)
	msgs := make([][]byte, n)
	sigs := make([][]byte, n)
	for i := range n {
		k := mustKey(b, Ed25519, byte(i))
		keys[i] = mustParse(b, Ed25519, k.PublicKey())
		msgs[i] = fmt.Appendf(nil, "reading %d", i)
		sigs[i] = mustSign(b, k, msgs[i])
	}
	return keys, msgs, sigs
}
