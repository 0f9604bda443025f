package keeper_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/types"
)

var (
	blockMs   = uint64(testutil.BlockTime.UnixMilli())
	horizonMs = uint64(testutil.BlockTime.Add(types.DefaultParams().MaxClockSkew).UnixMilli())
)

// rejectCase is one envelope that must be rejected. The scene has dev (the
// algorithm under test) with seqs 1..3 already accepted as records 0..2.
type rejectCase struct {
	name   string
	reason string
	err    error
	// devStays is false when the case leaves dev unable to publish.
	devStays bool
	build    func(t *testing.T, r *rejectScene) types.Envelope
}

type rejectScene struct {
	*scene
	dev, sameAlgo, otherAlgo *testutil.Device
	prior                    []types.Envelope
	stream2                  uint64
}

func resign(t *testing.T, d *testutil.Device, env types.Envelope) types.Envelope {
	d.Sign(t, &env)
	return env
}

func rejectCases() []rejectCase {
	return []rejectCase{
		{name: "forged signature (bit flip)", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.Signature[len(env.Signature)-1] ^= 0x01
				return env
			}},
		{name: "forged signature (bit flip in r)", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.Signature[3] ^= 0x80
				return env
			}},
		{name: "payload changed after signing", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.Payload = testutil.Reading(5)
				return env
			}},
		{name: "seq changed after signing", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.Seq = 5
				return env
			}},
		{name: "timestamp changed after signing", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.TimestampMs--
				return env
			}},
		{name: "stream changed after signing", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.StreamId = r.stream2
				return env
			}},
		{name: "signed by another registered key (same algo)", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				return resign(t, r.sameAlgo, env)
			}},
		{name: "signed by another registered key (other algo)", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				return resign(t, r.otherAlgo, env)
			}},
		{name: "signed for another chain id", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				sig, err := r.dev.Key.Sign(env.SignBytes("w3bd-other"))
				require.NoError(t, err)
				env.Signature = sig
				return env
			}},
		{name: "signature over the bare sign doc without chain id", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				sig, err := r.dev.Key.Sign(env.SignBytes(""))
				require.NoError(t, err)
				env.Signature = sig
				return env
			}},
		{name: "truncated signature", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.Signature = env.Signature[:63]
				return env
			}},
		{name: "zero signature", reason: types.ReasonBadSignature, err: errBadSig, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.Signature = make([]byte, 64)
				return env
			}},
		{name: "unknown device", reason: types.ReasonUnknownDevice, err: errUnknownDev, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				return testutil.NewDevice(t, r.dev.Key.Algo(), 999).Envelope(t, r.stream, 4, testutil.Reading(4))
			}},
		{name: "malformed device id", reason: types.ReasonMalformed, err: errBadID, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.DeviceId = "w3bdev1notadevice"
				return resign(t, r.dev, env)
			}},
		{name: "non-canonical (upper-case) device id", reason: types.ReasonMalformed, err: errBadID, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.DeviceId = strings.ToUpper(r.dev.ID)
				return resign(t, r.dev, env)
			}},
		{name: "account address as device id", reason: types.ReasonMalformed, err: errBadID, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.DeviceId = r.owner
				return resign(t, r.dev, env)
			}},
		{name: "suspended device", reason: types.ReasonDeviceSuspended, err: errSuspended, devStays: false,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				r.f.SetStatus(t, r.owner, r.dev.ID, devicestypes.StatusSuspended)
				return r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
			}},
		{name: "revoked device", reason: types.ReasonDeviceRevoked, err: errRevoked, devStays: false,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				r.f.SetStatus(t, r.owner, r.dev.ID, devicestypes.StatusRevoked)
				return r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
			}},
		{name: "device of another project", reason: types.ReasonWrongProject, err: errWrongProj, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				p2 := r.f.Project(t, r.owner)
				d := testutil.NewDevice(t, r.dev.Key.Algo(), 500)
				r.f.Register(t, r.owner, p2, d)
				return d.Envelope(t, r.stream, 4, testutil.Reading(4))
			}},
		{name: "unknown stream", reason: types.ReasonUnknownStream, err: types.ErrStreamNotFound, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				return r.dev.Envelope(t, 999, 4, testutil.Reading(4))
			}},
		{name: "stream zero", reason: types.ReasonUnknownStream, err: types.ErrStreamNotFound, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				return r.dev.Envelope(t, 0, 4, testutil.Reading(4))
			}},
		{name: "replay of the exact same envelope", reason: types.ReasonStaleSeq, err: errStale, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope { return r.prior[2] }},
		{name: "replay of an older envelope", reason: types.ReasonStaleSeq, err: errStale, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope { return r.prior[0] }},
		{name: "replayed seq with new payload", reason: types.ReasonStaleSeq, err: errStale, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				return r.dev.Envelope(t, r.stream, 3, testutil.Reading(77))
			}},
		{name: "older seq", reason: types.ReasonStaleSeq, err: errStale, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				return r.dev.Envelope(t, r.stream, 1, testutil.Reading(78))
			}},
		{name: "last seq on another stream", reason: types.ReasonStaleSeq, err: errStale, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				return r.dev.Envelope(t, r.stream2, 3, testutil.Reading(79))
			}},
		{name: "payload one byte over max_payload_bytes", reason: types.ReasonPayloadTooLarge, err: types.ErrPayloadTooLarge, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				return r.dev.Envelope(t, r.stream, 4, bytes.Repeat([]byte{'x'}, int(types.DefaultParams().MaxPayloadBytes)+1))
			}},
		{name: "timestamp one ms past the horizon", reason: types.ReasonFutureTimestamp, err: types.ErrFutureTimestamp, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.TimestampMs = horizonMs + 1
				return resign(t, r.dev, env)
			}},
		{name: "timestamp far in the future", reason: types.ReasonFutureTimestamp, err: types.ErrFutureTimestamp, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.TimestampMs = ^uint64(0)
				return resign(t, r.dev, env)
			}},
		{name: "empty signature", reason: types.ReasonMalformed, err: types.ErrMalformedEnvelope, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.Signature = nil
				return env
			}},
		{name: "seq zero", reason: types.ReasonMalformed, err: types.ErrMalformedEnvelope, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				return r.dev.Envelope(t, r.stream, 0, testutil.Reading(4))
			}},
		{name: "empty device id", reason: types.ReasonMalformed, err: types.ErrMalformedEnvelope, devStays: true,
			build: func(t *testing.T, r *rejectScene) types.Envelope {
				env := r.dev.Envelope(t, r.stream, 4, testutil.Reading(4))
				env.DeviceId = ""
				return resign(t, r.dev, env)
			}},
	}
}

