package types_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/streams/types"
)

// Regenerate the vector file after an intended change of the sign-bytes
// encoding or the device-id derivation (a consensus-breaking change):
//
//	go test ./x/streams/types/ -run TestSignBytesVectors -update-vectors
var updateVectors = flag.Bool("update-vectors", false, "rewrite testdata/signbytes_vectors.json from the current code")

const vectorsFile = "testdata/signbytes_vectors.json"

// Inputs shared by every vector.
const (
	vecChainID     = "w3bd-1"
	vecStreamID    = 7
	vecSeq         = 42
	vecTimestampMs = 1767225600000 // 2026-01-01T00:00:00Z
	vecPayload     = `{"temp_c":21.5}`
)

// signBytesVector is one entry of testdata/signbytes_vectors.json. All byte
// strings are lower-case hex.
type signBytesVector struct {
	Algo          string `json:"algo"`
	PrivateKey    string `json:"private_key"`
	PublicKey     string `json:"public_key"`
	DeviceID      string `json:"device_id"`
	ChainID       string `json:"chain_id"`
	StreamID      uint64 `json:"stream_id"`
	Seq           uint64 `json:"seq"`
	TimestampMs   uint64 `json:"timestamp_ms"`
	Payload       string `json:"payload"`
	PayloadSha256 string `json:"payload_sha256"`
	SignBytes     string `json:"sign_bytes"`
	Signature     string `json:"signature"`
	SignatureNote string `json:"signature_note"`
}

type signBytesVectorFile struct {
	Comment string            `json:"comment"`
	Vectors []signBytesVector `json:"vectors"`
}

// vectorPrivateKey is 0x01, 0x02, ..., 0x20: a valid scalar for both curves
// (far below either order) and an Ed25519 seed.
func vectorPrivateKey() []byte {
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i + 1)
	}
	return raw
}

func signatureNote(algo devicekey.Algo) string {
	switch algo {
	case devicekey.P256:
		return "ECDSA P-256 over SHA-256(sign_bytes), RFC 6979 deterministic nonce, 64-byte r||s"
	case devicekey.Secp256k1:
		return "ECDSA secp256k1 over SHA-256(sign_bytes), RFC 6979 deterministic nonce, low-s normalized (BIP 62), 64-byte r||s"
	case devicekey.Ed25519:
		return "PureEd25519 (RFC 8032) over sign_bytes itself (no pre-hash), 64 bytes R||S"
	}
	return ""
}

// computeVector derives a vector from the fixed private key with the code
// under test.
func computeVector(t *testing.T, algo devicekey.Algo) signBytesVector {
	t.Helper()
	raw := vectorPrivateKey()
	key, err := devicekey.NewPrivateKey(algo, raw)
	if err != nil {
		t.Fatalf("%s: NewPrivateKey: %v", algo, err)
	}
	pub := key.PublicKey()
	env := types.Envelope{
		StreamId:    vecStreamID,
		DeviceId:    devicekey.DeviceID(algo, pub),
		Seq:         vecSeq,
		TimestampMs: vecTimestampMs,
		Payload:     []byte(vecPayload),
	}
	sb := env.SignBytes(vecChainID)
	sig, err := key.Sign(sb)
	if err != nil {
		t.Fatalf("%s: Sign: %v", algo, err)
	}
	h := sha256.Sum256(env.Payload)
	return signBytesVector{
		Algo:          string(algo),
		PrivateKey:    hex.EncodeToString(raw),
		PublicKey:     hex.EncodeToString(pub),
		DeviceID:      env.DeviceId,
		ChainID:       vecChainID,
		StreamID:      env.StreamId,
		Seq:           env.Seq,
		TimestampMs:   env.TimestampMs,
		Payload:       hex.EncodeToString(env.Payload),
		PayloadSha256: hex.EncodeToString(h[:]),
		SignBytes:     hex.EncodeToString(sb),
		Signature:     hex.EncodeToString(sig),
		SignatureNote: signatureNote(algo),
	}
}

