package devicekey

import (
	"bytes"
	"encoding/hex"
	"fmt"
)

// maxDERSignatureSize bounds a DER ECDSA signature over a 256-bit curve:
// SEQUENCE header (2) + 2 * (INTEGER header (2) + 0x00 pad (1) + 32).
const maxDERSignatureSize = 72

// decodeECDSASignature accepts the fixed 64-byte r||s form (what HSM/PKCS#11
// and WebCrypto produce) and strict ASN.1 DER (what OpenSSL, Java and most
// TPM stacks produce), and returns r and s as 32-byte big-endian scalars in
// [1, n-1].
//
// A 64-byte input is always read as r||s. A DER signature can only be exactly
// 64 bytes if r and s together have ~6 leading zero bytes (probability about
// 2^-48), so the ambiguity is not worth a second verification.
func decodeECDSASignature(a Algo, sig []byte, n *[32]byte) (r, s [32]byte, err error) {
	switch {
	case len(sig) == SignatureSize:
		copy(r[:], sig[:32])
		copy(s[:], sig[32:])
	case len(sig) > 0 && sig[0] == 0x30:
		if r, s, err = parseDERSignature(sig); err != nil {
			return r, s, fmt.Errorf("%w: %s DER signature: %v", ErrInvalidSignatureEncoding, a, err)
		}
	default:
		return r, s, fmt.Errorf("%w: %s signature: %d bytes, want 64 (r||s) or ASN.1 DER (SEQUENCE of two INTEGERs)",
			ErrInvalidSignatureEncoding, a, len(sig))
	}
	if err := checkScalar(&r, n); err != "" {
		return r, s, fmt.Errorf("%w: %s signature: r %s", ErrInvalidSignatureEncoding, a, err)
	}
	if err := checkScalar(&s, n); err != "" {
		return r, s, fmt.Errorf("%w: %s signature: s %s", ErrInvalidSignatureEncoding, a, err)
	}
	return r, s, nil
}

var zero32 [32]byte

func checkScalar(v, n *[32]byte) string {
	if *v == zero32 {
		return "is zero"
	}
	if bytes.Compare(v[:], n[:]) >= 0 {
		return "is not below the curve order"
	}
	return ""
}

// parseDERSignature is a strict DER parser (definite short-form lengths,
// minimal positive INTEGERs, no trailing data). Strictness costs nothing for
// real signers, which all emit DER, and avoids BER malleability.
func parseDERSignature(sig []byte) (r, s [32]byte, err error) {
	if len(sig) < 2 {
		return r, s, fmt.Errorf("truncated: %d bytes", len(sig))
	}
	if sig[0] != 0x30 {
		return r, s, fmt.Errorf("want SEQUENCE tag 0x30, got 0x%02x", sig[0])
	}
	if sig[1]&0x80 != 0 {
		return r, s, fmt.Errorf("sequence length 0x%02x is not a short-form DER length", sig[1])
	}
	body := sig[2:]
	if int(sig[1]) != len(body) {
		if int(sig[1]) > len(body) {
			return r, s, fmt.Errorf("truncated: sequence claims %d bytes, %d present", sig[1], len(body))
		}
		return r, s, fmt.Errorf("%d bytes of trailing data after sequence", len(body)-int(sig[1]))
	}
	body, err = readDERInteger(body, &r, "r")
	if err != nil {
		return r, s, err
	}
	body, err = readDERInteger(body, &s, "s")
	if err != nil {
		return r, s, err
	}
	if len(body) != 0 {
		return r, s, fmt.Errorf("%d bytes of trailing data inside sequence", len(body))
	}
	return r, s, nil
}

func readDERInteger(b []byte, out *[32]byte, name string) ([]byte, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("truncated before INTEGER %s", name)
	}
	if b[0] != 0x02 {
		return nil, fmt.Errorf("%s: want INTEGER tag 0x02, got 0x%02x", name, b[0])
	}
	l := int(b[1])
	if b[1]&0x80 != 0 {
		return nil, fmt.Errorf("%s: length 0x%02x is not a short-form DER length", name, b[1])
	}
	b = b[2:]
	if l == 0 {
		return nil, fmt.Errorf("%s: empty INTEGER", name)
	}
	if l > len(b) {
		return nil, fmt.Errorf("truncated: INTEGER %s claims %d bytes, %d present", name, l, len(b))
	}
	v := b[:l]
	if v[0]&0x80 != 0 {
		return nil, fmt.Errorf("%s is negative", name)
	}
	if l > 1 && v[0] == 0 && v[1]&0x80 == 0 {
		return nil, fmt.Errorf("%s: non-minimal INTEGER encoding", name)
	}
	if v[0] == 0 && l > 1 {
		v = v[1:]
	}
	if len(v) > 32 {
		return nil, fmt.Errorf("%s: %d bytes, larger than a 256-bit scalar", name, len(v))
	}
	*out = [32]byte{}
	copy(out[32-len(v):], v)
	return b[l:], nil
}

// appendDERSignature encodes r, s (both nonzero) minimally.
func appendDERSignature(dst []byte, r, s *[32]byte) []byte {
	rb, sb := minimalInt(r), minimalInt(s)
	rl, sl := len(rb), len(sb)
	if rb[0]&0x80 != 0 {
		rl++
	}
	if sb[0]&0x80 != 0 {
		sl++
	}
	dst = append(dst, 0x30, byte(4+rl+sl))
	dst = appendInt(dst, rb, rl)
	return appendInt(dst, sb, sl)
}

func minimalInt(v *[32]byte) []byte {
	i := 0
	for i < 31 && v[i] == 0 {
		i++
	}
	return v[i:]
}

func appendInt(dst, v []byte, l int) []byte {
	dst = append(dst, 0x02, byte(l))
	if l > len(v) {
		dst = append(dst, 0)
	}
	return append(dst, v...)
}

func mustHex32(s string) [32]byte {
	var out [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		panic("devicekey: bad constant " + s)
	}
	copy(out[:], b)
	return out
}
