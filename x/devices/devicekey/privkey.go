package devicekey

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// PrivateKey is a device signing key for tooling and tests. Production
// devices keep keys in hardware; this type exists so `w3bd device keygen/sign`
// and simulators produce exactly what the chain verifies.
type PrivateKey struct {
	algo Algo
	p256 *ecdsa.PrivateKey
	k1   *secp256k1.PrivateKey
	ed   ed25519.PrivateKey
	pub  []byte // normalized
}

// Algo returns the key's algorithm.
func (k *PrivateKey) Algo() Algo { return k.algo }

// PublicKey returns the normalized public key (what gets registered on chain).
func (k *PrivateKey) PublicKey() []byte { return bytes.Clone(k.pub) }

// GenerateKey draws the key from rand (crypto/rand if nil). Unlike
// crypto/ecdsa.GenerateKey (which ignores rand since Go 1.26), all three
// algorithms really consume rand, so a seeded reader gives reproducible keys
// in simulators and tests.
func GenerateKey(algo Algo, rand io.Reader) (*PrivateKey, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	switch algo {
	case P256, Secp256k1:
		// Rejection sampling keeps the scalar uniform in [1, n-1]; a retry
		// happens with probability about 2^-32 (P-256) or 2^-128 (secp256k1),
		// so 64 failures in a row means a broken reader, not bad luck.
		var b [32]byte
		defer clear(b[:])
		for range 64 {
			if _, err := io.ReadFull(rand, b[:]); err != nil {
				return nil, fmt.Errorf("generate %s key: %w", algo, err)
			}
			if k, err := NewPrivateKey(algo, b[:]); err == nil {
				return k, nil
			}
		}
		return nil, fmt.Errorf("generate %s key: random source keeps producing out-of-range scalars", algo)
	case Ed25519:
		_, priv, err := ed25519.GenerateKey(rand)
		if err != nil {
			return nil, fmt.Errorf("generate ed25519 key: %w", err)
		}
		return newEd25519Private(priv), nil
	}
	return nil, unsupported(algo)
}

// NewPrivateKey builds a key from raw bytes: the 32-byte big-endian scalar
// for ECDSA, the 32-byte RFC 8032 seed for Ed25519. Useful for fixed test
// vectors and for importing keys exported by provisioning systems.
func NewPrivateKey(algo Algo, raw []byte) (*PrivateKey, error) {
	switch algo {
	case P256:
		if len(raw) != 32 {
			return nil, fmt.Errorf("%w: p256 scalar: %d bytes, want 32", ErrInvalidPrivateKey, len(raw))
		}
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
		if err != nil {
			return nil, fmt.Errorf("%w: p256 scalar is zero or not below the curve order", ErrInvalidPrivateKey)
		}
		return newP256Private(k)
	case Secp256k1:
		if len(raw) != 32 {
			return nil, fmt.Errorf("%w: secp256k1 scalar: %d bytes, want 32", ErrInvalidPrivateKey, len(raw))
		}
		var d secp256k1.ModNScalar
		// PrivKeyFromBytes would silently reduce mod n; we refuse instead,
		// so a key's bytes mean the same thing to us as to OpenSSL.
		if overflow := d.SetByteSlice(raw); overflow || d.IsZero() {
			return nil, fmt.Errorf("%w: secp256k1 scalar is zero or not below the curve order", ErrInvalidPrivateKey)
		}
		return newSecp256k1Private(secp256k1.NewPrivateKey(&d)), nil
	case Ed25519:
		if len(raw) != ed25519.SeedSize {
			return nil, fmt.Errorf("%w: ed25519 seed: %d bytes, want %d", ErrInvalidPrivateKey, len(raw), ed25519.SeedSize)
		}
		return newEd25519Private(ed25519.NewKeyFromSeed(raw)), nil
	}
	return nil, unsupported(algo)
}

func newP256Private(k *ecdsa.PrivateKey) (*PrivateKey, error) {
	unc, err := k.PublicKey.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: p256: %v", ErrInvalidPrivateKey, err)
	}
	pub, err := NormalizePublicKey(P256, unc)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{algo: P256, p256: k, pub: pub}, nil
}

func newSecp256k1Private(k *secp256k1.PrivateKey) *PrivateKey {
	return &PrivateKey{algo: Secp256k1, k1: k, pub: k.PubKey().SerializeCompressed()}
}

func newEd25519Private(k ed25519.PrivateKey) *PrivateKey {
	return &PrivateKey{algo: Ed25519, ed: k, pub: bytes.Clone(k[32:])}
}

