package keeper_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"maps"
	"math/big"
	"reflect"
	"slices"
	"testing"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/types"
)

// publishWorld is a fixture with two projects, three streams and devices in
// every state the publish path distinguishes. Every fuzz input runs on a
// fresh cache context over it, so inputs are independent and reproducible.
type publishWorld struct {
	f        *testutil.Fixture
	owner    string
	base     sdk.Context
	streams  []uint64 // all existing stream ids
	devices  map[string]*worldDevice
	baseRecs int // records present before any input
	params   types.Params
	horizon  uint64 // max admissible timestamp_ms

	// For seeds.
	p256, k1, ed, otherProj, suspended, unregistered *testutil.Device
	s1, s2, s3                                       uint64
}

type worldDevice struct {
	dev     *testutil.Device
	project uint64
	status  string
}

const fuzzPreSeq = 3 // seqs 1..fuzzPreSeq of each active project-1 device are already on chain

func newPublishWorld(tb testing.TB) *publishWorld {
	tb.Helper()
	f := testutil.NewFixture(tb)
	w := &publishWorld{f: f, owner: testutil.AccAddress("owner"), devices: map[string]*worldDevice{}}
	other := testutil.AccAddress("other")
	p1 := f.Project(tb, w.owner)
	p2 := f.Project(tb, other)
	w.s1 = f.Stream(tb, w.owner, p1)
	w.s2 = f.Stream(tb, w.owner, p1)
	w.s3 = f.Stream(tb, other, p2)
	w.streams = []uint64{w.s1, w.s2, w.s3}

	reg := func(algo devicekey.Algo, seed int64, owner string, project uint64) *testutil.Device {
		d := testutil.NewDevice(tb, algo, seed)
		f.Register(tb, owner, project, d)
		w.devices[d.ID] = &worldDevice{dev: d, project: project, status: devicestypes.StatusActive}
		return d
	}
	w.p256 = reg(devicekey.P256, 1, w.owner, p1)
	w.k1 = reg(devicekey.Secp256k1, 2, w.owner, p1)
	w.ed = reg(devicekey.Ed25519, 3, w.owner, p1)
	w.otherProj = reg(devicekey.Ed25519, 4, other, p2)
	w.suspended = reg(devicekey.P256, 5, w.owner, p1)
	if _, err := f.DevicesMsg.SetDeviceStatus(f.Ctx, &devicestypes.MsgSetDeviceStatus{
		Owner: w.owner, DeviceId: w.suspended.ID, Status: devicestypes.StatusSuspended,
	}); err != nil {
		tb.Fatal(err)
	}
	w.devices[w.suspended.ID].status = devicestypes.StatusSuspended
	w.unregistered = testutil.NewDevice(tb, devicekey.Secp256k1, 6)

	// History: seqs 1..fuzzPreSeq of the active project-1 devices on s1, so
	// replays of old seqs are stale against state, not only within a message.
	var envs []types.Envelope
	for seq := uint64(1); seq <= fuzzPreSeq; seq++ {
		for _, d := range []*testutil.Device{w.p256, w.k1, w.ed} {
			envs = append(envs, d.Envelope(tb, w.s1, seq, testutil.Reading(int(seq))))
		}
	}
	res, err := f.StreamsMsg.Publish(f.Ctx, &types.MsgPublish{Submitter: w.owner, Envelopes: envs})
	if err != nil || int(res.Accepted) != len(envs) {
		tb.Fatalf("history: %+v, %v", res, err)
	}
	w.base = f.Ctx
	w.baseRecs = len(envs)
	if n := w.countRecords(tb, w.base); n != w.baseRecs {
		tb.Fatalf("base has %d records, want %d", n, w.baseRecs)
	}
	w.params, err = f.Streams.Params.Get(f.Ctx)
	if err != nil {
		tb.Fatal(err)
	}
	w.horizon = uint64(f.Ctx.BlockTime().Add(w.params.MaxClockSkew).UnixMilli())
	return w
}

