package keeper_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/types"
)

// bigBatch is 20 devices over two projects and three streams: devices 0..15
// active, 16 suspended, 17 revoked, 18 and 19 never registered.
type bigBatch struct {
	owner     string
	p1, p2    uint64
	streamsOf map[uint64][]uint64 // project -> streams
	devs      []*testutil.Device
	projectOf []uint64
	status    []string
}

const bigDevices = 20

func setupBigBatch(t *testing.T, f *testutil.Fixture) *bigBatch {
	b := &bigBatch{owner: testutil.AccAddress("owner"), streamsOf: map[uint64][]uint64{}}
	b.p1, b.p2 = f.Project(t, b.owner), f.Project(t, b.owner)
	b.streamsOf[b.p1] = []uint64{f.Stream(t, b.owner, b.p1), f.Stream(t, b.owner, b.p1)}
	b.streamsOf[b.p2] = []uint64{f.Stream(t, b.owner, b.p2)}
	for i := range bigDevices {
		d := testutil.NewDevice(t, allAlgos[i%3], int64(1000+i))
		b.devs = append(b.devs, d)
		project := b.p1
		if i%4 == 3 {
			project = b.p2
		}
		b.projectOf = append(b.projectOf, project)
		status := devicestypes.StatusActive
		switch i {
		case 16:
			status = devicestypes.StatusSuspended
		case 17:
			status = devicestypes.StatusRevoked
		case 18, 19:
			status = "" // unregistered
		}
		b.status = append(b.status, status)
		if status == "" {
			continue
		}
		f.Register(t, b.owner, project, d)
		if status != devicestypes.StatusActive {
			f.SetStatus(t, b.owner, d.ID, status)
		}
	}
	return b
}

// envelopes builds 200 envelopes and, from a model of the rules, the reason
// each must get ("" for accepted).
func (b *bigBatch) envelopes(t *testing.T) ([]types.Envelope, []string) {
	var envs []types.Envelope
	var reasons []string
	nextSeq := make([]uint64, bigDevices)
	lastAccepted := make([]uint64, bigDevices)
	for i := range 200 {
		di := (i*7 + i/20) % bigDevices
		d := b.devs[di]
		streams := b.streamsOf[b.projectOf[di]]
		stream := streams[i%len(streams)]
		nextSeq[di] += uint64(1 + i%3) // gaps are allowed
		seq := nextSeq[di]
		kind := i % 23
		switch {
		case kind == 5 && lastAccepted[di] > 0:
			seq = lastAccepted[di] // replay of the last accepted seq
		case kind == 9 && lastAccepted[di] > 1:
			seq = lastAccepted[di] - 1
		}
		if kind == 13 { // a stream of the other project
			other := b.p1
			if b.projectOf[di] == b.p1 {
				other = b.p2
			}
			stream = b.streamsOf[other][0]
		}
		env := d.Envelope(t, stream, seq, testutil.Reading(i))
		if kind == 17 {
			env.Signature[i%64] ^= byte(1 << (i % 8))
		}
		if kind == 21 {
			sig, err := b.devs[(di+1)%16].Key.Sign(env.SignBytes(testutil.ChainID))
			require.NoError(t, err)
			env.Signature = sig
		}
		if kind == 22 {
			env.StreamId = 999
		}
		envs = append(envs, env)

		var reason string
		switch {
		case kind == 22:
			reason = types.ReasonUnknownStream
		case b.status[di] == "":
			reason = types.ReasonUnknownDevice
		case kind == 13:
			reason = types.ReasonWrongProject
		case b.status[di] == devicestypes.StatusSuspended:
			reason = types.ReasonDeviceSuspended
		case b.status[di] == devicestypes.StatusRevoked:
			reason = types.ReasonDeviceRevoked
		case kind == 17 || kind == 21:
			reason = types.ReasonBadSignature
		case seq <= lastAccepted[di]:
			reason = types.ReasonStaleSeq
		default:
			lastAccepted[di] = seq
		}
		reasons = append(reasons, reason)
	}
	return envs, reasons
}

// publishBigBatch publishes the batch on a fresh fixture under GOMAXPROCS
// procs (0: unchanged) and returns the response and both exported genesis
// states as JSON.
func publishBigBatch(t *testing.T, procs int) (*types.MsgPublishResponse, []byte, []byte) {
	prev := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(prev)
	f := testutil.NewFixture(t)
	b := setupBigBatch(t, f)
	envs, reasons := b.envelopes(t)
	require.Len(t, envs, 200)

	res := f.Publish(t, envs...)
	require.Len(t, res.Results, 200)
	var accepted uint32
	perStream := map[uint64]uint64{}
	for i, r := range res.Results {
		require.Equal(t, reasons[i], r.Reason, "envelope %d (%s seq %d): %s", i, envs[i].DeviceId, envs[i].Seq, r.Error)
		require.Equal(t, reasons[i] == "", r.Accepted, "envelope %d", i)
		if r.Accepted {
			accepted++
			require.Equal(t, perStream[envs[i].StreamId], r.RecordIndex, "envelope %d: consecutive indexes per stream", i)
			perStream[envs[i].StreamId]++
		}
	}
	require.Equal(t, accepted, res.Accepted)
	require.Equal(t, 200-accepted, res.Rejected)
	d, s := f.GenesisJSON(t)
	return res, d, s
}

func TestPublishLargeBatchDeterministic(t *testing.T) {
	base, baseDev, baseStreams := publishBigBatch(t, 1)

	// The batch exercises every device-side rule and most envelopes pass.
	seen := map[string]int{}
	for _, r := range base.Results {
		seen[r.Reason]++
	}
	for _, reason := range []string{"", types.ReasonBadSignature, types.ReasonStaleSeq, types.ReasonUnknownDevice,
		types.ReasonWrongProject, types.ReasonDeviceSuspended, types.ReasonDeviceRevoked, types.ReasonUnknownStream} {
		require.NotZero(t, seen[reason], "no envelope with reason %q: %v", reason, seen)
	}
	t.Logf("reasons: %v", seen)
	require.Greater(t, base.Accepted, uint32(100))

	// 0 keeps the default GOMAXPROCS; the others force parallel checks even
	// on a small machine.
	for _, procs := range []int{0, 4, 16} {
		name := fmt.Sprintf("GOMAXPROCS=%d", procs)
		if procs == 0 {
			name = fmt.Sprintf("GOMAXPROCS=default(%d)", runtime.GOMAXPROCS(0))
		}
		t.Run(name, func(t *testing.T) {
			res, dev, streams := publishBigBatch(t, procs)
			require.Equal(t, base, res)
			require.Equal(t, string(baseDev), string(dev))
			require.Equal(t, string(baseStreams), string(streams))
		})
	}
}