func loadVectors(t *testing.T) []signBytesVector {
	t.Helper()
	data, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatalf("read %s: %v (regenerate with -update-vectors)", vectorsFile, err)
	}
	var f signBytesVectorFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("decode %s: %v", vectorsFile, err)
	}
	if len(f.Vectors) != len(devicekey.Algos) {
		t.Fatalf("%s has %d vectors, want one per algorithm (%d)", vectorsFile, len(f.Vectors), len(devicekey.Algos))
	}
	for i, v := range f.Vectors {
		if v.Algo != string(devicekey.Algos[i]) {
			t.Fatalf("vector %d is for %q, want %q (order of devicekey.Algos)", i, v.Algo, devicekey.Algos[i])
		}
	}
	return f.Vectors
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// TestSignBytesVectors recomputes every vector from its private key and
// compares with the committed file: any change to the sign-bytes encoding,
// the payload hash, the device-id derivation, key derivation or the
// deterministic signers fails here, field by field.
func TestSignBytesVectors(t *testing.T) {
	if *updateVectors {
		f := signBytesVectorFile{
			Comment: "w3bd envelope sign-bytes test vectors; generated by `go test ./x/streams/types/ -run TestSignBytesVectors -update-vectors`. " +
				"All byte strings are hex. sign_bytes = deterministic protobuf encoding of w3bd.streams.v1.EnvelopeSignDoc " +
				"{1 domain=\"w3b/envelope/v1\", 2 chain_id, 3 stream_id, 4 device_id, 5 seq, 6 timestamp_ms, 7 payload_sha256}. " +
				"private_key is the 32-byte ECDSA scalar or Ed25519 seed; public_key is compressed SEC1 (EC) or the raw 32 bytes (Ed25519); " +
				"device_id = bech32(\"w3bdev\", SHA-256(algo || public_key)[:20]).",
		}
		for _, algo := range devicekey.Algos {
			f.Vectors = append(f.Vectors, computeVector(t, algo))
		}
		data, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsFile, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", vectorsFile)
	}

	for _, want := range loadVectors(t) {
		t.Run(want.Algo, func(t *testing.T) {
			algo := devicekey.Algo(want.Algo)
			got := computeVector(t, algo)
			for _, c := range []struct{ name, got, want string }{
				{"private_key", got.PrivateKey, want.PrivateKey},
				{"public_key", got.PublicKey, want.PublicKey},
				{"device_id", got.DeviceID, want.DeviceID},
				{"chain_id", got.ChainID, want.ChainID},
				{"stream_id", fmt.Sprint(got.StreamID), fmt.Sprint(want.StreamID)},
				{"seq", fmt.Sprint(got.Seq), fmt.Sprint(want.Seq)},
				{"timestamp_ms", fmt.Sprint(got.TimestampMs), fmt.Sprint(want.TimestampMs)},
				{"payload", got.Payload, want.Payload},
				{"payload_sha256", got.PayloadSha256, want.PayloadSha256},
				{"sign_bytes", got.SignBytes, want.SignBytes},
				{"signature", got.Signature, want.Signature},
			} {
				if c.got != c.want {
					t.Errorf("%s changed:\n got %s\nwant %s\n(a change here breaks every deployed device; if intended, regenerate with -update-vectors)", c.name, c.got, c.want)
				}
			}

			// The file is self-consistent, independently of the code that wrote it.
			pub := mustHex(t, want.PublicKey)
			if id := devicekey.DeviceID(algo, pub); id != want.DeviceID {
				t.Errorf("device_id %s does not derive from public_key (%s)", want.DeviceID, id)
			}
			payload := mustHex(t, want.Payload)
			if string(payload) != vecPayload {
				t.Errorf("payload = %q, want %q", payload, vecPayload)
			}
			if h := sha256.Sum256(payload); hex.EncodeToString(h[:]) != want.PayloadSha256 {
				t.Errorf("payload_sha256 is not SHA-256(payload)")
			}
			sb := mustHex(t, want.SignBytes)
			sig := mustHex(t, want.Signature)
			if len(sig) != devicekey.SignatureSize {
				t.Errorf("signature is %d bytes, want %d", len(sig), devicekey.SignatureSize)
			}
			if err := devicekey.VerifySignature(algo, pub, sb, sig); err != nil {
				t.Errorf("vector signature does not verify: %v", err)
			}
			// And it is bound to the sign bytes: one flipped bit anywhere fails.
			for _, i := range []int{0, len(sb) / 2, len(sb) - 1} {
				bad := bytes.Clone(sb)
				bad[i] ^= 1
				if err := devicekey.VerifySignature(algo, pub, bad, sig); !errors.Is(err, devicekey.ErrSignatureMismatch) {
					t.Errorf("signature verifies over sign bytes with byte %d flipped: err=%v", i, err)
				}
			}
			// Signing is deterministic: a second signature is identical.
			key, _ := devicekey.NewPrivateKey(algo, mustHex(t, want.PrivateKey))
			again, err := key.Sign(sb)
			if err != nil || !bytes.Equal(again, sig) {
				t.Errorf("signing is not deterministic: %x then %x (err %v)", sig, again, err)
			}
		})
	}
}

