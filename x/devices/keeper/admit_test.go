package keeper_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/devices/types"
)

// admitScene is a project with one active device per algorithm, one
// suspended, one revoked, and a device in another project.
type admitScene struct {
	f                  *testutil.Fixture
	owner              string
	project, otherProj uint64
	active             []*testutil.Device
	suspended, revoked *testutil.Device
	elsewhere, unknown *testutil.Device
}

func newAdmitScene(t *testing.T) *admitScene {
	f := testutil.NewFixture(t)
	s := &admitScene{f: f, owner: testutil.AccAddress("owner")}
	s.project, s.otherProj = f.Project(t, s.owner), f.Project(t, s.owner)
	for i, algo := range allAlgos {
		d := testutil.NewDevice(t, algo, int64(100+i))
		f.Register(t, s.owner, s.project, d)
		s.active = append(s.active, d)
	}
	s.suspended = testutil.NewDevice(t, devicekey.P256, 200)
	s.revoked = testutil.NewDevice(t, devicekey.Ed25519, 201)
	s.elsewhere = testutil.NewDevice(t, devicekey.Secp256k1, 202)
	s.unknown = testutil.NewDevice(t, devicekey.Ed25519, 203)
	f.Register(t, s.owner, s.project, s.suspended)
	f.Register(t, s.owner, s.project, s.revoked)
	f.Register(t, s.owner, s.otherProj, s.elsewhere)
	f.SetStatus(t, s.owner, s.suspended.ID, types.StatusSuspended)
	f.SetStatus(t, s.owner, s.revoked.ID, types.StatusRevoked)
	return s
}

func claim(t *testing.T, d *testutil.Device, project, seq uint64) types.Claim {
	msg := fmt.Appendf(nil, "claim %s %d %d", d.ID, project, seq)
	sig, err := d.Key.Sign(msg)
	require.NoError(t, err)
	return types.Claim{DeviceID: d.ID, ProjectID: project, Seq: seq, SignBytes: msg, Signature: sig}
}

func gasByAlgo(algo string) uint64 {
	switch devicekey.Algo(algo) {
	case devicekey.P256:
		return 1000
	case devicekey.Secp256k1:
		return 20000
	case devicekey.Ed25519:
		return 300000
	}
	panic("unexpected algo " + algo)
}