func (w *publishWorld) countRecords(tb testing.TB, ctx sdk.Context) int {
	tb.Helper()
	it, err := w.f.Streams.Records.Iterate(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer it.Close()
	n := 0
	for ; it.Valid(); it.Next() {
		n++
	}
	return n
}

// fresh is an isolated context over the world's state, with its own
// unlimited gas meter and event manager.
func (w *publishWorld) fresh() sdk.Context {
	ctx, _ := w.base.CacheContext()
	return ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
}

func (w *publishWorld) lastSeq(tb testing.TB, ctx sdk.Context, id string) uint64 {
	tb.Helper()
	addr, err := devicekey.ParseDeviceID(id)
	if err != nil {
		tb.Fatal(err)
	}
	seq, err := w.f.Devices.LastSeq.Get(ctx, addr)
	if err != nil {
		return 0 // never published
	}
	return seq
}

var fuzzKnownReasons = map[string]bool{
	types.ReasonMalformed: true, types.ReasonUnknownStream: true, types.ReasonPayloadTooLarge: true,
	types.ReasonFutureTimestamp: true, types.ReasonUnknownDevice: true, types.ReasonWrongProject: true,
	types.ReasonDeviceSuspended: true, types.ReasonDeviceRevoked: true, types.ReasonBadSignature: true,
	types.ReasonStaleSeq: true, types.ReasonOutOfOrder: true,
}

// check publishes msg on a fresh context and asserts every invariant of the
// publish path against an independent model of what may be admitted.
func (w *publishWorld) check(t *testing.T, msg *types.MsgPublish) *types.MsgPublishResponse {
	t.Helper()
	ctx := w.fresh()
	type streamBefore struct {
		count      uint64
		commitment []byte
		project    uint64
	}
	before := map[uint64]streamBefore{}
	for _, id := range w.streams {
		s, err := w.f.Streams.GetStream(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		before[id] = streamBefore{s.RecordCount, s.Commitment, s.ProjectId}
	}
	lastSeq := map[string]uint64{}
	for id := range w.devices {
		lastSeq[id] = w.lastSeq(t, ctx, id)
	}

	res, err := w.f.StreamsMsg.Publish(ctx, msg)
	if err != nil {
		n := len(msg.Envelopes)
		switch {
		case n == 0 && errors.Is(err, types.ErrNoEnvelopes):
		case n > int(w.params.MaxEnvelopesPerMsg) && errors.Is(err, types.ErrTooManyEnvelopes):
		case len(msg.AfterSeqs) != 0 && len(msg.AfterSeqs) != n && errors.Is(err, types.ErrAfterSeqsLength):
		default:
			t.Fatalf("Publish of %d envelopes failed as a whole: %v", n, err)
		}
		return nil
	}
	if len(res.Results) != len(msg.Envelopes) {
		t.Fatalf("%d results for %d envelopes", len(res.Results), len(msg.Envelopes))
	}
	if int(res.Accepted)+int(res.Rejected) != len(msg.Envelopes) {
		t.Fatalf("accepted %d + rejected %d != %d envelopes", res.Accepted, res.Rejected, len(msg.Envelopes))
	}

	// Model of the stream and device state as admitted envelopes advance it.
	count := map[uint64]uint64{}
	commit := map[uint64][]byte{}
	for id, b := range before {
		count[id], commit[id] = b.count, b.commitment
	}
	accepted := 0
	for i, r := range res.Results {
		env := &msg.Envelopes[i]
		if r.StreamId != env.StreamId || r.DeviceId != env.DeviceId || r.Seq != env.Seq {
			t.Fatalf("result %d is for (%d, %q, %d), envelope is (%d, %q, %d)", i, r.StreamId, r.DeviceId, r.Seq, env.StreamId, env.DeviceId, env.Seq)
		}
		if r.Accepted == (r.Reason != "") {
			t.Fatalf("result %d: accepted=%v with reason %q (want accepted XOR reason)", i, r.Accepted, r.Reason)
		}
		if !r.Accepted {
			if !fuzzKnownReasons[r.Reason] || r.Error == "" {
				t.Fatalf("result %d: reason %q error %q", i, r.Reason, r.Error)
			}
			continue
		}
		if r.Error != "" {
			t.Fatalf("result %d accepted with error %q", i, r.Error)
		}
		accepted++

		// Everything that makes an envelope admissible, checked independently.
		b, ok := before[env.StreamId]
		if !ok {
			t.Fatalf("result %d accepted for unknown stream %d", i, env.StreamId)
		}
		d := w.devices[env.DeviceId]
		switch {
		case d == nil:
			t.Fatalf("result %d accepted from unregistered device %q", i, env.DeviceId)
		case d.status != devicestypes.StatusActive:
			t.Fatalf("result %d accepted from %s device", i, d.status)
		case d.project != b.project:
			t.Fatalf("result %d accepted from project %d device into project %d stream", i, d.project, b.project)
		case env.Seq <= lastSeq[env.DeviceId]:
			t.Fatalf("result %d accepted seq %d, last %d", i, env.Seq, lastSeq[env.DeviceId])
		case len(msg.AfterSeqs) != 0 && msg.AfterSeqs[i] != 0 && msg.AfterSeqs[i] != lastSeq[env.DeviceId]:
			t.Fatalf("result %d accepted after_seq %d, last %d", i, msg.AfterSeqs[i], lastSeq[env.DeviceId])
		case env.TimestampMs > w.horizon:
			t.Fatalf("result %d accepted timestamp %d beyond %d", i, env.TimestampMs, w.horizon)
		case len(env.Payload) > int(w.params.MaxPayloadBytes):
			t.Fatalf("result %d accepted a %d-byte payload", i, len(env.Payload))
		}
		signBytes := env.SignBytes(testutil.ChainID)
		if err := devicekey.VerifySignature(d.dev.Key.Algo(), d.dev.Key.PublicKey(), signBytes, env.Signature); err != nil {
			t.Fatalf("result %d accepted with a signature that does not verify: %v", i, err)
		}
		lastSeq[env.DeviceId] = env.Seq

		// The stored record is the envelope, at the next index.
		if r.RecordIndex != count[env.StreamId] {
			t.Fatalf("result %d: record index %d, want %d", i, r.RecordIndex, count[env.StreamId])
		}
		rec, err := w.f.Streams.GetRecord(ctx, env.StreamId, r.RecordIndex)
		if err != nil {
			t.Fatalf("result %d: accepted but no record: %v", i, err)
		}
		h := sha256.Sum256(env.Payload)
		if rec.StreamId != env.StreamId || rec.Index != r.RecordIndex || rec.DeviceId != env.DeviceId || rec.Seq != env.Seq ||
			rec.TimestampMs != env.TimestampMs || !bytes.Equal(rec.Payload, env.Payload) ||
			!bytes.Equal(rec.PayloadHash, h[:]) || rec.Height != ctx.BlockHeight() {
			t.Fatalf("result %d: stored record %+v does not match envelope %+v", i, rec, env)
		}
		count[env.StreamId]++
		commit[env.StreamId] = types.NextCommitment(commit[env.StreamId], signBytes)
	}
	if accepted != int(res.Accepted) {
		t.Fatalf("response says %d accepted, results say %d", res.Accepted, accepted)
	}

	// Streams advanced by exactly the accepted envelopes; nothing else was stored.
	grew := 0
	for _, id := range w.streams {
		s, err := w.f.Streams.GetStream(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if s.RecordCount != count[id] || !bytes.Equal(s.Commitment, commit[id]) {
			t.Fatalf("stream %d: count %d commitment %x, model %d %x", id, s.RecordCount, s.Commitment, count[id], commit[id])
		}
		grew += int(s.RecordCount - before[id].count)
	}
	if grew != accepted {
		t.Fatalf("record counts grew by %d, %d accepted", grew, accepted)
	}
	if n := w.countRecords(t, ctx); n != w.baseRecs+accepted {
		t.Fatalf("%d records stored, want %d before + %d accepted", n, w.baseRecs, accepted)
	}
	for id, want := range lastSeq {
		if got := w.lastSeq(t, ctx, id); got != want {
			t.Fatalf("device %s last seq %d, want %d", id, got, want)
		}
	}
	for _, id := range w.streams {
		if _, err := w.f.Streams.GetRecord(ctx, id, count[id]); err == nil {
			t.Fatalf("stream %d has a record past its count %d", id, count[id])
		}
	}
	return res
}

// fuzzDERSig re-encodes a 64-byte r||s as DER, which the chain also accepts.
func fuzzDERSig(tb testing.TB, rs []byte) []byte {
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])})
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// seedMessages covers each accept and reject path of Publish.
func (w *publishWorld) seedMessages(tb testing.TB) map[string]*types.MsgPublish {
	tb.Helper()
	pay := testutil.Reading
	valid := func(d *testutil.Device, stream, seq uint64) types.Envelope {
		return d.Envelope(tb, stream, seq, pay(int(seq)))
	}
	msg := func(envs ...types.Envelope) *types.MsgPublish {
		return &types.MsgPublish{Submitter: w.owner, Envelopes: envs}
	}
	forged := valid(w.p256, w.s1, fuzzPreSeq+1)
	forged.Signature[5] ^= 0x40
	tampered := valid(w.ed, w.s1, fuzzPreSeq+1)
	tampered.Payload = []byte(`{"temp_c":99.9}`)
	impostor := valid(w.unregistered, w.s1, fuzzPreSeq+1)
	impostor.DeviceId = w.k1.ID // signed by another key under k1's id
	w.unregistered.Sign(tb, &impostor)
	der := valid(w.p256, w.s2, fuzzPreSeq+1)
	der.Signature = fuzzDERSig(tb, der.Signature)
	oversized := w.k1.Envelope(tb, w.s1, fuzzPreSeq+1, bytes.Repeat([]byte("x"), int(w.params.MaxPayloadBytes)+1))
	edge := w.k1.Envelope(tb, w.s1, fuzzPreSeq+1, bytes.Repeat([]byte("x"), int(w.params.MaxPayloadBytes)))
	future := valid(w.ed, w.s1, fuzzPreSeq+1)
	future.TimestampMs = w.horizon + 1
	w.ed.Sign(tb, &future)
	atHorizon := valid(w.ed, w.s1, fuzzPreSeq+1)
	atHorizon.TimestampMs = w.horizon
	w.ed.Sign(tb, &atHorizon)
	otherChain := valid(w.k1, w.s1, fuzzPreSeq+1)
	if sig, err := w.k1.Key.Sign(otherChain.SignBytes("w3bd-other")); err == nil {
		otherChain.Signature = sig
	}
	seqZero := valid(w.ed, w.s1, 0)
	noSig := valid(w.ed, w.s1, fuzzPreSeq+1)
	noSig.Signature = nil
	badID := valid(w.ed, w.s1, fuzzPreSeq+1)
	badID.DeviceId = "w3bdev1notanid"
	upperID := valid(w.ed, w.s1, fuzzPreSeq+1)
	upperID.DeviceId = string(bytes.ToUpper([]byte(upperID.DeviceId)))
	unknownStream := valid(w.ed, 99, fuzzPreSeq+1)
	a, b := valid(w.p256, w.s1, fuzzPreSeq+1), valid(w.p256, w.s1, fuzzPreSeq+2)

	return map[string]*types.MsgPublish{
		"valid all algos":             msg(valid(w.p256, w.s1, fuzzPreSeq+1), valid(w.k1, w.s1, fuzzPreSeq+1), valid(w.ed, w.s2, fuzzPreSeq+1)),
		"valid batch":                 msg(valid(w.p256, w.s1, 10), valid(w.p256, w.s2, 11), valid(w.k1, w.s1, 4), valid(w.k1, w.s1, 5), valid(w.ed, w.s2, 100)),
		"forged signature":            msg(forged, valid(w.k1, w.s1, fuzzPreSeq+1)),
		"tampered payload":            msg(tampered),
		"impostor key":                msg(impostor),
		"replay in message":           msg(a, a, b, b),
		"out of order in message":     msg(b, a),
		"replay of history":           msg(valid(w.ed, w.s1, 1), valid(w.k1, w.s1, fuzzPreSeq)),
		"der signature":               msg(der),
		"oversized payload":           msg(oversized, edge),
		"future timestamp":            msg(future, atHorizon),
		"other chain":                 msg(otherChain),
		"malformed":                   msg(seqZero, noSig, badID, upperID),
		"unknown stream":              msg(unknownStream),
		"wrong project":               msg(valid(w.otherProj, w.s1, 1), valid(w.p256, w.s3, fuzzPreSeq+1), valid(w.otherProj, w.s3, 1)),
		"suspended":                   msg(valid(w.suspended, w.s1, 1)),
		"unregistered":                msg(valid(w.unregistered, w.s1, 1)),
		"mixed valid forged replayed": msg(valid(w.ed, w.s1, fuzzPreSeq+1), forged, valid(w.ed, w.s1, fuzzPreSeq+1), valid(w.k1, w.s2, 9)),
		"empty":                       msg(),
		"after seqs":                  withAfter(msg(b, a, valid(w.k1, w.s1, fuzzPreSeq+1), valid(w.k1, w.s1, fuzzPreSeq+2)), fuzzPreSeq+1, fuzzPreSeq, 0, fuzzPreSeq),
	}
}