// TestSignBytesVectorsMatchEnvelope checks the other direction: an envelope
// built from the vector's fields yields the file's sign bytes, through the
// public API a gateway uses.
func TestSignBytesVectorsMatchEnvelope(t *testing.T) {
	for _, v := range loadVectors(t) {
		env := types.Envelope{
			StreamId: v.StreamID, DeviceId: v.DeviceID, Seq: v.Seq, TimestampMs: v.TimestampMs,
			Payload: mustHex(t, v.Payload), Signature: mustHex(t, v.Signature),
		}
		if got := hex.EncodeToString(env.SignBytes(v.ChainID)); got != v.SignBytes {
			t.Errorf("%s: SignBytes = %s, want %s", v.Algo, got, v.SignBytes)
		}
		doc := env.SignDoc(v.ChainID)
		if got := hex.EncodeToString(doc.Bytes()); got != v.SignBytes {
			t.Errorf("%s: SignDoc().Bytes() = %s, want %s", v.Algo, got, v.SignBytes)
		}
		// The sign bytes decode back to the same doc (no unknown fields, no loss).
		var back types.EnvelopeSignDoc
		if err := back.Unmarshal(mustHex(t, v.SignBytes)); err != nil {
			t.Fatalf("%s: unmarshal sign bytes: %v", v.Algo, err)
		}
		if !reflect.DeepEqual(back, doc) {
			t.Errorf("%s: sign bytes decode to %v, want %v", v.Algo, &back, &doc)
		}
	}
}

// Known-answer checks that devicekey's ECDSA signers really are RFC 6979, so
// that the vector signatures can be reproduced by any RFC 6979 library.
func TestDeviceKeyECDSAIsRFC6979(t *testing.T) {
	t.Run("p256/RFC6979-A.2.5-SHA256-sample", func(t *testing.T) {
		// RFC 6979 appendix A.2.5, curve P-256, SHA-256, message "sample".
		key, err := devicekey.NewPrivateKey(devicekey.P256, mustHex(t, "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"))
		if err != nil {
			t.Fatal(err)
		}
		sig, err := key.Sign([]byte("sample"))
		if err != nil {
			t.Fatal(err)
		}
		want := "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716" +
			"f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"
		if got := hex.EncodeToString(sig); got != want {
			t.Fatalf("p256 Sign(\"sample\") = %s, want RFC 6979 A.2.5 %s", got, want)
		}
	})
	t.Run("secp256k1/key1-Satoshi-Nakamoto", func(t *testing.T) {
		// The widely used secp256k1 RFC 6979 vector (key = 1, SHA-256,
		// low-s), e.g. in python-ecdsa, bitcoinjs and libsecp256k1 tests.
		raw := make([]byte, 32)
		raw[31] = 1
		key, err := devicekey.NewPrivateKey(devicekey.Secp256k1, raw)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := key.Sign([]byte("Satoshi Nakamoto"))
		if err != nil {
			t.Fatal(err)
		}
		want := "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8" +
			"2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5"
		if got := hex.EncodeToString(sig); got != want {
			t.Fatalf("secp256k1 Sign(\"Satoshi Nakamoto\") = %s, want %s", got, want)
		}
	})
}

// ------------------------------------------------------------------------
// Hand decoding of the protobuf wire format.

type wireField struct {
	num      uint64
	wireType uint64
	varint   uint64 // wire type 0
	bytes    []byte // wire type 2
	offset   int    // of the tag
}