func newRejectScene(t *testing.T, algo devicekey.Algo) *rejectScene {
	r := &rejectScene{scene: newScene(t)}
	r.stream2 = r.f.Stream(t, r.owner, r.project)
	r.dev = r.device(t, algo, 1)
	r.sameAlgo = r.device(t, algo, 2)
	r.otherAlgo = r.device(t, allAlgos[(indexOf(algo)+1)%3], 3)
	for seq := uint64(1); seq <= 3; seq++ {
		r.prior = append(r.prior, r.dev.Envelope(t, r.stream, seq, testutil.Reading(int(seq))))
	}
	res := r.f.Publish(t, r.prior...)
	require.Equal(t, uint32(3), res.Accepted)
	return r
}

func indexOf(a devicekey.Algo) int {
	for i, b := range allAlgos {
		if a == b {
			return i
		}
	}
	panic(a)
}

func TestPublishRejections(t *testing.T) {
	for _, algo := range allAlgos {
		for _, tc := range rejectCases() {
			t.Run(string(algo)+"/"+tc.name, func(t *testing.T) {
				r := newRejectScene(t, algo)
				env := tc.build(t, r)
				// Everything the build step changed (status, projects) is
				// part of the "before" state.
				beforeDev, beforeStreams := r.f.GenesisJSON(t)
				priorRecords := r.records(t, r.stream)
				require.Len(t, priorRecords, 3)
				before := r.streamState(t, r.stream)
				nRec, nIdx := countRecords(t, r.f)
				envDevice, devErr := r.f.Devices.GetDevice(r.f.Ctx, env.DeviceId)

				r.f.ResetEvents()
				res := r.f.Publish(t, env)
				require.Equal(t, uint32(0), res.Accepted)
				require.Equal(t, uint32(1), res.Rejected)
				require.Len(t, res.Results, 1)
				requireRejected(t, res.Results[0], env, tc.reason, tc.err)

				// Events: one rejection with the reason, no append.
				require.Empty(t, r.f.Events(types.EventTypeRecordsAppended))
				rej := r.f.Events(types.EventTypeEnvelopeRejected)
				require.Len(t, rej, 1)
				require.Equal(t, tc.reason, rej[0][types.AttributeKeyReason])
				require.Equal(t, env.DeviceId, rej[0][types.AttributeKeyDeviceID])
				require.Equal(t, strconv.FormatUint(env.Seq, 10), rej[0][types.AttributeKeySeq])
				require.Equal(t, strconv.FormatUint(env.StreamId, 10), rej[0][types.AttributeKeyStreamID])
				require.Equal(t, res.Results[0].Error, rej[0][types.AttributeKeyError])

				// Nothing stored.
				after := r.streamState(t, r.stream)
				require.Equal(t, before, after)
				require.Equal(t, uint64(3), after.RecordCount)
				_, err := r.f.Streams.GetRecord(r.f.Ctx, r.stream, 3)
				require.ErrorIs(t, err, types.ErrRecordNotFound)
				_, err = r.f.Streams.GetRecord(r.f.Ctx, r.stream2, 0)
				require.ErrorIs(t, err, types.ErrRecordNotFound)
				gotRec, gotIdx := countRecords(t, r.f)
				require.Equal(t, nRec, gotRec)
				require.Equal(t, nIdx, gotIdx)
				require.Equal(t, uint64(3), r.lastSeq(t, r.dev))
				if devErr == nil {
					now, err := r.f.Devices.GetDevice(r.f.Ctx, env.DeviceId)
					require.NoError(t, err)
					require.Equal(t, envDevice.LastSeq, now.LastSeq, "last_seq of the envelope's device")
				}
				require.Equal(t, priorRecords, r.records(t, r.stream), "earlier records intact")
				afterDev, afterStreams := r.f.GenesisJSON(t)
				require.Equal(t, string(beforeDev), string(afterDev))
				require.Equal(t, string(beforeStreams), string(afterStreams))

				// The rejection consumed nothing: the device's next seq
				// still goes in as the next record.
				if tc.devStays {
					res := r.f.Publish(t, r.dev.Envelope(t, r.stream, 4, testutil.Reading(4)))
					require.Equal(t, uint32(1), res.Accepted, "%+v", res.Results)
					require.Equal(t, uint64(3), res.Results[0].RecordIndex)
				}
			})
		}
	}
}

