package devicekey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"fmt"

	"filippo.io/edwards25519"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	voied25519 "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Encoded sizes. EC keys are stored compressed: it halves state size and
// gives every key a single canonical encoding to hash into its DeviceID.
const (
	CompressedECKeySize   = 33
	UncompressedECKeySize = 65
	Ed25519KeySize        = ed25519.PublicKeySize
	// SignatureSize is the fixed wire size of r||s (ECDSA) and of Ed25519
	// signatures, which is what Sign emits.
	SignatureSize = 64
)

// PublicKey is a parsed, validated device key. Parsing is separated from
// verification because parsing (point validation, decompression: a field
// square root) costs roughly a tenth of a verification; the chain parses once
// per device and caches the result.
//
// Implementations are immutable and safe for concurrent use.
type PublicKey interface {
	Algo() Algo
	// Bytes returns the normalized (compressed for EC) encoding; a fresh copy.
	Bytes() []byte
	// Verify checks sig over signBytes. It returns nil, or an error matching
	// ErrInvalidSignatureEncoding or ErrSignatureMismatch.
	Verify(signBytes, sig []byte) error
}

// NormalizePublicKey validates pub and returns its canonical encoding, the
// only form that should be stored or hashed into a DeviceID. Validation is
// full (on-curve, not the identity) because a key registered on chain is
// trusted for the device's whole life; rejecting garbage at registration is
// far cheaper than failing every later verification.
func NormalizePublicKey(algo Algo, pub []byte) ([]byte, error) {
	k, err := ParsePublicKey(algo, pub)
	if err != nil {
		return nil, err
	}
	return k.Bytes(), nil
}

// ParsePublicKey accepts the same encodings as NormalizePublicKey (so callers
// need not normalize first) and returns a verifier to cache.
func ParsePublicKey(algo Algo, pub []byte) (PublicKey, error) {
	switch algo {
	case P256:
		return parseP256(pub)
	case Secp256k1:
		return parseSecp256k1(pub)
	case Ed25519:
		return parseEd25519(pub)
	}
	return nil, unsupported(algo)
}

// VerifySignature is the one-shot form for callers that do not cache keys.
func VerifySignature(algo Algo, pub, signBytes, sig []byte) error {
	k, err := ParsePublicKey(algo, pub)
	if err != nil {
		return err
	}
	return k.Verify(signBytes, sig)
}

func ecLenError(a Algo, n int) error {
	return keyErr(a, fmt.Sprintf("%d bytes, want 33 (compressed) or 65 (uncompressed)", n))
}

func ecPrefixError(a Algo, pub []byte) error {
	if len(pub) == CompressedECKeySize {
		return keyErr(a, fmt.Sprintf("compressed key has prefix 0x%02x, want 0x02 or 0x03", pub[0]))
	}
	return keyErr(a, fmt.Sprintf("uncompressed key has prefix 0x%02x, want 0x04", pub[0]))
}

// ---------------------------------------------------------------- P-256 ---

// p256P is the P-256 field prime; coordinates must be below it.
var p256P = mustHex32("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff")

// p256N is the P-256 group order; r and s must be below it.
var p256N = mustHex32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")

type p256Key struct {
	pub        *ecdsa.PublicKey
	compressed [CompressedECKeySize]byte
	// uncompressed is kept for JWK export without redoing the square root.
	uncompressed [UncompressedECKeySize]byte
}

func parseP256(pub []byte) (*p256Key, error) {
	var unc []byte
	switch len(pub) {
	case CompressedECKeySize:
		if pub[0] != 2 && pub[0] != 3 {
			return nil, ecPrefixError(P256, pub)
		}
		if bytes.Compare(pub[1:], p256P[:]) >= 0 {
			return nil, keyErr(P256, "x coordinate is not below the field prime")
		}
		x, y := elliptic.UnmarshalCompressed(elliptic.P256(), pub)
		if x == nil {
			return nil, keyErr(P256, "point is not on the curve")
		}
		unc = make([]byte, UncompressedECKeySize)
		unc[0] = 4
		x.FillBytes(unc[1:33])
		y.FillBytes(unc[33:])
	case UncompressedECKeySize:
		if pub[0] != 4 {
			return nil, ecPrefixError(P256, pub)
		}
		if bytes.Compare(pub[1:33], p256P[:]) >= 0 || bytes.Compare(pub[33:], p256P[:]) >= 0 {
			return nil, keyErr(P256, "coordinate is not below the field prime")
		}
		unc = pub
	default:
		return nil, ecLenError(P256, len(pub))
	}
	// ParseUncompressedPublicKey performs the on-curve and infinity checks.
	k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), unc)
	if err != nil {
		return nil, keyErr(P256, "point is not on the curve")
	}
	out := &p256Key{pub: k}
	copy(out.uncompressed[:], unc)
	out.compressed[0] = 2 | unc[64]&1
	copy(out.compressed[1:], unc[1:33])
	return out, nil
}

func (k *p256Key) Algo() Algo    { return P256 }
func (k *p256Key) Bytes() []byte { return bytes.Clone(k.compressed[:]) }

func (k *p256Key) Verify(signBytes, sig []byte) error {
	r, s, err := decodeECDSASignature(P256, sig, &p256N)
	if err != nil {
		return err
	}
	h := sha256.Sum256(signBytes)
	// crypto/ecdsa only takes DER (its big.Int API re-encodes to DER anyway),
	// so re-encode the validated scalars canonically: this also guarantees
	// that what we range-checked is exactly what gets verified.
	var buf [maxDERSignatureSize]byte
	if !ecdsa.VerifyASN1(k.pub, h[:], appendDERSignature(buf[:0], &r, &s)) {
		return fmt.Errorf("%w: p256 signature does not verify for this key and message", ErrSignatureMismatch)
	}
	return nil
}