func readVarint(t *testing.T, b []byte, off int) (uint64, int) {
	t.Helper()
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		if off >= len(b) {
			t.Fatalf("truncated varint at offset %d", off)
		}
		c := b[off]
		off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, off
		}
	}
	t.Fatalf("varint longer than 10 bytes at offset %d", off)
	return 0, 0
}

// decodeWire splits b into fields without any schema: tag varint (field
// number << 3 | wire type), then a varint (type 0) or a length-prefixed
// byte string (type 2). Other wire types must not appear in sign bytes.
func decodeWire(t *testing.T, b []byte) []wireField {
	t.Helper()
	var out []wireField
	for off := 0; off < len(b); {
		start := off
		tag, n := readVarint(t, b, off)
		off = n
		f := wireField{num: tag >> 3, wireType: tag & 7, offset: start}
		switch f.wireType {
		case 0:
			f.varint, off = readVarint(t, b, off)
		case 2:
			l, n := readVarint(t, b, off)
			off = n
			if uint64(len(b)-off) < l {
				t.Fatalf("field %d at offset %d: length %d overruns %d remaining bytes", f.num, start, l, len(b)-off)
			}
			f.bytes = b[off : off+int(l)]
			off += int(l)
		default:
			t.Fatalf("field %d at offset %d: unexpected wire type %d", f.num, start, f.wireType)
		}
		out = append(out, f)
	}
	return out
}