func TestPublishAcceptsAtLimits(t *testing.T) {
	maxPayload := int(types.DefaultParams().MaxPayloadBytes)
	tests := []struct {
		name      string
		payload   []byte
		timestamp uint64
	}{
		{name: "payload exactly max_payload_bytes", payload: bytes.Repeat([]byte{0xab}, maxPayload), timestamp: blockMs},
		{name: "timestamp exactly at the horizon", payload: testutil.Reading(1), timestamp: horizonMs},
		{name: "timestamp in the past", payload: testutil.Reading(1), timestamp: blockMs - uint64(time.Hour.Milliseconds())},
		{name: "timestamp zero", payload: testutil.Reading(1), timestamp: 0},
		{name: "empty payload", payload: nil, timestamp: blockMs},
	}
	for _, algo := range allAlgos {
		for _, tc := range tests {
			t.Run(string(algo)+"/"+tc.name, func(t *testing.T) {
				s := newScene(t)
				dev := s.device(t, algo, 1)
				env := types.Envelope{StreamId: s.stream, DeviceId: dev.ID, Seq: 1, TimestampMs: tc.timestamp, Payload: tc.payload}
				dev.Sign(t, &env)
				res := s.f.Publish(t, env)
				require.Equal(t, uint32(1), res.Accepted, "%+v", res.Results)
				require.Equal(t, types.EnvelopeResult{StreamId: s.stream, DeviceId: dev.ID, Seq: 1, Accepted: true, RecordIndex: 0}, res.Results[0])
				rec, err := s.f.Streams.GetRecord(s.f.Ctx, s.stream, 0)
				require.NoError(t, err)
				require.Equal(t, len(tc.payload), len(rec.Payload))
				require.True(t, bytes.Equal(tc.payload, rec.Payload))
				require.Equal(t, tc.timestamp, rec.TimestampMs)
				h := sha256.Sum256(tc.payload)
				require.Equal(t, h[:], rec.PayloadHash)
				require.Equal(t, uint64(1), s.lastSeq(t, dev))
			})
		}
	}
}

func TestPublishClockSkewParam(t *testing.T) {
	s := newScene(t)
	dev := s.device(t, devicekey.Ed25519, 1)
	params := types.DefaultParams()
	params.MaxClockSkew = 0
	_, err := s.f.StreamsMsg.UpdateParams(s.f.Ctx, &types.MsgUpdateParams{Authority: s.f.Authority, Params: params})
	require.NoError(t, err)
	atBlock := dev.Envelope(t, s.stream, 1, testutil.Reading(1))
	ahead := types.Envelope{StreamId: s.stream, DeviceId: dev.ID, Seq: 2, TimestampMs: blockMs + 1, Payload: testutil.Reading(2)}
	dev.Sign(t, &ahead)
	res := s.f.Publish(t, atBlock, ahead)
	require.True(t, res.Results[0].Accepted)
	require.Equal(t, types.ReasonFutureTimestamp, res.Results[1].Reason)
}

func TestPublishPayloadParam(t *testing.T) {
	s := newScene(t)
	dev := s.device(t, devicekey.P256, 1)
	params := types.DefaultParams()
	params.MaxPayloadBytes = 8
	_, err := s.f.StreamsMsg.UpdateParams(s.f.Ctx, &types.MsgUpdateParams{Authority: s.f.Authority, Params: params})
	require.NoError(t, err)
	res := s.f.Publish(t,
		dev.Envelope(t, s.stream, 1, []byte("12345678")),
		dev.Envelope(t, s.stream, 2, []byte("123456789")),
	)
	require.True(t, res.Results[0].Accepted)
	require.Equal(t, types.ReasonPayloadTooLarge, res.Results[1].Reason)
	require.Contains(t, res.Results[1].Error, types.ErrPayloadTooLarge.Error())
}