func withAfter(m *types.MsgPublish, after ...uint64) *types.MsgPublish {
	m.AfterSeqs = after
	return m
}

// TestPublishSeeds pins the outcome of each seed, so the fuzz corpus is known
// to start from every accept/reject path.
func TestPublishSeeds(t *testing.T) {
	w := newPublishWorld(t)
	want := map[string][]string{ // "" = accepted
		"valid all algos":             {"", "", ""},
		"valid batch":                 {"", "", "", "", ""},
		"forged signature":            {types.ReasonBadSignature, ""},
		"tampered payload":            {types.ReasonBadSignature},
		"impostor key":                {types.ReasonBadSignature},
		"replay in message":           {"", types.ReasonStaleSeq, "", types.ReasonStaleSeq},
		"out of order in message":     {"", types.ReasonStaleSeq},
		"replay of history":           {types.ReasonStaleSeq, types.ReasonStaleSeq},
		"der signature":               {""},
		"oversized payload":           {types.ReasonPayloadTooLarge, ""},
		"future timestamp":            {types.ReasonFutureTimestamp, ""},
		"other chain":                 {types.ReasonBadSignature},
		"malformed":                   {types.ReasonMalformed, types.ReasonMalformed, types.ReasonMalformed, types.ReasonMalformed},
		"unknown stream":              {types.ReasonUnknownStream},
		"wrong project":               {types.ReasonWrongProject, types.ReasonWrongProject, ""},
		"suspended":                   {types.ReasonDeviceSuspended},
		"unregistered":                {types.ReasonUnknownDevice},
		"mixed valid forged replayed": {"", types.ReasonBadSignature, types.ReasonStaleSeq, ""},
		"empty":                       nil,
		"after seqs":                  {types.ReasonOutOfOrder, "", "", types.ReasonOutOfOrder},
	}
	seeds := w.seedMessages(t)
	if len(seeds) != len(want) {
		t.Fatalf("%d seeds, %d expectations", len(seeds), len(want))
	}
	for name, m := range seeds {
		t.Run(name, func(t *testing.T) {
			res := w.check(t, m)
			if res == nil {
				if want[name] != nil {
					t.Fatal("message failed as a whole")
				}
				return
			}
			var got []string
			for _, r := range res.Results {
				got = append(got, r.Reason)
			}
			if !reflect.DeepEqual(got, want[name]) {
				for _, r := range res.Results {
					t.Logf("  %s %s", r.Reason, r.Error)
				}
				t.Fatalf("reasons %q, want %q", got, want[name])
			}
		})
	}
}