// TestSignBytesWireLayout documents the sign bytes byte by byte: exactly the
// fields below, in field-number order, each with its wire type, nothing else.
func TestSignBytesWireLayout(t *testing.T) {
	key, err := devicekey.NewPrivateKey(devicekey.Ed25519, vectorPrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	deviceID := devicekey.DeviceID(devicekey.Ed25519, key.PublicKey())
	env := types.Envelope{
		StreamId: vecStreamID, DeviceId: deviceID, Seq: vecSeq,
		TimestampMs: vecTimestampMs, Payload: []byte(vecPayload), Signature: []byte("ignored"),
	}
	sb := env.SignBytes(vecChainID)
	h := sha256.Sum256([]byte(vecPayload))

	type want struct {
		num      uint64
		wireType uint64
		varint   uint64
		bytes    []byte
	}
	wants := []want{
		{1, 2, 0, []byte("w3b/envelope/v1")}, // domain
		{2, 2, 0, []byte(vecChainID)},        // chain_id
		{3, 0, vecStreamID, nil},             // stream_id
		{4, 2, 0, []byte(deviceID)},          // device_id
		{5, 0, vecSeq, nil},                  // seq
		{6, 0, vecTimestampMs, nil},          // timestamp_ms
		{7, 2, 0, h[:]},                      // payload_sha256
	}
	fields := decodeWire(t, sb)
	if len(fields) != len(wants) {
		t.Fatalf("sign bytes have %d fields, want %d: %x", len(fields), len(wants), sb)
	}
	for i, w := range wants {
		f := fields[i]
		if f.num != w.num || f.wireType != w.wireType {
			t.Fatalf("field %d: number %d wire type %d, want number %d wire type %d", i, f.num, f.wireType, w.num, w.wireType)
		}
		if w.wireType == 0 && f.varint != w.varint {
			t.Errorf("field %d = %d, want %d", w.num, f.varint, w.varint)
		}
		if w.wireType == 2 && !bytes.Equal(f.bytes, w.bytes) {
			t.Errorf("field %d = %x, want %x", w.num, f.bytes, w.bytes)
		}
	}
	if types.SignDomain != "w3b/envelope/v1" {
		t.Errorf("SignDomain = %q", types.SignDomain)
	}

	// Exact bytes of the fixed prefix and of the tags, spelled out, so the
	// layout reads off this test without a protobuf decoder:
	//   0a 0f "w3b/envelope/v1"   field 1, wire type 2, length 15
	//   12 06 "w3bd-1"            field 2, wire type 2, length 6
	//   18 07                     field 3, varint 7
	//   22 LL device_id           field 4, wire type 2
	//   28 2a                     field 5, varint 42
	//   30 80 d0 ea b6 b7 33      field 6, varint 1767225600000
	//   3a 20 <32 bytes>          field 7, wire type 2, length 32
	var exp []byte
	exp = append(exp, 0x0a, 15)
	exp = append(exp, "w3b/envelope/v1"...)
	exp = append(exp, 0x12, 6)
	exp = append(exp, vecChainID...)
	exp = append(exp, 0x18, 7)
	exp = append(exp, 0x22, byte(len(deviceID)))
	exp = append(exp, deviceID...)
	exp = append(exp, 0x28, 42)
	exp = append(exp, 0x30)
	exp = binary.AppendUvarint(exp, vecTimestampMs)
	exp = append(exp, 0x3a, 32)
	exp = append(exp, h[:]...)
	if !bytes.Equal(sb, exp) {
		t.Fatalf("sign bytes\n got %x\nwant %x", sb, exp)
	}
	if ts := binary.AppendUvarint(nil, vecTimestampMs); hex.EncodeToString(ts) != "80d0eab6b733" {
		t.Errorf("timestamp varint = %x (comment above is stale)", ts)
	}

	// The signature is not signed over.
	env2 := env
	env2.Signature = nil
	if !bytes.Equal(env2.SignBytes(vecChainID), sb) {
		t.Error("sign bytes depend on the signature field")
	}
}

// TestSignBytesZeroFieldsOmitted: proto3 omits zero values, so a zero stream,
// seq or timestamp and an empty chain id or device id are absent, not encoded
// as zero. The domain and the payload hash (32 bytes even for an empty
// payload) are always present.
func TestSignBytesZeroFieldsOmitted(t *testing.T) {
	env := types.Envelope{} // everything zero, payload empty
	sb := env.SignBytes("")
	fields := decodeWire(t, sb)
	empty := sha256.Sum256(nil)
	if len(fields) != 2 ||
		fields[0].num != 1 || !bytes.Equal(fields[0].bytes, []byte(types.SignDomain)) ||
		fields[1].num != 7 || !bytes.Equal(fields[1].bytes, empty[:]) {
		t.Fatalf("all-zero envelope: sign bytes %x, want only field 1 (domain) and field 7 (SHA-256 of empty)", sb)
	}

	// Each field present alone.
	for _, c := range []struct {
		name    string
		env     types.Envelope
		chainID string
		num     uint64
	}{
		{"chain_id", types.Envelope{}, "c", 2},
		{"stream_id", types.Envelope{StreamId: 1}, "", 3},
		{"device_id", types.Envelope{DeviceId: "d"}, "", 4},
		{"seq", types.Envelope{Seq: 1}, "", 5},
		{"timestamp_ms", types.Envelope{TimestampMs: 1}, "", 6},
	} {
		fields := decodeWire(t, c.env.SignBytes(c.chainID))
		if len(fields) != 3 || fields[0].num != 1 || fields[1].num != c.num || fields[2].num != 7 {
			nums := make([]uint64, len(fields))
			for i, f := range fields {
				nums[i] = f.num
			}
			t.Errorf("%s alone: fields %v, want [1 %d 7]", c.name, nums, c.num)
		}
	}

	// Large values use the full varint range.
	env = types.Envelope{StreamId: ^uint64(0), Seq: ^uint64(0), TimestampMs: ^uint64(0)}
	for _, f := range decodeWire(t, env.SignBytes("x")) {
		if f.wireType == 0 && f.varint != ^uint64(0) {
			t.Errorf("field %d = %d, want max uint64", f.num, f.varint)
		}
	}
}

// ------------------------------------------------------------------------
// OpenSSL interop: the vector signatures verify with the tool device vendors
// use, from SubjectPublicKeyInfo PEMs built independently of devicekey.

const opensslBin = "/usr/bin/openssl"

func openssl(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(opensslBin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// opensslRejects runs a verification that must fail.
func opensslRejects(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command(opensslBin, args...).CombinedOutput()
	if err == nil {
		t.Fatalf("openssl %s accepted a corrupted signature:\n%s", strings.Join(args, " "), out)
	}
}

var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1   = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
)

type subjectPublicKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// spkiPEM builds a "PUBLIC KEY" PEM from the vector's public key: with
// crypto/x509 for P-256 and Ed25519, by hand for secp256k1 (crypto/x509
// does not know the curve).
func spkiPEM(t *testing.T, algo devicekey.Algo, pub []byte) []byte {
	t.Helper()
	var der []byte
	var err error
	switch algo {
	case devicekey.P256:
		x, y := elliptic.UnmarshalCompressed(elliptic.P256(), pub)
		if x == nil {
			t.Fatalf("p256 public key %x does not decompress", pub)
		}
		unc := make([]byte, 65)
		unc[0] = 4
		x.FillBytes(unc[1:33])
		y.FillBytes(unc[33:])
		k, perr := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), unc)
		if perr != nil {
			t.Fatal(perr)
		}
		der, err = x509.MarshalPKIXPublicKey(k)
	case devicekey.Secp256k1:
		k, perr := secp256k1.ParsePubKey(pub)
		if perr != nil {
			t.Fatal(perr)
		}
		unc := k.SerializeUncompressed()
		params, merr := asn1.Marshal(oidSecp256k1)
		if merr != nil {
			t.Fatal(merr)
		}
		der, err = asn1.Marshal(subjectPublicKeyInfo{
			Algorithm: pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: params}},
			PublicKey: asn1.BitString{Bytes: unc, BitLength: 8 * len(unc)},
		})
	case devicekey.Ed25519:
		der, err = x509.MarshalPKIXPublicKey(ed25519.PublicKey(pub))
	}
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

