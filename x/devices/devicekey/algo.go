package devicekey

import (
	"errors"
	"fmt"
	"strings"
)

// Algo names a device signature scheme. The string value is part of consensus:
// it is hashed into DeviceID and stored on chain, so it must never change.
type Algo string

const (
	// P256 is ECDSA over NIST P-256 (prime256v1/secp256r1) with SHA-256.
	P256 Algo = "p256"
	// Secp256k1 is ECDSA over secp256k1 with SHA-256.
	Secp256k1 Algo = "secp256k1"
	// Ed25519 is PureEdDSA over edwards25519 (RFC 8032).
	Ed25519 Algo = "ed25519"
)

// Algos lists the supported algorithms in a stable order, for help texts and
// error messages.
var Algos = []Algo{P256, Secp256k1, Ed25519}

// ErrUnsupportedAlgo is returned for any algorithm name outside Algos.
var ErrUnsupportedAlgo = errors.New("unsupported device key algorithm")

func supportedList() string {
	names := make([]string, len(Algos))
	for i, a := range Algos {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

// ParseAlgo is strict (exact, lower-case names) because the name is hashed
// into DeviceID: accepting "P256" and "p256" as the same algo but hashing them
// differently would give one key two identities.
func ParseAlgo(s string) (Algo, error) {
	switch a := Algo(s); a {
	case P256, Secp256k1, Ed25519:
		return a, nil
	}
	return "", fmt.Errorf("%w %q (valid: %s)", ErrUnsupportedAlgo, s, supportedList())
}

// Valid reports whether a is one of the supported algorithms.
func (a Algo) Valid() bool {
	switch a {
	case P256, Secp256k1, Ed25519:
		return true
	}
	return false
}

// String implements fmt.Stringer.
func (a Algo) String() string { return string(a) }

func unsupported(a Algo) error {
	return fmt.Errorf("%w %q (valid: %s)", ErrUnsupportedAlgo, string(a), supportedList())
}