func TestAdmit(t *testing.T) {
	s := newAdmitScene(t)
	p256, k1, ed := s.active[0], s.active[1], s.active[2]

	flipped := claim(t, p256, s.project, 3)
	flipped.Signature = append([]byte(nil), flipped.Signature...)
	flipped.Signature[5] ^= 0x10
	otherKey := claim(t, k1, s.project, 4)
	otherKey.Signature = claim(t, ed, s.project, 4).Signature
	otherMsg := claim(t, ed, s.project, 5)
	otherMsg.SignBytes = []byte("something else")

	claims := []types.Claim{
		claim(t, p256, s.project, 1),        // 0 ok
		claim(t, k1, s.project, 10),         // 1 ok
		claim(t, ed, s.project, 7),          // 2 ok
		claim(t, p256, s.project, 1),        // 3 stale: replay in the same call
		claim(t, p256, s.project, 2),        // 4 ok
		flipped,                             // 5 bad signature
		otherKey,                            // 6 bad signature (ed's signature on k1's claim)
		otherMsg,                            // 7 bad signature (other bytes)
		claim(t, ed, s.project, 6),          // 8 stale: below 7
		claim(t, s.suspended, s.project, 1), // 9 suspended
		claim(t, s.revoked, s.project, 1),   // 10 revoked
		claim(t, s.elsewhere, s.project, 1), // 11 wrong project
		claim(t, s.unknown, s.project, 1),   // 12 unknown device
		{DeviceID: "w3bdev1bad", ProjectID: s.project, Seq: 1, SignBytes: []byte("x"), Signature: []byte("y")},           // 13 malformed id
		{DeviceID: strings.ToUpper(ed.ID), ProjectID: s.project, Seq: 9, SignBytes: []byte("x"), Signature: []byte("y")}, // 14 non-canonical id
		claim(t, ed, s.project, 8),            // 15 ok
		claim(t, ed, s.project+7, 9),          // 16 wrong project (unknown project)
		claim(t, k1, s.project, 10),           // 17 stale: equal
		claim(t, s.elsewhere, s.otherProj, 4), // 18 ok in its own project
	}
	want := []struct {
		err  error
		algo devicekey.Algo
	}{
		{nil, devicekey.P256},
		{nil, devicekey.Secp256k1},
		{nil, devicekey.Ed25519},
		{types.ErrStaleSeq, devicekey.P256},
		{nil, devicekey.P256},
		{types.ErrInvalidSignature, devicekey.P256},
		{types.ErrInvalidSignature, devicekey.Secp256k1},
		{types.ErrInvalidSignature, devicekey.Ed25519},
		{types.ErrStaleSeq, devicekey.Ed25519},
		{types.ErrDeviceSuspended, devicekey.P256},
		{types.ErrDeviceRevoked, devicekey.Ed25519},
		{types.ErrWrongProject, devicekey.Secp256k1},
		{types.ErrDeviceNotFound, ""},
		{types.ErrInvalidDeviceID, ""},
		{types.ErrInvalidDeviceID, ""},
		{nil, devicekey.Ed25519},
		{types.ErrWrongProject, devicekey.Ed25519},
		{types.ErrStaleSeq, devicekey.Secp256k1},
		{nil, devicekey.Secp256k1},
	}
	require.Len(t, want, len(claims))

	for _, procs := range []int{1, 4} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			s := newAdmitScene(t)
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			ctx := s.f.Ctx.WithGasMeter(storetypes.NewInfiniteGasMeter()).WithKVGasConfig(storetypes.GasConfig{})
			verdicts, err := s.f.Devices.Admit(ctx, claims, gasByAlgo)
			require.NoError(t, err)
			require.Len(t, verdicts, len(claims))
			var wantGas uint64
			for i, v := range verdicts {
				require.Equal(t, string(want[i].algo), v.Algo, "claim %d", i)
				if want[i].err == nil {
					require.NoError(t, v.Err, "claim %d", i)
				} else {
					require.ErrorIs(t, v.Err, want[i].err, "claim %d", i)
				}
				// Verify gas is charged for every signature checked: claims
				// that passed existence, project and status checks.
				switch {
				case want[i].err == nil, want[i].err == types.ErrInvalidSignature, want[i].err == types.ErrStaleSeq:
					wantGas += gasByAlgo(v.Algo)
				}
			}
			require.Equal(t, wantGas, ctx.GasMeter().GasConsumed())

			lastSeq := func(d *testutil.Device) uint64 {
				got, err := s.f.Devices.GetDevice(s.f.Ctx, d.ID)
				require.NoError(t, err)
				return got.LastSeq
			}
			require.Equal(t, uint64(2), lastSeq(p256))
			require.Equal(t, uint64(10), lastSeq(k1))
			require.Equal(t, uint64(8), lastSeq(ed))
			require.Equal(t, uint64(4), lastSeq(s.elsewhere))
			require.Zero(t, lastSeq(s.suspended))
			require.Zero(t, lastSeq(s.revoked))
		})
	}
}

func TestAdmitEmptyAndAllRejected(t *testing.T) {
	s := newAdmitScene(t)
	verdicts, err := s.f.Devices.Admit(s.f.Ctx, nil, gasByAlgo)
	require.NoError(t, err)
	require.Empty(t, verdicts)

	c := claim(t, s.active[0], s.project, 5)
	c.Signature = c.Signature[:10]
	verdicts, err = s.f.Devices.Admit(s.f.Ctx, []types.Claim{c}, gasByAlgo)
	require.NoError(t, err)
	require.ErrorIs(t, verdicts[0].Err, types.ErrInvalidSignature)
	d, err := s.f.Devices.GetDevice(s.f.Ctx, s.active[0].ID)
	require.NoError(t, err)
	require.Zero(t, d.LastSeq)
	has, err := s.f.Devices.LastSeq.Has(s.f.Ctx, mustAddr(t, s.active[0].ID))
	require.NoError(t, err)
	require.False(t, has, "a rejected claim writes nothing")

	// Later accepted: the rejected seq was not consumed.
	verdicts, err = s.f.Devices.Admit(s.f.Ctx, []types.Claim{claim(t, s.active[0], s.project, 5)}, gasByAlgo)
	require.NoError(t, err)
	require.NoError(t, verdicts[0].Err)
}

func mustAddr(t *testing.T, id string) []byte {
	addr, err := devicekey.ParseDeviceID(id)
	require.NoError(t, err)
	return addr
}