type ecPrivateKey struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
}

// privateKeyPEM encodes the raw private key for OpenSSL without a public key,
// so OpenSSL has to derive it: SEC 1 "EC PRIVATE KEY" for ECDSA, PKCS#8 (which
// holds only the seed) for Ed25519.
func privateKeyPEM(t *testing.T, algo devicekey.Algo, raw []byte) []byte {
	t.Helper()
	if algo == devicekey.Ed25519 {
		der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(raw))
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	curve := asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7} // prime256v1
	if algo == devicekey.Secp256k1 {
		curve = oidSecp256k1
	}
	der, err := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: raw, NamedCurveOID: curve})
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// derSignature converts fixed-width r||s to an ASN.1 DER Ecdsa-Sig-Value.
func derSignature(t *testing.T, rs []byte) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestSignBytesVectorsOpenSSL(t *testing.T) {
	if _, err := os.Stat(opensslBin); err != nil {
		t.Skipf("OpenSSL interop check needs %s: %v", opensslBin, err)
	}
	t.Logf("%s", strings.TrimSpace(openssl(t, "version")))
	for _, v := range loadVectors(t) {
		t.Run(v.Algo, func(t *testing.T) {
			algo := devicekey.Algo(v.Algo)
			dir := t.TempDir()
			pubFile := filepath.Join(dir, "pub.pem")
			msgFile := filepath.Join(dir, "signbytes.bin")
			badMsgFile := filepath.Join(dir, "signbytes-bad.bin")
			sigFile := filepath.Join(dir, "sig")
			sb := mustHex(t, v.SignBytes)
			bad := bytes.Clone(sb)
			bad[len(bad)-1] ^= 1
			sig := mustHex(t, v.Signature)
			write := func(path string, data []byte) {
				if err := os.WriteFile(path, data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write(pubFile, spkiPEM(t, algo, mustHex(t, v.PublicKey)))
			write(msgFile, sb)
			write(badMsgFile, bad)

			// OpenSSL reads the key we built as the expected curve and point.
			text := openssl(t, "pkey", "-pubin", "-in", pubFile, "-noout", "-text")
			wantCurve := map[devicekey.Algo]string{devicekey.P256: "prime256v1", devicekey.Secp256k1: "secp256k1", devicekey.Ed25519: "ED25519"}[algo]
			if !strings.Contains(text, wantCurve) {
				t.Fatalf("openssl does not see a %s key:\n%s", wantCurve, text)
			}

			// OpenSSL derives the vector's public key from its private key.
			keyFile := filepath.Join(dir, "key.pem")
			write(keyFile, privateKeyPEM(t, algo, mustHex(t, v.PrivateKey)))
			derived := openssl(t, "pkey", "-in", keyFile, "-pubout")
			if derived != string(spkiPEM(t, algo, mustHex(t, v.PublicKey))) {
				t.Fatalf("openssl derives public key\n%s\nfrom the private key; the vector has\n%s", derived, spkiPEM(t, algo, mustHex(t, v.PublicKey)))
			}

			if algo == devicekey.Ed25519 {
				// Ed25519 is deterministic everywhere: OpenSSL's signature is the vector's.
				ossSig := filepath.Join(dir, "openssl.sig")
				openssl(t, "pkeyutl", "-sign", "-inkey", keyFile, "-rawin", "-in", msgFile, "-out", ossSig)
				if got, _ := os.ReadFile(ossSig); !bytes.Equal(got, sig) {
					t.Fatalf("openssl signs %x, vector has %x", got, sig)
				}
				write(sigFile, sig)
				openssl(t, "pkeyutl", "-verify", "-pubin", "-inkey", pubFile, "-rawin", "-in", msgFile, "-sigfile", sigFile)
				opensslRejects(t, "pkeyutl", "-verify", "-pubin", "-inkey", pubFile, "-rawin", "-in", badMsgFile, "-sigfile", sigFile)
				return
			}
			write(sigFile, derSignature(t, sig))
			out := openssl(t, "dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, msgFile)
			if !strings.Contains(out, "Verified OK") {
				t.Fatalf("openssl: %s", out)
			}
			opensslRejects(t, "dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, badMsgFile)
		})
	}
}

// ------------------------------------------------------------------------

// TestSignBytesVectorsMarkdown prints the vectors as a markdown section for
// x/streams/README.md (run with -v to see it).
func TestSignBytesVectorsMarkdown(t *testing.T) {
	vs := loadVectors(t)
	var b strings.Builder
	v0 := vs[0]
	fmt.Fprintf(&b, "\n### Sign-bytes test vectors\n\n")
	fmt.Fprintf(&b, "Machine-readable: `x/streams/types/testdata/signbytes_vectors.json`, checked by\n")
	fmt.Fprintf(&b, "`x/streams/types/signbytes_test.go` (which also has OpenSSL verify them).\n\n")
	fmt.Fprintf(&b, "Common inputs: chain id `%s`, stream_id `%d`, seq `%d`, timestamp_ms `%d`,\n", v0.ChainID, v0.StreamID, v0.Seq, v0.TimestampMs)
	fmt.Fprintf(&b, "payload `%s` (hex `%s`),\n", mustHex(t, v0.Payload), v0.Payload)
	fmt.Fprintf(&b, "payload_sha256 `%s`.\n", v0.PayloadSha256)
	fmt.Fprintf(&b, "Private key: the 32 bytes `0x01 0x02 … 0x20` (ECDSA scalar / Ed25519 seed).\n\n")
	fmt.Fprintf(&b, "sign_bytes is the protobuf encoding of `EnvelopeSignDoc`, fields in order, zero values omitted:\n\n")
	fmt.Fprintf(&b, "| field | name | wire type | content |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| 1 | domain | 2 (bytes) | `w3b/envelope/v1` |\n")
	fmt.Fprintf(&b, "| 2 | chain_id | 2 (bytes) | chain id |\n")
	fmt.Fprintf(&b, "| 3 | stream_id | 0 (varint) | |\n")
	fmt.Fprintf(&b, "| 4 | device_id | 2 (bytes) | bech32 `w3bdev1…` string |\n")
	fmt.Fprintf(&b, "| 5 | seq | 0 (varint) | |\n")
	fmt.Fprintf(&b, "| 6 | timestamp_ms | 0 (varint) | |\n")
	fmt.Fprintf(&b, "| 7 | payload_sha256 | 2 (bytes) | SHA-256 of the payload, 32 bytes |\n\n")
	for _, v := range vs {
		fmt.Fprintf(&b, "#### %s\n\n", v.Algo)
		fmt.Fprintf(&b, "- private key: `%s`\n", v.PrivateKey)
		fmt.Fprintf(&b, "- public key (%s): `%s`\n", pubKeyForm(v.Algo), v.PublicKey)
		fmt.Fprintf(&b, "- device id: `%s`\n", v.DeviceID)
		fmt.Fprintf(&b, "- sign bytes: `%s`\n", v.SignBytes)
		fmt.Fprintf(&b, "- signature (%s): `%s`\n\n", v.SignatureNote, v.Signature)
	}
	t.Log(b.String())
}

func pubKeyForm(algo string) string {
	if algo == string(devicekey.Ed25519) {
		return "raw 32 bytes"
	}
	return "compressed SEC1"
}
