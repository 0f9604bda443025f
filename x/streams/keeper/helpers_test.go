package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/types"
)

var allAlgos = []devicekey.Algo{devicekey.P256, devicekey.Secp256k1, devicekey.Ed25519}

// scene is a project with a stream and registered devices, ready to publish.
type scene struct {
	f       *testutil.Fixture
	owner   string
	project uint64
	stream  uint64
}

func newScene(t *testing.T) *scene {
	t.Helper()
	f := testutil.NewFixture(t)
	s := &scene{f: f, owner: testutil.AccAddress("owner")}
	s.project = f.Project(t, s.owner)
	s.stream = f.Stream(t, s.owner, s.project)
	return s
}

// device registers a fresh device of algo in the scene's project.
func (s *scene) device(t *testing.T, algo devicekey.Algo, seed int64) *testutil.Device {
	t.Helper()
	d := testutil.NewDevice(t, algo, seed)
	s.f.Register(t, s.owner, s.project, d)
	return d
}

func (s *scene) streamState(t *testing.T, id uint64) types.Stream {
	t.Helper()
	st, err := s.f.Streams.GetStream(s.f.Ctx, id)
	require.NoError(t, err)
	return st
}

func (s *scene) lastSeq(t *testing.T, d *testutil.Device) uint64 {
	t.Helper()
	got, err := s.f.Devices.GetDevice(s.f.Ctx, d.ID)
	require.NoError(t, err)
	return got.LastSeq
}

func (s *scene) records(t *testing.T, stream uint64) []types.Record {
	t.Helper()
	var out []types.Record
	st := s.streamState(t, stream)
	for i := range st.RecordCount {
		r, err := s.f.Streams.GetRecord(s.f.Ctx, stream, i)
		require.NoError(t, err)
		out = append(out, r)
	}
	return out
}

// countRecords counts every record and device index entry in the store.
func countRecords(t *testing.T, f *testutil.Fixture) (records, byDevice int) {
	t.Helper()
	it, err := f.Streams.Records.Iterate(f.Ctx, nil)
	require.NoError(t, err)
	keys, err := it.Keys()
	require.NoError(t, err)
	it2, err := f.Streams.RecordsByDevice.Iterate(f.Ctx, nil)
	require.NoError(t, err)
	keys2, err := it2.Keys()
	require.NoError(t, err)
	return len(keys), len(keys2)
}

// requireRejected checks a single-envelope result was rejected with reason,
// its error text naming the registered error.
func requireRejected(t *testing.T, res types.EnvelopeResult, env types.Envelope, reason string, wantErr error) {
	t.Helper()
	require.False(t, res.Accepted)
	require.Equal(t, reason, res.Reason)
	require.Contains(t, res.Error, wantErr.Error())
	require.Equal(t, types.RejectReason(wantErr), reason, "reason code of the registered error")
	require.Equal(t, env.StreamId, res.StreamId)
	require.Equal(t, env.DeviceId, res.DeviceId)
	require.Equal(t, env.Seq, res.Seq)
	require.Zero(t, res.RecordIndex)
}

// sentinel errors a rejection can carry, for table rows.
var (
	errBadSig     = devicestypes.ErrInvalidSignature
	errUnknownDev = devicestypes.ErrDeviceNotFound
	errBadID      = devicestypes.ErrInvalidDeviceID
	errSuspended  = devicestypes.ErrDeviceSuspended
	errRevoked    = devicestypes.ErrDeviceRevoked
	errWrongProj  = devicestypes.ErrWrongProject
	errStale      = devicestypes.ErrStaleSeq
)