func TestPublishMixedBatch(t *testing.T) {
	s := newScene(t)
	p256 := s.device(t, devicekey.P256, 1)
	k1 := s.device(t, devicekey.Secp256k1, 2)
	ed := s.device(t, devicekey.Ed25519, 3)
	stream2 := s.f.Stream(t, s.owner, s.project)
	// One earlier record, so indexes do not start at 0.
	require.Equal(t, uint32(1), s.f.Publish(t, ed.Envelope(t, s.stream, 1, testutil.Reading(0))).Accepted)

	bad := p256.Envelope(t, s.stream, 7, testutil.Reading(7))
	bad.Signature[0] ^= 0x40
	big := k1.Envelope(t, s.stream, 9, bytes.Repeat([]byte{1}, 5000))
	envs := []types.Envelope{
		p256.Envelope(t, s.stream, 1, testutil.Reading(1)), // 0 ok -> index 1
		bad, // 1 bad_signature
		k1.Envelope(t, s.stream, 3, testutil.Reading(3)),   // 2 ok -> index 2
		ed.Envelope(t, 42, 2, testutil.Reading(2)),         // 3 unknown_stream
		ed.Envelope(t, stream2, 2, testutil.Reading(2)),    // 4 ok -> stream2 index 0
		p256.Envelope(t, s.stream, 1, testutil.Reading(1)), // 5 stale (same as 0)
		big, // 6 payload_too_large
		ed.Envelope(t, s.stream, 5, testutil.Reading(5)),                        // 7 ok -> index 3
		testutil.NewDevice(t, devicekey.P256, 66).Envelope(t, s.stream, 1, nil), // 8 unknown_device
		k1.Envelope(t, stream2, 4, testutil.Reading(4)),                         // 9 ok -> stream2 index 1
		ed.Envelope(t, s.stream, 5, testutil.Reading(6)),                        // 10 stale (equal to 7)
	}
	type want struct {
		accepted bool
		index    uint64
		reason   string
		err      error
	}
	wants := []want{
		{accepted: true, index: 1},
		{reason: types.ReasonBadSignature, err: errBadSig},
		{accepted: true, index: 2},
		{reason: types.ReasonUnknownStream, err: types.ErrStreamNotFound},
		{accepted: true, index: 0},
		{reason: types.ReasonStaleSeq, err: errStale},
		{reason: types.ReasonPayloadTooLarge, err: types.ErrPayloadTooLarge},
		{accepted: true, index: 3},
		{reason: types.ReasonUnknownDevice, err: errUnknownDev},
		{accepted: true, index: 1},
		{reason: types.ReasonStaleSeq, err: errStale},
	}

	s.f.ResetEvents()
	res := s.f.Publish(t, envs...)
	require.Equal(t, uint32(5), res.Accepted)
	require.Equal(t, uint32(6), res.Rejected)
	require.Len(t, res.Results, len(envs))
	for i, w := range wants {
		got := res.Results[i]
		require.Equal(t, envs[i].StreamId, got.StreamId, "result %d", i)
		require.Equal(t, envs[i].DeviceId, got.DeviceId, "result %d", i)
		require.Equal(t, envs[i].Seq, got.Seq, "result %d", i)
		if w.accepted {
			require.True(t, got.Accepted, "result %d: %+v", i, got)
			require.Equal(t, w.index, got.RecordIndex, "result %d", i)
			require.Empty(t, got.Reason)
			require.Empty(t, got.Error)
			rec, err := s.f.Streams.GetRecord(s.f.Ctx, envs[i].StreamId, w.index)
			require.NoError(t, err)
			require.Equal(t, envs[i].DeviceId, rec.DeviceId)
			require.Equal(t, envs[i].Seq, rec.Seq)
			require.Equal(t, envs[i].Payload, rec.Payload)
		} else {
			requireRejected(t, got, envs[i], w.reason, w.err)
		}
	}
	require.Equal(t, uint64(4), s.streamState(t, s.stream).RecordCount)
	require.Equal(t, uint64(2), s.streamState(t, stream2).RecordCount)
	require.Equal(t, uint64(1), s.lastSeq(t, p256))
	require.Equal(t, uint64(4), s.lastSeq(t, k1))
	require.Equal(t, uint64(5), s.lastSeq(t, ed))

	// One records_appended per touched stream, in first-append order, with
	// the range of indexes and the new commitment.
	appended := s.f.Events(types.EventTypeRecordsAppended)
	type rng struct{ first, last, count uint64 }
	ranges := map[uint64]*rng{}
	var order []uint64
	for i, w := range wants {
		if !w.accepted {
			continue
		}
		sid := envs[i].StreamId
		if r, ok := ranges[sid]; ok {
			r.last, r.count = w.index, r.count+1
			continue
		}
		ranges[sid] = &rng{w.index, w.index, 1}
		order = append(order, sid)
	}
	require.Len(t, appended, len(order))
	for j, sid := range order {
		ev := appended[j]
		require.Equal(t, strconv.FormatUint(sid, 10), ev[types.AttributeKeyStreamID])
		require.Equal(t, strconv.FormatUint(ranges[sid].first, 10), ev[types.AttributeKeyFirstIndex])
		require.Equal(t, strconv.FormatUint(ranges[sid].last, 10), ev[types.AttributeKeyLastIndex])
		require.Equal(t, strconv.FormatUint(ranges[sid].count, 10), ev[types.AttributeKeyCount])
		require.Equal(t, hex.EncodeToString(s.streamState(t, sid).Commitment), ev[types.AttributeKeyCommitment])
	}
	// One envelope_rejected per rejected envelope, with its reason.
	rejected := s.f.Events(types.EventTypeEnvelopeRejected)
	require.Len(t, rejected, 6)
	type key struct{ stream, device, seq, reason string }
	wantRej, gotRej := map[key]int{}, map[key]int{}
	for i, w := range wants {
		if !w.accepted {
			wantRej[key{strconv.FormatUint(envs[i].StreamId, 10), envs[i].DeviceId, strconv.FormatUint(envs[i].Seq, 10), w.reason}]++
		}
	}
	for _, ev := range rejected {
		gotRej[key{ev[types.AttributeKeyStreamID], ev[types.AttributeKeyDeviceID], ev[types.AttributeKeySeq], ev[types.AttributeKeyReason]}]++
	}
	require.Equal(t, wantRej, gotRej)
}

