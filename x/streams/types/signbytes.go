package types

import (
	"crypto/sha256"
	"fmt"
)

// SignDomain separates envelope signatures from anything else a key signs.
const SignDomain = "w3b/envelope/v1"

// SignDoc is what the device signs for this envelope on chain chainID.
func (e *Envelope) SignDoc(chainID string) EnvelopeSignDoc {
	h := sha256.Sum256(e.Payload)
	return EnvelopeSignDoc{
		Domain:        SignDomain,
		ChainId:       chainID,
		StreamId:      e.StreamId,
		DeviceId:      e.DeviceId,
		Seq:           e.Seq,
		TimestampMs:   e.TimestampMs,
		PayloadSha256: h[:],
	}
}

// Bytes is the deterministic protobuf encoding of the sign doc: fields in
// field-number order, zero values omitted, no unknown fields.
func (d *EnvelopeSignDoc) Bytes() []byte {
	bz, err := d.Marshal()
	if err != nil {
		panic(fmt.Errorf("marshal sign doc: %w", err)) // cannot fail for this message
	}
	return bz
}

// SignBytes is what the device signs: SignDoc(chainID).Bytes().
func (e *Envelope) SignBytes(chainID string) []byte {
	doc := e.SignDoc(chainID)
	return doc.Bytes()
}

// NextCommitment chains a record into a stream's commitment:
// SHA-256(previous || SHA-256(sign bytes)). Anyone holding the envelopes can
// recompute it.
func NextCommitment(prev, signBytes []byte) []byte {
	leaf := sha256.Sum256(signBytes)
	h := sha256.New()
	h.Write(prev)
	h.Write(leaf[:])
	return h.Sum(nil)
}