// Sign returns the 64-byte wire signature. ECDSA signs SHA-256(signBytes)
// and always emits fixed-width r||s, never DER, so signatures have a
// constant size in transactions. ECDSA nonces are deterministic (RFC 6979),
// so a device tool with a weak RNG cannot leak its key through nonce reuse.
func (k *PrivateKey) Sign(signBytes []byte) ([]byte, error) {
	switch k.algo {
	case P256:
		h := sha256.Sum256(signBytes)
		// nil rand selects RFC 6979 in crypto/ecdsa (Go >= 1.24).
		der, err := k.p256.Sign(nil, h[:], crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("p256 sign: %w", err)
		}
		r, s, err := parseDERSignature(der)
		if err != nil {
			return nil, fmt.Errorf("p256 sign: unexpected signature from crypto/ecdsa: %w", err)
		}
		return append(r[:], s[:]...), nil
	case Secp256k1:
		h := sha256.Sum256(signBytes)
		sig := k1ecdsa.Sign(k.k1, h[:])
		out := make([]byte, SignatureSize)
		r, s := sig.R(), sig.S()
		r.PutBytesUnchecked(out[:32])
		s.PutBytesUnchecked(out[32:])
		return out, nil
	case Ed25519:
		return ed25519.Sign(k.ed, signBytes), nil
	}
	return nil, unsupported(k.algo)
}

// ----------------------------------------------------------------- PEM ----

var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1   = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
	oidP256        = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidEd25519     = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// Names for OIDs people are likely to feed us by mistake, so the error says
// "P-384" instead of a dotted number.
var knownUnsupportedOIDs = map[string]string{
	"1.3.132.0.33":          "curve P-224",
	"1.3.132.0.34":          "curve P-384",
	"1.3.132.0.35":          "curve P-521",
	"1.3.36.3.3.2.8.1.1.7":  "curve brainpoolP256r1",
	"1.2.156.10197.1.301":   "curve SM2",
	"1.3.101.110":           "X25519 (a key-agreement key, not a signing key)",
	"1.3.101.111":           "X448 (a key-agreement key, not a signing key)",
	"1.3.101.113":           "Ed448",
	"1.2.840.113549.1.1.1":  "RSA",
	"1.2.840.10040.4.1":     "DSA",
	"1.2.840.113549.1.1.10": "RSA-PSS",
}

func unsupportedOID(kind string, oid asn1.ObjectIdentifier) error {
	name := knownUnsupportedOIDs[oid.String()]
	if name == "" {
		name = kind + " " + oid.String()
	}
	return fmt.Errorf("%w: unsupported %s (supported: %s)", ErrInvalidPrivateKey, name, supportedList())
}

// pkcs8 is RFC 5208 PrivateKeyInfo. encoding/asn1 ignores trailing SEQUENCE
// elements, so RFC 5958 v2 keys (with attributes/publicKey) parse too.
type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// ecPrivateKey is SEC 1 / RFC 5915 ECPrivateKey.
type ecPrivateKey struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

// MarshalPKCS8PEM writes an unencrypted "PRIVATE KEY" PEM block that OpenSSL
// (and therefore HSM import tools) reads for all three algorithms.
// crypto/x509 cannot encode secp256k1, so that case is built by hand.
func MarshalPKCS8PEM(k *PrivateKey) ([]byte, error) {
	var der []byte
	var err error
	switch k.algo {
	case P256:
		der, err = x509.MarshalPKCS8PrivateKey(k.p256)
	case Ed25519:
		der, err = x509.MarshalPKCS8PrivateKey(k.ed)
	case Secp256k1:
		der, err = marshalSecp256k1PKCS8(k.k1)
	default:
		return nil, unsupported(k.algo)
	}
	if err != nil {
		return nil, fmt.Errorf("marshal %s private key: %w", k.algo, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func marshalSecp256k1PKCS8(k *secp256k1.PrivateKey) ([]byte, error) {
	d := k.Key.Bytes()
	defer clear(d[:])
	pub := k.PubKey().SerializeUncompressed()
	// The curve OID lives in the AlgorithmIdentifier, so (like crypto/x509
	// does for NIST curves) it is omitted from the inner ECPrivateKey.
	inner, err := asn1.Marshal(ecPrivateKey{
		Version:    1,
		PrivateKey: d[:],
		PublicKey:  asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)},
	})
	if err != nil {
		return nil, err
	}
	params, err := asn1.Marshal(oidSecp256k1)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(pkcs8{
		Algo:       pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: params}},
		PrivateKey: inner,
	})
}

// ParsePrivateKeyPEM reads the first private key in data. It takes PKCS#8
// ("PRIVATE KEY", any of the three algorithms) and SEC 1 ("EC PRIVATE KEY",
// as written by `openssl ecparam -genkey`, whose leading "EC PARAMETERS"
// block is skipped).
func ParsePrivateKeyPEM(data []byte) (*PrivateKey, error) {
	var seen []string
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, fmt.Errorf("%w: %s block is encrypted (legacy PEM encryption); decrypt it first, e.g. `openssl pkey -in key.pem -out plain.pem`",
				ErrInvalidPrivateKey, block.Type)
		}
		switch block.Type {
		case "PRIVATE KEY":
			return parsePKCS8(block.Bytes)
		case "EC PRIVATE KEY":
			return parseSEC1(block.Bytes, nil)
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("%w: encrypted PKCS#8 keys are not supported; decrypt it first, e.g. `openssl pkey -in key.pem -out plain.pem`",
				ErrInvalidPrivateKey)
		case "RSA PRIVATE KEY", "DSA PRIVATE KEY":
			return nil, fmt.Errorf("%w: unsupported %s block (supported: %s)", ErrInvalidPrivateKey, block.Type, supportedList())
		case "OPENSSH PRIVATE KEY":
			return nil, fmt.Errorf("%w: OpenSSH key format is not supported; convert with `ssh-keygen -p -m PKCS8 -f key`", ErrInvalidPrivateKey)
		}
		// EC PARAMETERS, certificates, public keys: skip but remember,
		// for the error message if no private key follows.
		seen = append(seen, block.Type)
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("%w: no PEM block found", ErrInvalidPrivateKey)
	}
	return nil, fmt.Errorf("%w: no private key block found (saw %s)", ErrInvalidPrivateKey, strings.Join(seen, ", "))
}