func TestPublishSameDeviceTwice(t *testing.T) {
	tests := []struct {
		name     string
		seqs     [2]uint64
		samePay  bool
		accepted [2]bool
		lastSeq  uint64
	}{
		{name: "5 then 6", seqs: [2]uint64{5, 6}, accepted: [2]bool{true, true}, lastSeq: 6},
		{name: "6 then 5", seqs: [2]uint64{6, 5}, accepted: [2]bool{true, false}, lastSeq: 6},
		{name: "5 then 5 (other payload)", seqs: [2]uint64{5, 5}, accepted: [2]bool{true, false}, lastSeq: 5},
		{name: "5 then 5 (same envelope)", seqs: [2]uint64{5, 5}, samePay: true, accepted: [2]bool{true, false}, lastSeq: 5},
	}
	for _, algo := range allAlgos {
		for _, tc := range tests {
			t.Run(string(algo)+"/"+tc.name, func(t *testing.T) {
				s := newScene(t)
				dev := s.device(t, algo, 1)
				first := dev.Envelope(t, s.stream, tc.seqs[0], testutil.Reading(1))
				second := dev.Envelope(t, s.stream, tc.seqs[1], testutil.Reading(2))
				if tc.samePay {
					second = first
				}
				res := s.f.Publish(t, first, second)
				var accepted uint32
				for i, want := range tc.accepted {
					require.Equal(t, want, res.Results[i].Accepted, "envelope %d: %+v", i, res.Results[i])
					if want {
						accepted++
					} else {
						requireRejected(t, res.Results[i], []types.Envelope{first, second}[i], types.ReasonStaleSeq, errStale)
					}
				}
				require.Equal(t, accepted, res.Accepted)
				require.Equal(t, 2-accepted, res.Rejected)
				require.Equal(t, tc.lastSeq, s.lastSeq(t, dev))
				st := s.streamState(t, s.stream)
				require.Equal(t, uint64(accepted), st.RecordCount)
				r0, err := s.f.Streams.GetRecord(s.f.Ctx, s.stream, 0)
				require.NoError(t, err)
				require.Equal(t, tc.seqs[0], r0.Seq)
				if accepted == 2 {
					r1, err := s.f.Streams.GetRecord(s.f.Ctx, s.stream, 1)
					require.NoError(t, err)
					require.Equal(t, tc.seqs[1], r1.Seq)
					require.Equal(t, uint64(1), res.Results[1].RecordIndex)
				}
			})
		}
	}
}

func TestPublishBadSignatureDoesNotBlockSameSeq(t *testing.T) {
	// A forged envelope with seq 5 must not stop the genuine seq 5 in the
	// same message (and vice versa the genuine one's seq applies after).
	s := newScene(t)
	dev := s.device(t, devicekey.Secp256k1, 1)
	forged := dev.Envelope(t, s.stream, 5, testutil.Reading(1))
	forged.Signature[10] ^= 1
	genuine := dev.Envelope(t, s.stream, 5, testutil.Reading(2))
	res := s.f.Publish(t, forged, genuine, genuine)
	require.Equal(t, types.ReasonBadSignature, res.Results[0].Reason)
	require.True(t, res.Results[1].Accepted)
	require.Equal(t, uint64(0), res.Results[1].RecordIndex)
	require.Equal(t, types.ReasonStaleSeq, res.Results[2].Reason)
	require.Equal(t, uint64(5), s.lastSeq(t, dev))
}