// ------------------------------------------------------------ secp256k1 ---

var secp256k1N = mustHex32("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
var secp256k1P = mustHex32("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f")

type secp256k1Key struct {
	pub        *secp256k1.PublicKey
	compressed [CompressedECKeySize]byte
}

func parseSecp256k1(pub []byte) (*secp256k1Key, error) {
	switch len(pub) {
	case CompressedECKeySize:
		if pub[0] != 2 && pub[0] != 3 {
			return nil, ecPrefixError(Secp256k1, pub)
		}
		if bytes.Compare(pub[1:], secp256k1P[:]) >= 0 {
			return nil, keyErr(Secp256k1, "x coordinate is not below the field prime")
		}
	case UncompressedECKeySize:
		// dcrd also accepts the "hybrid" 0x06/0x07 prefixes; we do not, so
		// that a key has exactly the two encodings every other tool knows.
		if pub[0] != 4 {
			return nil, ecPrefixError(Secp256k1, pub)
		}
		if bytes.Compare(pub[1:33], secp256k1P[:]) >= 0 || bytes.Compare(pub[33:], secp256k1P[:]) >= 0 {
			return nil, keyErr(Secp256k1, "coordinate is not below the field prime")
		}
	default:
		return nil, ecLenError(Secp256k1, len(pub))
	}
	// Remaining failures are all "no such point": off-curve (uncompressed)
	// or x with no matching y (compressed).
	k, err := secp256k1.ParsePubKey(pub)
	if err != nil {
		return nil, keyErr(Secp256k1, "point is not on the curve")
	}
	out := &secp256k1Key{pub: k}
	copy(out.compressed[:], k.SerializeCompressed())
	return out, nil
}

func (k *secp256k1Key) Algo() Algo    { return Secp256k1 }
func (k *secp256k1Key) Bytes() []byte { return bytes.Clone(k.compressed[:]) }

func (k *secp256k1Key) Verify(signBytes, sig []byte) error {
	rb, sb, err := decodeECDSASignature(Secp256k1, sig, &secp256k1N)
	if err != nil {
		return err
	}
	// Range already checked against n, so SetBytes cannot overflow here.
	var r, s secp256k1.ModNScalar
	r.SetBytes(&rb)
	s.SetBytes(&sb)
	h := sha256.Sum256(signBytes)
	// dcrd's Verify does not impose low-s, matching our "any valid s" rule
	// (devices' secure elements rarely normalize s).
	if !k1ecdsa.NewSignature(&r, &s).Verify(h[:], k.pub) {
		return fmt.Errorf("%w: secp256k1 signature does not verify for this key and message", ErrSignatureMismatch)
	}
	return nil
}

// -------------------------------------------------------------- Ed25519 ---

type ed25519Key struct {
	pub []byte
	// expanded is the decompressed point with its precomputed table
	// (~1.5 KiB): it halves the cost of each verification.
	expanded *voied25519.ExpandedPublicKey
}

// ed25519Options is how Ed25519 signatures are judged, one by one and in a
// batch alike: RFC 8032 / FIPS 186-5 with the cofactored equation, canonical
// encodings of R and A, S below the group order. The cofactored equation is
// the one a batch checks, so a batch and one-by-one verification accept
// exactly the same signatures (what consensus needs); crypto/ed25519's
// cofactorless equation differs from it only on signatures whose R carries a
// small-order component, which an honest signer never produces.
var ed25519Options = &voied25519.Options{Verify: voied25519.VerifyOptionsFIPS_186_5}

func parseEd25519(pub []byte) (*ed25519Key, error) {
	if len(pub) != Ed25519KeySize {
		return nil, keyErr(Ed25519, fmt.Sprintf("%d bytes, want %d", len(pub), Ed25519KeySize))
	}
	p, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return nil, keyErr(Ed25519, "not a valid curve point")
	}
	// SetBytes tolerates non-canonical encodings (y >= p); requiring the
	// canonical one keeps DeviceID a function of the key, not its spelling.
	if !bytes.Equal(p.Bytes(), pub) {
		return nil, keyErr(Ed25519, "non-canonical point encoding")
	}
	// A small-order key (identity included) admits signatures that verify for
	// many messages; no honest device has one.
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return nil, keyErr(Ed25519, "small-order point")
	}
	expanded, err := voied25519.NewExpandedPublicKey(voied25519.PublicKey(pub))
	if err != nil {
		return nil, keyErr(Ed25519, err.Error())
	}
	return &ed25519Key{pub: bytes.Clone(pub), expanded: expanded}, nil
}

func (k *ed25519Key) Algo() Algo    { return Ed25519 }
func (k *ed25519Key) Bytes() []byte { return bytes.Clone(k.pub) }

func (k *ed25519Key) Verify(signBytes, sig []byte) error {
	if err := checkEd25519Encoding(sig); err != nil {
		return err
	}
	if !voied25519.VerifyExpandedWithOptions(k.expanded, signBytes, sig, ed25519Options) {
		return errEd25519Mismatch
	}
	return nil
}

var errEd25519Mismatch = fmt.Errorf("%w: ed25519 signature does not verify for this key and message", ErrSignatureMismatch)

// checkEd25519Encoding tells a malformed signature apart from one that does
// not verify: S >= L is an encoding error (RFC 8032 5.1.7), worth its own
// reason code.
func checkEd25519Encoding(sig []byte) error {
	if len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: ed25519 signature: %d bytes, want %d", ErrInvalidSignatureEncoding, len(sig), ed25519.SignatureSize)
	}
	if _, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:]); err != nil {
		return fmt.Errorf("%w: ed25519 signature: S is not below the group order", ErrInvalidSignatureEncoding)
	}
	return nil
}
