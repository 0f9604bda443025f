package types_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/w3bd/w3bd/x/streams/types"
)

var (
	jsonSig     = bytes.Repeat([]byte{0xab}, 64)
	jsonPayload = []byte(`{"temp_c":21.5}`)
)

func sampleEnvelope() types.Envelope {
	return types.Envelope{
		StreamId: 7, DeviceId: "w3bdev1urwysrqg9ywnvj0qtkpmd4cy88fnad632ddv5y", Seq: 42,
		TimestampMs: 1767225600000, Payload: jsonPayload, Signature: jsonSig,
	}
}

// envelopesEqual compares field by field, with nil and empty bytes equal
// (JSON cannot tell them apart).
func envelopesEqual(a, b []types.Envelope) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.StreamId != y.StreamId || x.DeviceId != y.DeviceId || x.Seq != y.Seq || x.TimestampMs != y.TimestampMs ||
			!bytes.Equal(x.Payload, y.Payload) || !bytes.Equal(x.Signature, y.Signature) {
			return false
		}
	}
	return true
}

func envelopeJSON(streamID, seq, ts string, payload, sig string) string {
	return `{"stream_id":` + streamID + `,"device_id":"w3bdev1urwysrqg9ywnvj0qtkpmd4cy88fnad632ddv5y","seq":` + seq +
		`,"timestamp_ms":` + ts + `,"payload":"` + payload + `","signature":"` + sig + `"}`
}

func TestParseEnvelopesJSON(t *testing.T) {
	want := []types.Envelope{sampleEnvelope()}
	hexP, hexS := hex.EncodeToString(jsonPayload), hex.EncodeToString(jsonSig)
	one := envelopeJSON("7", "42", "1767225600000", hexP, hexS)

	for _, c := range []struct {
		name string
		in   string
		want []types.Envelope
	}{
		{"one object", one, want},
		{"one object, surrounding whitespace", "\n\t " + one + " \n", want},
		{"array of one", "[" + one + "]", want},
		{"array of two", "[" + one + ",\n" + envelopeJSON("8", "43", "1", hexP, hexS) + "]", append(append([]types.Envelope{}, want...),
			types.Envelope{StreamId: 8, DeviceId: want[0].DeviceId, Seq: 43, TimestampMs: 1, Payload: jsonPayload, Signature: jsonSig})},
		{"empty array", "[]", []types.Envelope{}},
		{"hex upper case", envelopeJSON("7", "42", "1767225600000", strings.ToUpper(hexP), strings.ToUpper(hexS)), want},
		{"hex 0x prefix", envelopeJSON("7", "42", "1767225600000", "0x"+hexP, "0x"+hexS), want},
		{"base64 std padded", envelopeJSON("7", "42", "1767225600000",
			base64.StdEncoding.EncodeToString(jsonPayload), base64.StdEncoding.EncodeToString(jsonSig)), want},
		{"base64 std raw", envelopeJSON("7", "42", "1767225600000",
			base64.RawStdEncoding.EncodeToString(jsonPayload), base64.RawStdEncoding.EncodeToString(jsonSig)), want},
		{"base64 url", envelopeJSON("7", "42", "1767225600000",
			base64.URLEncoding.EncodeToString(jsonPayload), base64.RawURLEncoding.EncodeToString(jsonSig)), want},
		{"numbers as strings", envelopeJSON(`"7"`, `"42"`, `"1767225600000"`, hexP, hexS), want},
		{"max uint64 as string", envelopeJSON(`"18446744073709551615"`, "42", "1767225600000", hexP, hexS),
			[]types.Envelope{{StreamId: ^uint64(0), DeviceId: want[0].DeviceId, Seq: 42, TimestampMs: 1767225600000, Payload: jsonPayload, Signature: jsonSig}}},
		{"missing fields are zero", `{"device_id":"d"}`, []types.Envelope{{DeviceId: "d"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := types.ParseEnvelopesJSON([]byte(c.in))
			if err != nil {
				t.Fatalf("ParseEnvelopesJSON(%s): %v", c.in, err)
			}
			if !envelopesEqual(got, c.want) {
				t.Fatalf("ParseEnvelopesJSON(%s)\n got %+v\nwant %+v", c.in, got, c.want)
			}
		})
	}
}

func TestParseEnvelopesJSONRejects(t *testing.T) {
	hexP, hexS := hex.EncodeToString(jsonPayload), hex.EncodeToString(jsonSig)
	one := envelopeJSON("7", "42", "1767225600000", hexP, hexS)
	for _, c := range []struct {
		name, in, errHas string
	}{
		{"empty input", "", "empty"},
		{"whitespace only", " \n\t ", "empty"},
		{"unknown field", `{"stream_id":7,"sequence":42}`, `unknown field "sequence"`},
		{"unknown field in array element", `[` + one + `,{"stream":7}]`, `unknown field "stream"`},
		{"trailing garbage", one + " xyz", "trailing"},
		{"trailing second object", one + one, "trailing"},
		{"trailing second array", "[" + one + "][]", "trailing"},
		{"truncated", one[:len(one)-1], "unexpected EOF"},
		{"not JSON", "stream 7 seq 42", "invalid character"},
		{"number negative", envelopeJSON("-7", "42", "1", hexP, hexS), "not an unsigned 64-bit integer"},
		{"number fractional", envelopeJSON("7.5", "42", "1", hexP, hexS), "not an unsigned 64-bit integer"},
		{"number exponent", envelopeJSON("7", "42", "1e3", hexP, hexS), "not an unsigned 64-bit integer"},
		{"number overflow", envelopeJSON("18446744073709551616", "42", "1", hexP, hexS), "not an unsigned 64-bit integer"},
		{"number string not numeric", envelopeJSON(`"seven"`, "42", "1", hexP, hexS), "not an unsigned 64-bit integer"},
		{"number empty string", envelopeJSON(`""`, "42", "1", hexP, hexS), "not an unsigned 64-bit integer"},
		{"number null", envelopeJSON("null", "42", "1", hexP, hexS), "not an unsigned 64-bit integer"},
		{"number bool", envelopeJSON("true", "42", "1", hexP, hexS), "not an unsigned 64-bit integer"},
		{"bytes neither hex nor base64", envelopeJSON("7", "42", "1", "zz!!", hexS), "neither hex nor base64"},
		{"bytes as number", `{"payload":12}`, "hex or base64 string"},
		{"bytes as array", `{"signature":[1,2]}`, "hex or base64 string"},
		{"top-level scalar", `7`, "cannot unmarshal number"},
		{"top-level string", `"x"`, "cannot unmarshal string"},
		{"array of non-objects", `[1]`, "cannot unmarshal number"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := types.ParseEnvelopesJSON([]byte(c.in))
			if err == nil {
				t.Fatalf("ParseEnvelopesJSON(%q) = %+v, want an error", c.in, got)
			}
			if !strings.Contains(err.Error(), c.errHas) {
				t.Fatalf("ParseEnvelopesJSON(%q): error %q does not mention %q", c.in, err, c.errHas)
			}
		})
	}
}