func parsePKCS8(der []byte) (*PrivateKey, error) {
	var p pkcs8
	if rest, err := asn1.Unmarshal(der, &p); err != nil {
		return nil, fmt.Errorf("%w: PKCS#8: %v", ErrInvalidPrivateKey, err)
	} else if len(rest) != 0 {
		return nil, fmt.Errorf("%w: PKCS#8: trailing data", ErrInvalidPrivateKey)
	}
	switch {
	case p.Algo.Algorithm.Equal(oidEd25519):
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("%w: ed25519 PKCS#8: %v", ErrInvalidPrivateKey, err)
		}
		ek, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: ed25519 PKCS#8: unexpected key type %T", ErrInvalidPrivateKey, k)
		}
		return newEd25519Private(ek), nil
	case p.Algo.Algorithm.Equal(oidECPublicKey):
		var curve asn1.ObjectIdentifier
		if rest, err := asn1.Unmarshal(p.Algo.Parameters.FullBytes, &curve); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: EC key without a named curve (explicit curve parameters are not supported; re-export with `openssl pkey -ec_param_enc named_curve`)", ErrInvalidPrivateKey)
		}
		return parseSEC1(p.PrivateKey, curve)
	}
	return nil, unsupportedOID("key algorithm", p.Algo.Algorithm)
}

// parseSEC1 parses an ECPrivateKey. outerCurve is the curve named by an
// enclosing PKCS#8 AlgorithmIdentifier (nil for a bare SEC 1 block).
func parseSEC1(der []byte, outerCurve asn1.ObjectIdentifier) (*PrivateKey, error) {
	var k ecPrivateKey
	if rest, err := asn1.Unmarshal(der, &k); err != nil {
		return nil, fmt.Errorf("%w: EC private key: %v (explicit curve parameters are not supported; use a named curve)", ErrInvalidPrivateKey, err)
	} else if len(rest) != 0 {
		return nil, fmt.Errorf("%w: EC private key: trailing data", ErrInvalidPrivateKey)
	}
	if k.Version != 1 {
		return nil, fmt.Errorf("%w: EC private key: version %d, want 1", ErrInvalidPrivateKey, k.Version)
	}
	curve := outerCurve
	switch {
	case curve == nil && k.NamedCurveOID == nil:
		return nil, fmt.Errorf("%w: EC private key does not name its curve", ErrInvalidPrivateKey)
	case curve == nil:
		curve = k.NamedCurveOID
	case k.NamedCurveOID != nil && !k.NamedCurveOID.Equal(curve):
		return nil, fmt.Errorf("%w: EC private key names curve %s inside PKCS#8 for curve %s", ErrInvalidPrivateKey, k.NamedCurveOID, curve)
	}

	var algo Algo
	switch {
	case curve.Equal(oidP256):
		algo = P256
	case curve.Equal(oidSecp256k1):
		algo = Secp256k1
	default:
		return nil, unsupportedOID("curve", curve)
	}
	// Scalars shorter than 32 bytes occur in the wild (leading zeros
	// dropped); longer ones only with zero padding.
	d := k.PrivateKey
	for len(d) > 32 && d[0] == 0 {
		d = d[1:]
	}
	if len(d) > 32 {
		return nil, fmt.Errorf("%w: EC private key scalar is %d bytes", ErrInvalidPrivateKey, len(k.PrivateKey))
	}
	var raw [32]byte
	copy(raw[32-len(d):], d)
	defer clear(raw[:])

	priv, err := NewPrivateKey(algo, raw[:])
	if err != nil {
		return nil, err
	}
	// An embedded public key that disagrees with the scalar means a corrupt
	// or tampered file; registering its derived key would brick the device.
	if len(k.PublicKey.Bytes) > 0 {
		embedded, err := NormalizePublicKey(algo, k.PublicKey.RightAlign())
		if err != nil {
			return nil, fmt.Errorf("%w: embedded public key: %v", ErrInvalidPrivateKey, err)
		}
		if !bytes.Equal(embedded, priv.pub) {
			return nil, fmt.Errorf("%w: %s embedded public key does not match the private scalar", ErrInvalidPrivateKey, algo)
		}
	}
	return priv, nil
}
