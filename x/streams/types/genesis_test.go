package types_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/types"
)

func genesisRecord(stream, index uint64, deviceID string, payload []byte) types.Record {
	h := sha256.Sum256(payload)
	return types.Record{StreamId: stream, Index: index, DeviceId: deviceID, Seq: index + 1, Payload: payload, PayloadHash: h[:], Height: 3}
}

func validGenesis(t *testing.T) *types.GenesisState {
	dev := testutil.NewDevice(t, devicekey.Ed25519, 1).ID
	return &types.GenesisState{
		Params:       types.DefaultParams(),
		NextStreamId: 5,
		Streams: []types.Stream{
			{Id: 1, ProjectId: 1, Name: "a", RecordCount: 2},
			{Id: 2, ProjectId: 1, Name: "b", RecordCount: 0},
			{Id: 4, ProjectId: 2, Name: "d", RecordCount: 1},
		},
		Records: []types.Record{
			genesisRecord(1, 0, dev, []byte("x")),
			genesisRecord(1, 1, dev, nil),
			genesisRecord(4, 0, dev, []byte("y")),
		},
	}
}

func TestStreamsGenesisValidate(t *testing.T) {
	require.NoError(t, validGenesis(t).Validate())
	require.NoError(t, types.DefaultGenesis().Validate())

	tests := []struct {
		name   string
		mutate func(gs *types.GenesisState)
	}{
		{"invalid params", func(gs *types.GenesisState) { gs.Params.MaxPayloadBytes = 0 }},
		{"next stream id zero", func(gs *types.GenesisState) { gs.NextStreamId, gs.Streams, gs.Records = 0, nil, nil }},
		{"stream id zero", func(gs *types.GenesisState) { gs.Streams[1].Id = 0 }},
		{"stream id equal to next id", func(gs *types.GenesisState) { gs.Streams[1].Id = 5 }},
		{"stream id above next id", func(gs *types.GenesisState) { gs.NextStreamId = 4 }},
		{"duplicate stream id", func(gs *types.GenesisState) { gs.Streams[1].Id = 1 }},
		{"record of unknown stream", func(gs *types.GenesisState) { gs.Records[2].StreamId = 3 }},
		{"record index beyond record_count", func(gs *types.GenesisState) { gs.Records[1].Index = 2 }},
		{"duplicate record", func(gs *types.GenesisState) {
			gs.Records[1] = gs.Records[0]
		}},
		{"record_count above records", func(gs *types.GenesisState) { gs.Streams[2].RecordCount = 2 }},
		{"record_count below records", func(gs *types.GenesisState) { gs.Streams[0].RecordCount = 1 }},
		{"records of an empty stream", func(gs *types.GenesisState) {
			gs.Records = append(gs.Records, genesisRecord(2, 0, gs.Records[0].DeviceId, nil))
		}},
		{"missing record", func(gs *types.GenesisState) { gs.Records = gs.Records[1:] }},
		{"payload hash mismatch", func(gs *types.GenesisState) { gs.Records[0].Payload = []byte("z") }},
		{"payload hash missing", func(gs *types.GenesisState) { gs.Records[2].PayloadHash = nil }},
		{"payload hash truncated", func(gs *types.GenesisState) { gs.Records[2].PayloadHash = gs.Records[2].PayloadHash[:31] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gs := validGenesis(t)
			tc.mutate(gs)
			require.ErrorIs(t, gs.Validate(), types.ErrInvalidGenesis)
		})
	}
}

func TestStreamsParamsValidate(t *testing.T) {
	require.NoError(t, types.DefaultParams().Validate())
	zeroSkew := types.DefaultParams()
	zeroSkew.MaxClockSkew = 0
	require.NoError(t, zeroSkew.Validate())
	for name, mutate := range map[string]func(*types.Params){
		"zero max_payload_bytes":     func(p *types.Params) { p.MaxPayloadBytes = 0 },
		"negative max_clock_skew":    func(p *types.Params) { p.MaxClockSkew = -time.Second },
		"zero max_envelopes_per_msg": func(p *types.Params) { p.MaxEnvelopesPerMsg = 0 },
	} {
		p := types.DefaultParams()
		mutate(&p)
		require.ErrorIs(t, p.Validate(), types.ErrInvalidParams, name)
	}
}