// TestParseEnvelopesJSONTrailingCloser: json.Decoder.More reports false when
// the next byte is '}' or ']', so the parser must insist on the end of input.
func TestParseEnvelopesJSONTrailingCloser(t *testing.T) {
	one := envelopeJSON("7", "42", "1767225600000", hex.EncodeToString(jsonPayload), hex.EncodeToString(jsonSig))
	for _, in := range []string{one + "}", one + "]", "[" + one + "]]", "[" + one + "]}", one + " } garbage"} {
		if got, err := types.ParseEnvelopesJSON([]byte(in)); err == nil {
			t.Errorf("trailing %q accepted, parsed %d envelope(s)", in[len(in)-1:], len(got))
		}
	}
}

// Field names: encoding/json matches keys case-insensitively and keeps the
// last of duplicate keys; DisallowUnknownFields does not change either. Pinned
// here so that a change of JSON library (which would change what the CLI and
// gateway accept) is noticed.
func TestParseEnvelopesJSONKeyMatching(t *testing.T) {
	got, err := types.ParseEnvelopesJSON([]byte(`{"Stream_ID":7,"SEQ":1,"seq":2}`))
	if err != nil {
		t.Fatalf("case-variant/duplicate keys: %v", err)
	}
	if got[0].StreamId != 7 || got[0].Seq != 2 {
		t.Fatalf("got stream %d seq %d, want 7 and 2 (case-insensitive keys, last duplicate wins)", got[0].StreamId, got[0].Seq)
	}
}

// Hex is tried before base64, so a base64 string that happens to be valid hex
// (only [0-9a-fA-F], even length) is read as hex. Devices should send hex.
func TestDecodeBytesHexFirst(t *testing.T) {
	raw := []byte{0xd7, 0x6d, 0xf8}
	b64 := base64.StdEncoding.EncodeToString(raw)
	if b64 != "1234" {
		t.Fatalf("base64 of %x = %q", raw, b64)
	}
	got, err := types.DecodeBytes(b64)
	if err != nil || !bytes.Equal(got, []byte{0x12, 0x34}) {
		t.Fatalf(`DecodeBytes("1234") = %x, %v; want hex 1234 (not base64 d76df8)`, got, err)
	}
	got, err = types.DecodeBytes("")
	if err != nil || len(got) != 0 {
		t.Fatalf(`DecodeBytes("") = %x, %v`, got, err)
	}
}