// A gateway with two transactions in flight for one device sets after_seqs:
// whichever order they execute in, and whether or not the earlier one fails,
// the later envelope never overtakes the earlier one.
func TestPublishAfterSeqs(t *testing.T) {
	publish := func(s *scene, envs []types.Envelope, after []uint64) *types.MsgPublishResponse {
		t.Helper()
		res, err := s.f.StreamsMsg.Publish(s.f.Ctx, &types.MsgPublish{Submitter: testutil.Submitter(), Envelopes: envs, AfterSeqs: after})
		require.NoError(t, err)
		return res
	}
	for _, algo := range allAlgos {
		t.Run(string(algo), func(t *testing.T) {
			s := newScene(t)
			dev := s.device(t, algo, 1)
			other := s.device(t, algo, 2)
			e := func(d *testutil.Device, seq uint64) types.Envelope {
				return d.Envelope(t, s.stream, seq, testutil.Reading(int(seq)))
			}
			require.Equal(t, uint32(1), publish(s, []types.Envelope{e(dev, 3)}, nil).Accepted)

			// The later transaction (seq 7 after 5) executes first: out_of_order,
			// nothing stored, while a condition-free envelope beside it is admitted.
			later := []types.Envelope{e(dev, 7), e(other, 1)}
			res := publish(s, later, []uint64{5, 0})
			requireRejected(t, res.Results[0], later[0], types.ReasonOutOfOrder, devicestypes.ErrOutOfOrder)
			require.Contains(t, res.Results[0].Error, "follow seq 5, last accepted 3")
			require.True(t, res.Results[1].Accepted)
			require.Equal(t, uint64(3), s.lastSeq(t, dev))
			require.Equal(t, uint64(2), s.streamState(t, s.stream).RecordCount)

			// The earlier one (seq 5 after 3) then seq 7 after 5 in one message:
			// a condition applies to the device's state as the message advances it.
			res = publish(s, []types.Envelope{e(dev, 5), e(dev, 7)}, []uint64{3, 5})
			require.True(t, res.Results[0].Accepted, "%+v", res.Results[0])
			require.True(t, res.Results[1].Accepted, "%+v", res.Results[1])
			require.Equal(t, uint64(7), s.lastSeq(t, dev))

			// A stale envelope is stale whatever its condition says, so a
			// resubmission of a committed envelope is still recognized as such.
			res = publish(s, []types.Envelope{e(dev, 7)}, []uint64{6})
			require.Equal(t, types.ReasonStaleSeq, res.Results[0].Reason)

			// A condition naming a seq that was never accepted (the earlier
			// envelope was rejected) holds the later one back too.
			res = publish(s, []types.Envelope{e(dev, 9)}, []uint64{8})
			require.Equal(t, types.ReasonOutOfOrder, res.Results[0].Reason)
			require.Equal(t, uint64(7), s.lastSeq(t, dev))
			var seqs []uint64
			for _, r := range s.records(t, s.stream) {
				if r.DeviceId == dev.ID {
					seqs = append(seqs, r.Seq)
				}
			}
			require.Equal(t, []uint64{3, 5, 7}, seqs)
		})
	}
}

func TestPublishMessageErrors(t *testing.T) {
	s := newScene(t)
	dev := s.device(t, devicekey.Ed25519, 1)
	require.Equal(t, uint32(1), s.f.Publish(t, dev.Envelope(t, s.stream, 1, testutil.Reading(1))).Accepted)
	params := types.DefaultParams()
	params.MaxEnvelopesPerMsg = 3
	_, err := s.f.StreamsMsg.UpdateParams(s.f.Ctx, &types.MsgUpdateParams{Authority: s.f.Authority, Params: params})
	require.NoError(t, err)

	envs := func(from, n int) []types.Envelope {
		var out []types.Envelope
		for i := range n {
			out = append(out, dev.Envelope(t, s.stream, uint64(from+i), testutil.Reading(i)))
		}
		return out
	}
	tests := []struct {
		name      string
		submitter string
		envelopes []types.Envelope
		afterSeqs []uint64
		wantErr   error
	}{
		{name: "zero envelopes", submitter: testutil.Submitter(), envelopes: nil, wantErr: types.ErrNoEnvelopes},
		{name: "empty envelope list", submitter: testutil.Submitter(), envelopes: []types.Envelope{}, wantErr: types.ErrNoEnvelopes},
		{name: "more than max_envelopes_per_msg", submitter: testutil.Submitter(), envelopes: envs(2, 4), wantErr: types.ErrTooManyEnvelopes},
		{name: "empty submitter", submitter: "", envelopes: envs(2, 1), wantErr: types.ErrInvalidSigner},
		{name: "garbage submitter", submitter: "nope", envelopes: envs(2, 1), wantErr: types.ErrInvalidSigner},
		{name: "device id as submitter", submitter: dev.ID, envelopes: envs(2, 1), wantErr: types.ErrInvalidSigner},
		{name: "fewer after_seqs than envelopes", submitter: testutil.Submitter(), envelopes: envs(2, 2), afterSeqs: []uint64{1}, wantErr: types.ErrAfterSeqsLength},
		{name: "more after_seqs than envelopes", submitter: testutil.Submitter(), envelopes: envs(2, 1), afterSeqs: []uint64{1, 2}, wantErr: types.ErrAfterSeqsLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			beforeDev, beforeStreams := s.f.GenesisJSON(t)
			s.f.ResetEvents()
			res, err := s.f.StreamsMsg.Publish(s.f.Ctx, &types.MsgPublish{Submitter: tc.submitter, Envelopes: tc.envelopes, AfterSeqs: tc.afterSeqs})
			require.ErrorIs(t, err, tc.wantErr)
			require.Nil(t, res)
			require.Empty(t, s.f.Ctx.EventManager().Events())
			afterDev, afterStreams := s.f.GenesisJSON(t)
			require.Equal(t, string(beforeDev), string(afterDev))
			require.Equal(t, string(beforeStreams), string(afterStreams))
		})
	}

	// Exactly max_envelopes_per_msg is fine.
	res := s.f.Publish(t, envs(2, 3)...)
	require.Equal(t, uint32(3), res.Accepted)
	require.Equal(t, uint64(4), s.streamState(t, s.stream).RecordCount)
}