func TestVerifyGas(t *testing.T) {
	p := types.Params{VerifyGasP256: 11, VerifyGasSecp256K1: 22, VerifyGasEd25519: 33}
	require.Equal(t, uint64(11), p.VerifyGas("p256"))
	require.Equal(t, uint64(22), p.VerifyGas("secp256k1"))
	require.Equal(t, uint64(33), p.VerifyGas("ed25519"))
}

func TestRejectReason(t *testing.T) {
	tests := []struct {
		err    error
		reason string
	}{
		{types.ErrMalformedEnvelope, types.ReasonMalformed},
		{devicestypes.ErrInvalidDeviceID, types.ReasonMalformed},
		{types.ErrStreamNotFound, types.ReasonUnknownStream},
		{types.ErrPayloadTooLarge, types.ReasonPayloadTooLarge},
		{types.ErrFutureTimestamp, types.ReasonFutureTimestamp},
		{devicestypes.ErrDeviceNotFound, types.ReasonUnknownDevice},
		{devicestypes.ErrWrongProject, types.ReasonWrongProject},
		{devicestypes.ErrDeviceSuspended, types.ReasonDeviceSuspended},
		{devicestypes.ErrDeviceRevoked, types.ReasonDeviceRevoked},
		{devicestypes.ErrInvalidSignature, types.ReasonBadSignature},
		{devicestypes.ErrStaleSeq, types.ReasonStaleSeq},
		{devicestypes.ErrOutOfOrder, types.ReasonOutOfOrder},
		{errors.New("anything else"), types.ReasonMalformed},
	}
	for _, tc := range tests {
		require.Equal(t, tc.reason, types.RejectReason(tc.err), "%v", tc.err)
		// Wrapped errors keep their reason.
		require.Equal(t, tc.reason, types.RejectReason(fmt.Errorf("%w: detail", tc.err)), "%v", tc.err)
	}
}

func TestEnvelopeSignDoc(t *testing.T) {
	env := types.Envelope{StreamId: 3, DeviceId: "w3bdev1x", Seq: 9, TimestampMs: 1234, Payload: []byte("hi"), Signature: []byte("ignored")}
	doc := env.SignDoc("chain-a")
	h := sha256.Sum256([]byte("hi"))
	require.Equal(t, types.EnvelopeSignDoc{Domain: types.SignDomain, ChainId: "chain-a", StreamId: 3, DeviceId: "w3bdev1x", Seq: 9, TimestampMs: 1234, PayloadSha256: h[:]}, doc)
	require.Equal(t, doc.Bytes(), env.SignBytes("chain-a"))
	// The signature is not signed; every other field and the chain id are.
	other := env
	other.Signature = []byte("different")
	require.Equal(t, env.SignBytes("chain-a"), other.SignBytes("chain-a"))
	require.NotEqual(t, env.SignBytes("chain-a"), env.SignBytes("chain-b"))
	for name, mutate := range map[string]func(*types.Envelope){
		"stream":    func(e *types.Envelope) { e.StreamId++ },
		"device":    func(e *types.Envelope) { e.DeviceId += "y" },
		"seq":       func(e *types.Envelope) { e.Seq++ },
		"timestamp": func(e *types.Envelope) { e.TimestampMs++ },
		"payload":   func(e *types.Envelope) { e.Payload = []byte("ho") },
	} {
		e := env
		mutate(&e)
		require.NotEqual(t, env.SignBytes("chain-a"), e.SignBytes("chain-a"), name)
	}
}

func TestNextCommitment(t *testing.T) {
	a, b := []byte("sign bytes a"), []byte("sign bytes b")
	la, lb := sha256.Sum256(a), sha256.Sum256(b)
	c1 := sha256.Sum256(la[:])
	require.Equal(t, c1[:], types.NextCommitment(nil, a))
	c2 := sha256.Sum256(append(c1[:], lb[:]...))
	require.Equal(t, c2[:], types.NextCommitment(c1[:], b))
	// Order matters.
	require.NotEqual(t, types.NextCommitment(types.NextCommitment(nil, a), b), types.NextCommitment(types.NextCommitment(nil, b), a))
}