// FuzzPublish feeds arbitrary bytes, decoded as a MsgPublish, through the
// msg server and checks the invariants in publishWorld.check: no panic;
// every result accepted XOR with a reason; only admissible envelopes
// (registered, active, right project, valid signature, fresh seq, sane
// payload and timestamp) are accepted; each stored record equals its
// envelope; stream counts and commitments advance by exactly the accepted
// envelopes and nothing else is stored; the outcome is deterministic.
//
//	go test -run='^$' -fuzz=FuzzPublish -fuzztime=20s ./x/streams/keeper/
func FuzzPublish(f *testing.F) {
	w := newPublishWorld(f)
	seeds := w.seedMessages(f)
	for _, name := range slices.Sorted(maps.Keys(seeds)) {
		bz, err := seeds[name].Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz)
	}
	// Garbage and near-misses of the wire format.
	valid, _ := seeds["valid all algos"].Marshal()
	f.Add([]byte{})
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
	f.Add([]byte("garbage, not protobuf"))
	f.Add(valid[:len(valid)/2])                               // truncated
	f.Add(append(bytes.Clone(valid), 0x12, 0x80, 0x80, 0x01)) // envelope claiming 16 KiB, absent
	f.Add(append(bytes.Clone(valid), 0x7a, 0x01, 0x00))       // unknown field 15

	f.Fuzz(func(t *testing.T, data []byte) {
		var msg types.MsgPublish
		if err := msg.Unmarshal(data); err != nil {
			return // malformed protobuf is rejected by the decoder, without a panic
		}
		msg.Submitter = w.owner
		res := w.check(t, &msg)
		// Determinism: the same message on the same state gives the same
		// response, whatever the scheduling of parallel verification.
		if res != nil {
			again, err := w.f.StreamsMsg.Publish(w.fresh(), &msg)
			if err != nil || !reflect.DeepEqual(res, again) {
				t.Fatalf("second run differs:\n%+v\n%+v (err %v)", res, again, err)
			}
		}
	})
}
