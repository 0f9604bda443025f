package types

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// EnvelopeJSON is the JSON form of an envelope that devices, the CLI and the
// gateway exchange: bytes as hex (base64 accepted), numbers as JSON numbers
// (decimal strings accepted, as protobuf JSON writes 64-bit integers).
type EnvelopeJSON struct {
	StreamID    jsonUint64 `json:"stream_id"`
	DeviceID    string     `json:"device_id"`
	Seq         jsonUint64 `json:"seq"`
	TimestampMs jsonUint64 `json:"timestamp_ms"`
	Payload     jsonBytes  `json:"payload"`
	Signature   jsonBytes  `json:"signature"`
}

// ToJSON is the envelope in the exchange format, bytes in hex.
func (e Envelope) ToJSON() EnvelopeJSON {
	return EnvelopeJSON{
		StreamID: jsonUint64(e.StreamId), DeviceID: e.DeviceId, Seq: jsonUint64(e.Seq),
		TimestampMs: jsonUint64(e.TimestampMs), Payload: e.Payload, Signature: e.Signature,
	}
}

// Envelope converts back to the protobuf message.
func (j EnvelopeJSON) Envelope() Envelope {
	return Envelope{
		StreamId: uint64(j.StreamID), DeviceId: j.DeviceID, Seq: uint64(j.Seq),
		TimestampMs: uint64(j.TimestampMs), Payload: j.Payload, Signature: j.Signature,
	}
}

// ParseEnvelopesJSON reads one envelope object or an array of them. Unknown
// fields are an error, so a misspelt field never becomes a silent zero.
func ParseEnvelopesJSON(data []byte) ([]Envelope, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("no envelope: input is empty")
	}
	var list []*EnvelopeJSON
	if data[0] == '[' {
		if err := strictUnmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("envelope array: %w", err)
		}
	} else {
		var one *EnvelopeJSON
		if err := strictUnmarshal(data, &one); err != nil {
			return nil, fmt.Errorf("envelope: %w", err)
		}
		list = []*EnvelopeJSON{one}
	}
	out := make([]Envelope, len(list))
	for i, j := range list {
		if j == nil {
			return nil, fmt.Errorf("envelope %d is null", i)
		}
		out[i] = j.Envelope()
	}
	return out, nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// More() is false before a stray '}' or ']', so insist on the end of input.
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// jsonUint64 accepts 7 and "7".
type jsonUint64 uint64

func (u jsonUint64) MarshalJSON() ([]byte, error) {
	return strconv.AppendUint(nil, uint64(u), 10), nil
}

func (u *jsonUint64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an unsigned 64-bit integer", b)
	}
	*u = jsonUint64(v)
	return nil
}

// jsonBytes writes hex and reads hex or base64 (standard or URL, padded or not).
type jsonBytes []byte

func (b jsonBytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(hex.EncodeToString(b))
}

func (b *jsonBytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("bytes must be a hex or base64 string, got %s", data)
	}
	v, err := DecodeBytes(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// DecodeBytes reads hex (optionally 0x-prefixed) or base64.
func DecodeBytes(s string) ([]byte, error) {
	if v, err := hex.DecodeString(strings.TrimPrefix(s, "0x")); err == nil {
		return v, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if v, err := enc.DecodeString(s); err == nil {
			return v, nil
		}
	}
	return nil, fmt.Errorf("%q is neither hex nor base64", s)
}
