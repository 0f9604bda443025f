package testutil

import (
	"encoding/base64"
	"fmt"
	"math/rand"
	"testing"

	"github.com/w3bd/w3bd/x/devices/devicekey"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// Device is a device key with its id, signing envelopes for ChainID.
type Device struct {
	Key *devicekey.PrivateKey
	ID  string
}

// NewDevice returns a device with a key derived from seed, so tests are
// reproducible.
func NewDevice(tb testing.TB, algo devicekey.Algo, seed int64) *Device {
	tb.Helper()
	key, err := devicekey.GenerateKey(algo, rand.New(rand.NewSource(seed)))
	if err != nil {
		tb.Fatal(err)
	}
	return &Device{Key: key, ID: devicekey.DeviceID(algo, key.PublicKey())}
}

// Envelope is a reading signed by the device for stream at seq, stamped at
// the fixture's block time.
func (d *Device) Envelope(tb testing.TB, stream, seq uint64, payload []byte) streamstypes.Envelope {
	tb.Helper()
	env := streamstypes.Envelope{
		StreamId: stream, DeviceId: d.ID, Seq: seq,
		TimestampMs: uint64(BlockTime.UnixMilli()), Payload: payload,
	}
	d.Sign(tb, &env)
	return env
}

// Sign (re)signs env for ChainID.
func (d *Device) Sign(tb testing.TB, env *streamstypes.Envelope) {
	tb.Helper()
	sig, err := d.Key.Sign(env.SignBytes(ChainID))
	if err != nil {
		tb.Fatal(err)
	}
	env.Signature = sig
}

// Reading is a small JSON payload like a sensor's.
func Reading(i int) []byte {
	return fmt.Appendf(nil, `{"temp_c":%d.%d,"hum":%d}`, 20+i%10, i%10, 40+i%30)
}

// Uncompressed returns the 65-byte uncompressed (0x04 || x || y) encoding of
// an EC public key in any encoding the chain accepts.
func Uncompressed(tb testing.TB, algo devicekey.Algo, pub []byte) []byte {
	tb.Helper()
	jwk, err := devicekey.JWK(algo, pub)
	if err != nil {
		tb.Fatal(err)
	}
	x, errX := base64.RawURLEncoding.DecodeString(jwk.X)
	y, errY := base64.RawURLEncoding.DecodeString(jwk.Y)
	if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
		tb.Fatalf("%s key has no affine coordinates: %+v", algo, jwk)
	}
	return append(append([]byte{4}, x...), y...)
}

// UncompressedKey is the device's public key in uncompressed form (EC only).
func (d *Device) UncompressedKey(tb testing.TB) []byte {
	tb.Helper()
	return Uncompressed(tb, d.Key.Algo(), d.Key.PublicKey())
}
