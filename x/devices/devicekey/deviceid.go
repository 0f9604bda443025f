package devicekey

import (
	"crypto/sha256"
	"fmt"
	"strings"

	// A leaf package (only depends on btcutil/bech32): using it keeps device
	// IDs encoded exactly like every other bech32 string on the chain.
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

const (
	// DeviceIDPrefix is the bech32 human-readable part of device IDs.
	DeviceIDPrefix = "w3bdev"
	// DeviceIDSize is the raw length of a device ID, as used for store keys.
	DeviceIDSize = 20
)

// DeviceIDBytes is the raw 20-byte identity: SHA-256(algo || normalizedPub)
// truncated. The algo name is hashed in so that the same bytes registered
// under two algorithms can never collide into one device.
//
// normalizedPub must come from NormalizePublicKey (or PublicKey.Bytes);
// passing another encoding silently yields a different ID.
func DeviceIDBytes(algo Algo, normalizedPub []byte) []byte {
	h := sha256.New()
	h.Write([]byte(algo))
	h.Write(normalizedPub)
	return h.Sum(nil)[:DeviceIDSize]
}

// DeviceID is the bech32 ("w3bdev1...") form of DeviceIDBytes.
func DeviceID(algo Algo, normalizedPub []byte) string {
	s, err := FormatDeviceID(DeviceIDBytes(algo, normalizedPub))
	if err != nil {
		panic(err) // unreachable: 20 bytes under a fixed valid prefix always encode
	}
	return s
}

// FormatDeviceID turns raw store-key bytes back into the display form.
func FormatDeviceID(id []byte) (string, error) {
	if len(id) != DeviceIDSize {
		return "", fmt.Errorf("%w: %d bytes, want %d", ErrInvalidDeviceID, len(id), DeviceIDSize)
	}
	s, err := bech32.ConvertAndEncode(DeviceIDPrefix, id)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidDeviceID, err)
	}
	return s, nil
}

// ParseDeviceID accepts only the canonical (lower-case) string, so that a
// successfully parsed ID string can be used as a map or store key verbatim.
func ParseDeviceID(s string) ([]byte, error) {
	hrp, id, err := bech32.DecodeAndConvert(s)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrInvalidDeviceID, s, err)
	}
	if hrp != DeviceIDPrefix {
		return nil, fmt.Errorf("%w %q: prefix %q, want %q", ErrInvalidDeviceID, s, hrp, DeviceIDPrefix)
	}
	if len(id) != DeviceIDSize {
		return nil, fmt.Errorf("%w %q: %d bytes, want %d", ErrInvalidDeviceID, s, len(id), DeviceIDSize)
	}
	// The decoder has verified the checksum and rejected mixed case and
	// non-zero padding, so lower case is all canonical form still needs;
	// checking it is far cheaper than re-encoding.
	if strings.ToLower(s) != s {
		return nil, fmt.Errorf("%w %q: not in canonical form (want %q)", ErrInvalidDeviceID, s, strings.ToLower(s))
	}
	return id, nil
}