// publishGas publishes envs on a context that charges only explicit gas (no
// store gas) and returns the gas used.
func publishGas(t *testing.T, f *testutil.Fixture, envs ...types.Envelope) (uint64, *types.MsgPublishResponse) {
	t.Helper()
	ctx := f.Ctx.WithGasMeter(storetypes.NewGasMeter(100_000_000)).WithKVGasConfig(storetypes.GasConfig{})
	res, err := f.StreamsMsg.Publish(ctx, &types.MsgPublish{Submitter: testutil.Submitter(), Envelopes: envs})
	require.NoError(t, err)
	return ctx.GasMeter().GasConsumed(), res
}

func TestPublishGas(t *testing.T) {
	s := newScene(t)
	params := types.DefaultParams()
	params.VerifyGasP256 = 1717
	params.VerifyGasSecp256K1 = 2929
	params.VerifyGasEd25519 = 311
	params.GasPerPayloadByte = 13
	_, err := s.f.StreamsMsg.UpdateParams(s.f.Ctx, &types.MsgUpdateParams{Authority: s.f.Authority, Params: params})
	require.NoError(t, err)
	p256 := s.device(t, devicekey.P256, 1)
	k1 := s.device(t, devicekey.Secp256k1, 2)
	ed := s.device(t, devicekey.Ed25519, 3)
	payload := bytes.Repeat([]byte{'p'}, 100)

	gasEd, res := publishGas(t, s.f, ed.Envelope(t, s.stream, 1, payload))
	require.Equal(t, uint32(1), res.Accepted)
	gasP256, res := publishGas(t, s.f, p256.Envelope(t, s.stream, 1, payload))
	require.Equal(t, uint32(1), res.Accepted)
	gasK1, res := publishGas(t, s.f, k1.Envelope(t, s.stream, 1, payload))
	require.Equal(t, uint32(1), res.Accepted)
	require.Equal(t, params.VerifyGasP256-params.VerifyGasEd25519, gasP256-gasEd)
	require.Equal(t, params.VerifyGasSecp256K1-params.VerifyGasP256, gasK1-gasP256)
	// With store gas off, an envelope costs exactly its verify and payload gas.
	require.Equal(t, params.VerifyGasEd25519+100*params.GasPerPayloadByte, gasEd)

	// Payload gas is per byte.
	small, _ := publishGas(t, s.f, ed.Envelope(t, s.stream, 2, payload[:10]))
	large, _ := publishGas(t, s.f, ed.Envelope(t, s.stream, 3, bytes.Repeat([]byte{'q'}, 1010)))
	require.Equal(t, 1000*params.GasPerPayloadByte, large-small)
	empty, _ := publishGas(t, s.f, ed.Envelope(t, s.stream, 4, nil))
	require.Equal(t, params.VerifyGasEd25519, empty)

	// Batches add up.
	batch, res := publishGas(t, s.f, ed.Envelope(t, s.stream, 5, payload), p256.Envelope(t, s.stream, 2, payload))
	require.Equal(t, uint32(2), res.Accepted)
	require.Equal(t, gasEd+gasP256, batch)

	// A bad signature is charged like a good one (the check was done); a
	// stale seq too. Envelopes rejected before the device is consulted pay
	// only for their payload, as do unknown devices and devices whose
	// project or status rule them out.
	forged := p256.Envelope(t, s.stream, 9, payload)
	forged.Signature[1] ^= 1
	g, res := publishGas(t, s.f, forged)
	require.Equal(t, types.ReasonBadSignature, res.Results[0].Reason)
	require.Equal(t, gasP256, g)
	g, res = publishGas(t, s.f, p256.Envelope(t, s.stream, 2, payload))
	require.Equal(t, types.ReasonStaleSeq, res.Results[0].Reason)
	require.Equal(t, gasP256, g)
	payloadGas := 100 * params.GasPerPayloadByte
	g, res = publishGas(t, s.f, p256.Envelope(t, 404, 10, payload))
	require.Equal(t, types.ReasonUnknownStream, res.Results[0].Reason)
	require.Equal(t, payloadGas, g)
	g, res = publishGas(t, s.f, testutil.NewDevice(t, devicekey.P256, 50).Envelope(t, s.stream, 1, payload))
	require.Equal(t, types.ReasonUnknownDevice, res.Results[0].Reason)
	require.Equal(t, payloadGas, g)
	s.f.SetStatus(t, s.owner, k1.ID, devicestypes.StatusSuspended)
	g, res = publishGas(t, s.f, k1.Envelope(t, s.stream, 2, payload))
	require.Equal(t, types.ReasonDeviceSuspended, res.Results[0].Reason)
	require.Equal(t, payloadGas, g)
	tooBig := bytes.Repeat([]byte{'z'}, int(params.MaxPayloadBytes)+1)
	g, res = publishGas(t, s.f, ed.Envelope(t, s.stream, 6, tooBig))
	require.Equal(t, types.ReasonPayloadTooLarge, res.Results[0].Reason)
	require.Equal(t, uint64(len(tooBig))*params.GasPerPayloadByte, g)
}