// ToJSON writes hex and decimal numbers; what it writes parses back.
func TestEnvelopeToJSONRoundTrip(t *testing.T) {
	env := sampleEnvelope()
	out, err := json.Marshal(env.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := envelopeJSON("7", "42", "1767225600000", hex.EncodeToString(jsonPayload), hex.EncodeToString(jsonSig))
	if string(out) != wantJSON {
		t.Fatalf("ToJSON:\n got %s\nwant %s", out, wantJSON)
	}
	back, err := types.ParseEnvelopesJSON(out)
	if err != nil || !envelopesEqual(back, []types.Envelope{env}) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	// Max values survive as JSON numbers.
	env.StreamId, env.Seq, env.TimestampMs = ^uint64(0), ^uint64(0), ^uint64(0)
	out, _ = json.Marshal([]types.EnvelopeJSON{env.ToJSON()})
	back, err = types.ParseEnvelopesJSON(out)
	if err != nil || !envelopesEqual(back, []types.Envelope{env}) {
		t.Fatalf("max values round trip: %s -> %+v, %v", out, back, err)
	}
}

// FuzzParseEnvelopesJSON: never panics; whatever parses re-marshals through
// ToJSON and parses back to the same envelopes, both as an array and, for a
// single envelope, as an object.
//
//	go test -run='^$' -fuzz=FuzzParseEnvelopesJSON -fuzztime=20s ./x/streams/types/
func FuzzParseEnvelopesJSON(f *testing.F) {
	hexP, hexS := hex.EncodeToString(jsonPayload), hex.EncodeToString(jsonSig)
	one := envelopeJSON("7", "42", "1767225600000", hexP, hexS)
	for _, s := range []string{
		one,
		"[" + one + "," + one + "]",
		"[]",
		envelopeJSON(`"7"`, `"42"`, `"1767225600000"`, base64.StdEncoding.EncodeToString(jsonPayload), base64.RawURLEncoding.EncodeToString(jsonSig)),
		envelopeJSON("7", "42", "1", "0x"+hexP, "0X"+hexS),
		`{"device_id":"\u0077\ud83d\ude00","payload":""}`,
		`{"stream_id":18446744073709551615}`,
		`{"stream_id":7,"bogus":1}`,
		one + " xyz",
		one + "}",
		"",
		"null",
		`[null]`,
		"\x00\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		envs, err := types.ParseEnvelopesJSON(data)
		if err != nil {
			if envs != nil {
				t.Fatalf("error %v with non-nil result", err)
			}
			return
		}
		// What parses is exactly one JSON value.
		if !json.Valid(data) {
			t.Fatalf("accepted input that is not a single JSON value: %q", data)
		}
		js := make([]types.EnvelopeJSON, len(envs))
		for i, e := range envs {
			js[i] = e.ToJSON()
		}
		out, err := json.Marshal(js)
		if err != nil {
			t.Fatalf("marshal %+v: %v", envs, err)
		}
		back, err := types.ParseEnvelopesJSON(out)
		if err != nil {
			t.Fatalf("re-parse of ToJSON output %s: %v", out, err)
		}
		if !envelopesEqual(back, envs) {
			t.Fatalf("round trip changed envelopes:\n in  %+v\n out %+v\n via %s", envs, back, out)
		}
		if len(envs) == 1 {
			out, err := json.Marshal(js[0])
			if err != nil {
				t.Fatal(err)
			}
			back, err := types.ParseEnvelopesJSON(out)
			if err != nil || !envelopesEqual(back, envs) {
				t.Fatalf("single-object round trip via %s: %+v, %v", out, back, err)
			}
		}
	})
}

// TestParseEnvelopesJSONNull: a JSON null (alone or as an array element) is
// not an envelope; json.Unmarshal would leave a zero value, so the parser
// must refuse it rather than let the CLI or gateway submit an empty envelope.
func TestParseEnvelopesJSONNull(t *testing.T) {
	for _, in := range []string{"null", "[null]", `[{"device_id":"d"},null]`} {
		if got, err := types.ParseEnvelopesJSON([]byte(in)); err == nil {
			t.Errorf("%s parsed as %d envelope(s)", in, len(got))
		}
	}
}