func TestPublishOutOfGas(t *testing.T) {
	s := newScene(t)
	dev := s.device(t, devicekey.P256, 1)
	ctx := s.f.Ctx.WithGasMeter(storetypes.NewGasMeter(500)).WithKVGasConfig(storetypes.GasConfig{})
	require.Panics(t, func() {
		_, _ = s.f.StreamsMsg.Publish(ctx, &types.MsgPublish{Submitter: testutil.Submitter(), Envelopes: []types.Envelope{dev.Envelope(t, s.stream, 1, nil)}})
	}, "verify gas (1000) exceeds the limit")
}

func TestStreamCommitment(t *testing.T) {
	s := newScene(t)
	devs := []*testutil.Device{s.device(t, devicekey.P256, 1), s.device(t, devicekey.Secp256k1, 2), s.device(t, devicekey.Ed25519, 3)}
	other := s.f.Stream(t, s.owner, s.project)
	require.Empty(t, s.streamState(t, s.stream).Commitment)

	var accepted []types.Envelope
	var commitment []byte
	seq := map[string]uint64{}
	for round := range 4 {
		var envs []types.Envelope
		for i, d := range devs {
			seq[d.ID]++
			env := d.Envelope(t, s.stream, seq[d.ID], testutil.Reading(round*3+i))
			envs = append(envs, env)
			// Noise that must not enter the chain: a forgery, a record of
			// another stream.
			if i == round%3 {
				forged := env
				forged.Seq += 100
				envs = append(envs, forged)
			}
		}
		seq[devs[0].ID]++
		envs = append(envs, devs[0].Envelope(t, other, seq[devs[0].ID], testutil.Reading(99)))
		res := s.f.Publish(t, envs...)
		require.Equal(t, uint32(len(devs)+1), res.Accepted)
		for i, r := range res.Results {
			if r.Accepted && envs[i].StreamId == s.stream {
				accepted = append(accepted, envs[i])
			}
		}
	}
	require.Len(t, accepted, 12)
	for _, env := range accepted {
		commitment = types.NextCommitment(commitment, env.SignBytes(testutil.ChainID))
	}
	st := s.streamState(t, s.stream)
	require.Equal(t, uint64(len(accepted)), st.RecordCount)
	require.Equal(t, commitment, st.Commitment)
	require.Len(t, st.Commitment, sha256.Size)
	require.NotEqual(t, st.Commitment, s.streamState(t, other).Commitment)

	for i, env := range accepted {
		rec, err := s.f.Streams.GetRecord(s.f.Ctx, s.stream, uint64(i))
		require.NoError(t, err)
		h := sha256.Sum256(env.Payload)
		require.Equal(t, types.Record{
			StreamId: s.stream, Index: uint64(i), DeviceId: env.DeviceId, Seq: env.Seq,
			TimestampMs: env.TimestampMs, Payload: env.Payload, PayloadHash: h[:], Height: 10,
		}, rec)
	}

	// The chain is SHA-256(prev || SHA-256(sign bytes)).
	first := accepted[0].SignBytes(testutil.ChainID)
	leaf := sha256.Sum256(first)
	want := sha256.Sum256(leaf[:])
	require.Equal(t, want[:], types.NextCommitment(nil, first))
}
