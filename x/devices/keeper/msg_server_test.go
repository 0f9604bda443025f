package keeper_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/devices/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

var allAlgos = []devicekey.Algo{devicekey.P256, devicekey.Secp256k1, devicekey.Ed25519}

// withPrefix re-encodes a bech32 address under another human-readable part.
func withPrefix(t *testing.T, hrp, addr string) string {
	t.Helper()
	_, bz, err := bech32.DecodeAndConvert(addr)
	require.NoError(t, err)
	out, err := bech32.ConvertAndEncode(hrp, bz)
	require.NoError(t, err)
	return out
}

func TestCreateProject(t *testing.T) {
	owner := testutil.AccAddress("owner")
	tests := []struct {
		name     string
		owner    string
		projName string
		metadata string
		wantErr  error
	}{
		{name: "ok", owner: owner, projName: "greenhouse sensors", metadata: `{"site":"north"}`},
		{name: "ok name at max bytes", owner: owner, projName: strings.Repeat("n", 128)},
		{name: "ok multibyte utf-8", owner: owner, projName: "Gewächshaus ☀"},
		{name: "ok metadata at max bytes", owner: owner, projName: "p", metadata: strings.Repeat("m", 4096)},
		{name: "empty name", owner: owner, projName: "", wantErr: types.ErrInvalidName},
		{name: "name too long", owner: owner, projName: strings.Repeat("n", 129), wantErr: types.ErrInvalidName},
		{name: "newline in name", owner: owner, projName: "a\nb", wantErr: types.ErrInvalidName},
		{name: "NUL in name", owner: owner, projName: "a\x00b", wantErr: types.ErrInvalidName},
		{name: "DEL in name", owner: owner, projName: "a\x7fb", wantErr: types.ErrInvalidName},
		{name: "C1 control in name", owner: owner, projName: "a\u0085b", wantErr: types.ErrInvalidName},
		{name: "invalid utf-8 name", owner: owner, projName: "a\xffb", wantErr: types.ErrInvalidName},
		{name: "metadata too large", owner: owner, projName: "p", metadata: strings.Repeat("m", 4097), wantErr: types.ErrMetadataTooLarge},
		{name: "empty owner", owner: "", projName: "p", wantErr: types.ErrInvalidSigner},
		{name: "garbage owner", owner: "not-an-address", projName: "p", wantErr: types.ErrInvalidSigner},
		{name: "owner with wrong prefix", owner: withPrefix(t, "cosmos", owner), projName: "p", wantErr: types.ErrInvalidSigner},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.NewFixture(t)
			f.ResetEvents()
			res, err := f.DevicesMsg.CreateProject(f.Ctx, &types.MsgCreateProject{Owner: tc.owner, Name: tc.projName, Metadata: tc.metadata})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Nil(t, res)
				// Nothing stored, no id consumed, no event.
				_, err := f.Devices.GetProject(f.Ctx, 1)
				require.ErrorIs(t, err, types.ErrProjectNotFound)
				next, err := f.Devices.ProjectSeq.Peek(f.Ctx)
				require.NoError(t, err)
				require.Equal(t, uint64(1), next)
				require.Empty(t, f.Events(types.EventTypeProjectCreated))
				return
			}
			require.NoError(t, err)
			require.Equal(t, uint64(1), res.ProjectId)
			p, err := f.Devices.GetProject(f.Ctx, res.ProjectId)
			require.NoError(t, err)
			require.Equal(t, types.Project{Id: 1, Owner: tc.owner, Name: tc.projName, Metadata: tc.metadata, CreatedHeight: 10}, p)
			ev := f.Events(types.EventTypeProjectCreated)
			require.Equal(t, []map[string]string{{types.AttributeKeyProjectID: "1", types.AttributeKeyOwner: tc.owner}}, ev)
		})
	}
}

func TestCreateProjectAssignsConsecutiveIDs(t *testing.T) {
	f := testutil.NewFixture(t)
	a, b := testutil.AccAddress("a"), testutil.AccAddress("b")
	require.Equal(t, uint64(1), f.Project(t, a))
	// A failed create does not consume an id.
	_, err := f.DevicesMsg.CreateProject(f.Ctx, &types.MsgCreateProject{Owner: a, Name: ""})
	require.ErrorIs(t, err, types.ErrInvalidName)
	require.Equal(t, uint64(2), f.Project(t, b))
	require.Equal(t, uint64(3), f.Project(t, a))
	p, err := f.Devices.GetProject(f.Ctx, 2)
	require.NoError(t, err)
	require.Equal(t, b, p.Owner)
}

func TestUpdateProject(t *testing.T) {
	owner, other := testutil.AccAddress("owner"), testutil.AccAddress("other")
	tests := []struct {
		name     string
		sender   string
		project  uint64
		metadata string
		wantErr  error
	}{
		{name: "ok", sender: owner, project: 1, metadata: `{"v":2}`},
		{name: "ok clear metadata", sender: owner, project: 1, metadata: ""},
		{name: "non-owner", sender: other, project: 1, metadata: "x", wantErr: types.ErrNotProjectOwner},
		{name: "unknown project", sender: owner, project: 99, metadata: "x", wantErr: types.ErrProjectNotFound},
		{name: "metadata too large", sender: owner, project: 1, metadata: strings.Repeat("m", 4097), wantErr: types.ErrMetadataTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.NewFixture(t)
			_, err := f.DevicesMsg.CreateProject(f.Ctx, &types.MsgCreateProject{Owner: owner, Name: "proj", Metadata: "v1"})
			require.NoError(t, err)
			f.ResetEvents()
			_, err = f.DevicesMsg.UpdateProject(f.Ctx, &types.MsgUpdateProject{Owner: tc.sender, ProjectId: tc.project, Metadata: tc.metadata})
			p, getErr := f.Devices.GetProject(f.Ctx, 1)
			require.NoError(t, getErr)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Equal(t, "v1", p.Metadata, "rejected update must not change the project")
				require.Empty(t, f.Events(types.EventTypeProjectUpdated))
				return
			}
			require.NoError(t, err)
			require.Equal(t, types.Project{Id: 1, Owner: owner, Name: "proj", Metadata: tc.metadata, CreatedHeight: 10}, p)
			require.Equal(t, []map[string]string{{types.AttributeKeyProjectID: "1"}}, f.Events(types.EventTypeProjectUpdated))
		})
	}
}

func TestTransferProject(t *testing.T) {
	f := testutil.NewFixture(t)
	oldOwner, newOwner := testutil.AccAddress("old"), testutil.AccAddress("new")
	p := f.Project(t, oldOwner)
	keep := f.Project(t, oldOwner) // stays with the old owner
	dev := testutil.NewDevice(t, devicekey.Ed25519, 1)
	f.Register(t, oldOwner, p, dev)

	f.ResetEvents()
	_, err := f.DevicesMsg.TransferProject(f.Ctx, &types.MsgTransferProject{Owner: oldOwner, ProjectId: p, NewOwner: newOwner})
	require.NoError(t, err)
	require.Equal(t, []map[string]string{{
		types.AttributeKeyProjectID: strconv.FormatUint(p, 10), types.AttributeKeyOwner: oldOwner, types.AttributeKeyNewOwner: newOwner,
	}}, f.Events(types.EventTypeProjectTransferred))

	got, err := f.Devices.GetProject(f.Ctx, p)
	require.NoError(t, err)
	require.Equal(t, newOwner, got.Owner)
	require.Equal(t, "project", got.Name, "transfer keeps the other fields")

	// The old owner lost every right over the project.
	_, err = f.DevicesMsg.UpdateProject(f.Ctx, &types.MsgUpdateProject{Owner: oldOwner, ProjectId: p, Metadata: "x"})
	require.ErrorIs(t, err, types.ErrNotProjectOwner)
	_, err = f.DevicesMsg.TransferProject(f.Ctx, &types.MsgTransferProject{Owner: oldOwner, ProjectId: p, NewOwner: oldOwner})
	require.ErrorIs(t, err, types.ErrNotProjectOwner)
	_, err = f.DevicesMsg.SetDeviceStatus(f.Ctx, &types.MsgSetDeviceStatus{Owner: oldOwner, DeviceId: dev.ID, Status: types.StatusSuspended})
	require.ErrorIs(t, err, types.ErrNotProjectOwner)
	d2 := testutil.NewDevice(t, devicekey.P256, 2)
	_, err = f.DevicesMsg.RegisterDevice(f.Ctx, &types.MsgRegisterDevice{Owner: oldOwner, ProjectId: p, PubKey: d2.Key.PublicKey(), Algo: "p256"})
	require.ErrorIs(t, err, types.ErrNotProjectOwner)
	_, err = f.StreamsMsg.CreateStream(f.Ctx, &streamstypes.MsgCreateStream{Owner: oldOwner, ProjectId: p, Name: "s"})
	require.ErrorIs(t, err, types.ErrNotProjectOwner)

	// The new owner gained them.
	_, err = f.DevicesMsg.UpdateProject(f.Ctx, &types.MsgUpdateProject{Owner: newOwner, ProjectId: p, Metadata: "mine"})
	require.NoError(t, err)
	f.Register(t, newOwner, p, d2)
	f.SetStatus(t, newOwner, dev.ID, types.StatusSuspended)
	f.Stream(t, newOwner, p)

	// The owner index moved: the Projects query with an owner filter sees it.
	byOwner := func(owner string) []uint64 {
		res, err := f.DevicesQuery.Projects(f.Ctx, &types.QueryProjectsRequest{Owner: owner})
		require.NoError(t, err)
		var ids []uint64
		for _, p := range res.Projects {
			require.Equal(t, owner, p.Owner)
			ids = append(ids, p.Id)
		}
		return ids
	}
	require.Equal(t, []uint64{keep}, byOwner(oldOwner))
	require.Equal(t, []uint64{p}, byOwner(newOwner))

	// And back: a second transfer moves the index again.
	_, err = f.DevicesMsg.TransferProject(f.Ctx, &types.MsgTransferProject{Owner: newOwner, ProjectId: p, NewOwner: oldOwner})
	require.NoError(t, err)
	require.Equal(t, []uint64{p, keep}, byOwner(oldOwner))
	require.Empty(t, byOwner(newOwner))
}

func TestTransferProjectErrors(t *testing.T) {
	owner, other := testutil.AccAddress("owner"), testutil.AccAddress("other")
	tests := []struct {
		name     string
		sender   string
		project  uint64
		newOwner string
		wantErr  error
	}{
		{name: "non-owner", sender: other, project: 1, newOwner: other, wantErr: types.ErrNotProjectOwner},
		{name: "unknown project", sender: owner, project: 7, newOwner: other, wantErr: types.ErrProjectNotFound},
		{name: "bad new owner", sender: owner, project: 1, newOwner: "w3b1bogus", wantErr: types.ErrInvalidSigner},
		{name: "empty new owner", sender: owner, project: 1, newOwner: "", wantErr: types.ErrInvalidSigner},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.NewFixture(t)
			f.Project(t, owner)
			_, err := f.DevicesMsg.TransferProject(f.Ctx, &types.MsgTransferProject{Owner: tc.sender, ProjectId: tc.project, NewOwner: tc.newOwner})
			require.ErrorIs(t, err, tc.wantErr)
			p, err := f.Devices.GetProject(f.Ctx, 1)
			require.NoError(t, err)
			require.Equal(t, owner, p.Owner)
			res, err := f.DevicesQuery.Projects(f.Ctx, &types.QueryProjectsRequest{Owner: owner})
			require.NoError(t, err)
			require.Len(t, res.Projects, 1)
		})
	}
}

func TestRegisterDevice(t *testing.T) {
	owner := testutil.AccAddress("owner")
	for _, algo := range allAlgos {
		dev := testutil.NewDevice(t, algo, 42)
		encodings := map[string][]byte{"normalized": dev.Key.PublicKey()}
		if algo != devicekey.Ed25519 {
			require.Len(t, dev.Key.PublicKey(), devicekey.CompressedECKeySize)
			encodings["uncompressed"] = dev.UncompressedKey(t)
		}
		for encName, pub := range encodings {
			t.Run(string(algo)+"/"+encName, func(t *testing.T) {
				f := testutil.NewFixture(t)
				p := f.Project(t, owner)
				f.ResetEvents()
				res, err := f.DevicesMsg.RegisterDevice(f.Ctx, &types.MsgRegisterDevice{Owner: owner, ProjectId: p, PubKey: pub, Algo: string(algo)})
				require.NoError(t, err)
				// Every encoding gives the id of the normalized key.
				require.Equal(t, dev.ID, res.DeviceId)
				require.Equal(t, devicekey.DeviceID(algo, dev.Key.PublicKey()), res.DeviceId)

				d, err := f.Devices.GetDevice(f.Ctx, res.DeviceId)
				require.NoError(t, err)
				require.Equal(t, types.Device{
					Id: dev.ID, ProjectId: p, Algo: string(algo), PubKey: dev.Key.PublicKey(),
					Status: types.StatusActive, LastSeq: 0, RegisteredHeight: 10,
				}, d)
				require.Equal(t, []map[string]string{{
					types.AttributeKeyDeviceID: dev.ID, types.AttributeKeyProjectID: strconv.FormatUint(p, 10), types.AttributeKeyAlgo: string(algo),
				}}, f.Events(types.EventTypeDeviceRegistered))

				// The registered key verifies the device's signatures.
				sig, err := dev.Key.Sign([]byte("hello"))
				require.NoError(t, err)
				require.NoError(t, devicekey.VerifySignature(algo, d.PubKey, []byte("hello"), sig))
			})
		}
	}
}

// offCurve returns an uncompressed EC key that is not a curve point.
func offCurve(t *testing.T, dev *testutil.Device) []byte {
	unc := dev.UncompressedKey(t)
	unc[64] ^= 1
	_, err := devicekey.NormalizePublicKey(dev.Key.Algo(), unc)
	require.ErrorIs(t, err, devicekey.ErrInvalidPublicKey)
	return unc
}

// noSuchX returns a compressed key whose x has no point on the curve.
func noSuchX(t *testing.T, algo devicekey.Algo) []byte {
	for i := byte(1); i < 255; i++ {
		pub := append([]byte{2}, bytes.Repeat([]byte{i}, 32)...)
		if _, err := devicekey.NormalizePublicKey(algo, pub); err != nil {
			require.ErrorIs(t, err, devicekey.ErrInvalidPublicKey)
			return pub
		}
	}
	t.Fatal("no invalid x found")
	return nil
}

func TestRegisterDeviceErrors(t *testing.T) {
	owner, other := testutil.AccAddress("owner"), testutil.AccAddress("other")
	p256 := testutil.NewDevice(t, devicekey.P256, 1)
	k1 := testutil.NewDevice(t, devicekey.Secp256k1, 2)
	ed := testutil.NewDevice(t, devicekey.Ed25519, 3)
	edIdentity := append([]byte{1}, make([]byte, 31)...)

	tests := []struct {
		name    string
		sender  string
		project uint64
		algo    string
		pub     []byte
		wantErr error
	}{
		{name: "invalid algo", algo: "rsa", pub: p256.Key.PublicKey(), wantErr: types.ErrInvalidAlgo},
		{name: "upper-case algo", algo: "P256", pub: p256.Key.PublicKey(), wantErr: types.ErrInvalidAlgo},
		{name: "empty algo", algo: "", pub: p256.Key.PublicKey(), wantErr: types.ErrInvalidAlgo},
		{name: "p256 off-curve", algo: "p256", pub: offCurve(t, p256), wantErr: types.ErrInvalidPubKey},
		{name: "secp256k1 off-curve", algo: "secp256k1", pub: offCurve(t, k1), wantErr: types.ErrInvalidPubKey},
		{name: "p256 x not on curve", algo: "p256", pub: noSuchX(t, devicekey.P256), wantErr: types.ErrInvalidPubKey},
		{name: "secp256k1 x not on curve", algo: "secp256k1", pub: noSuchX(t, devicekey.Secp256k1), wantErr: types.ErrInvalidPubKey},
		{name: "p256 wrong length", algo: "p256", pub: p256.Key.PublicKey()[:32], wantErr: types.ErrInvalidPubKey},
		{name: "p256 bad prefix", algo: "p256", pub: append([]byte{5}, p256.Key.PublicKey()[1:]...), wantErr: types.ErrInvalidPubKey},
		{name: "ed25519 wrong length", algo: "ed25519", pub: p256.Key.PublicKey(), wantErr: types.ErrInvalidPubKey},
		{name: "ed25519 key as p256", algo: "p256", pub: ed.Key.PublicKey(), wantErr: types.ErrInvalidPubKey},
		{name: "ed25519 small order", algo: "ed25519", pub: edIdentity, wantErr: types.ErrInvalidPubKey},
		{name: "empty key", algo: "ed25519", pub: nil, wantErr: types.ErrInvalidPubKey},
		{name: "non-owner", sender: other, algo: "ed25519", pub: ed.Key.PublicKey(), wantErr: types.ErrNotProjectOwner},
		{name: "unknown project", project: 9, algo: "ed25519", pub: ed.Key.PublicKey(), wantErr: types.ErrProjectNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.NewFixture(t)
			p := f.Project(t, owner)
			sender, project := owner, p
			if tc.sender != "" {
				sender = tc.sender
			}
			if tc.project != 0 {
				project = tc.project
			}
			f.ResetEvents()
			res, err := f.DevicesMsg.RegisterDevice(f.Ctx, &types.MsgRegisterDevice{Owner: sender, ProjectId: project, PubKey: tc.pub, Algo: tc.algo})
			require.ErrorIs(t, err, tc.wantErr)
			require.Nil(t, res)
			devs, err := f.DevicesQuery.ProjectDevices(f.Ctx, &types.QueryProjectDevicesRequest{ProjectId: p})
			require.NoError(t, err)
			require.Empty(t, devs.Devices)
			require.Empty(t, f.Events(types.EventTypeDeviceRegistered))
		})
	}
}

func TestRegisterDeviceDuplicate(t *testing.T) {
	owner := testutil.AccAddress("owner")
	for _, algo := range allAlgos {
		t.Run(string(algo), func(t *testing.T) {
			f := testutil.NewFixture(t)
			p1, p2 := f.Project(t, owner), f.Project(t, owner)
			dev := testutil.NewDevice(t, algo, 7)
			f.Register(t, owner, p1, dev)
			f.SetStatus(t, owner, dev.ID, types.StatusSuspended)

			attempts := map[string]*types.MsgRegisterDevice{
				"same key again":            {Owner: owner, ProjectId: p1, PubKey: dev.Key.PublicKey(), Algo: string(algo)},
				"same key in other project": {Owner: owner, ProjectId: p2, PubKey: dev.Key.PublicKey(), Algo: string(algo)},
			}
			if algo != devicekey.Ed25519 {
				attempts["uncompressed form"] = &types.MsgRegisterDevice{Owner: owner, ProjectId: p1, PubKey: dev.UncompressedKey(t), Algo: string(algo)}
				attempts["uncompressed form in other project"] = &types.MsgRegisterDevice{Owner: owner, ProjectId: p2, PubKey: dev.UncompressedKey(t), Algo: string(algo)}
			}
			for name, msg := range attempts {
				_, err := f.DevicesMsg.RegisterDevice(f.Ctx, msg)
				require.ErrorIs(t, err, types.ErrDeviceExists, name)
			}
			// The existing registration is untouched (project, status).
			d, err := f.Devices.GetDevice(f.Ctx, dev.ID)
			require.NoError(t, err)
			require.Equal(t, p1, d.ProjectId)
			require.Equal(t, types.StatusSuspended, d.Status)
			res, err := f.DevicesQuery.ProjectDevices(f.Ctx, &types.QueryProjectDevicesRequest{ProjectId: p2})
			require.NoError(t, err)
			require.Empty(t, res.Devices)
		})
	}
}

func TestRegisterDeviceUncompressedFirst(t *testing.T) {
	owner := testutil.AccAddress("owner")
	for _, algo := range []devicekey.Algo{devicekey.P256, devicekey.Secp256k1} {
		t.Run(string(algo), func(t *testing.T) {
			f := testutil.NewFixture(t)
			p := f.Project(t, owner)
			dev := testutil.NewDevice(t, algo, 8)
			res, err := f.DevicesMsg.RegisterDevice(f.Ctx, &types.MsgRegisterDevice{Owner: owner, ProjectId: p, PubKey: dev.UncompressedKey(t), Algo: string(algo)})
			require.NoError(t, err)
			require.Equal(t, dev.ID, res.DeviceId)
			d, err := f.Devices.GetDevice(f.Ctx, dev.ID)
			require.NoError(t, err)
			require.Equal(t, dev.Key.PublicKey(), d.PubKey, "stored key is compressed")
			_, err = f.DevicesMsg.RegisterDevice(f.Ctx, &types.MsgRegisterDevice{Owner: owner, ProjectId: p, PubKey: dev.Key.PublicKey(), Algo: string(algo)})
			require.ErrorIs(t, err, types.ErrDeviceExists, "compressed form of a key registered uncompressed")
		})
	}
}

func TestSetDeviceStatus(t *testing.T) {
	f := testutil.NewFixture(t)
	owner := testutil.AccAddress("owner")
	p := f.Project(t, owner)
	dev := testutil.NewDevice(t, devicekey.P256, 1)
	f.Register(t, owner, p, dev)

	set := func(status string) error {
		_, err := f.DevicesMsg.SetDeviceStatus(f.Ctx, &types.MsgSetDeviceStatus{Owner: owner, DeviceId: dev.ID, Status: status})
		return err
	}
	status := func() string {
		d, err := f.Devices.GetDevice(f.Ctx, dev.ID)
		require.NoError(t, err)
		return d.Status
	}

	for _, s := range []string{types.StatusSuspended, types.StatusActive, types.StatusSuspended, types.StatusActive} {
		f.ResetEvents()
		require.NoError(t, set(s))
		require.Equal(t, s, status())
		require.Equal(t, []map[string]string{{types.AttributeKeyDeviceID: dev.ID, types.AttributeKeyStatus: s}},
			f.Events(types.EventTypeDeviceStatusChanged))
	}

	// Setting the current status is a no-op without an event.
	f.ResetEvents()
	require.NoError(t, set(types.StatusActive))
	require.Equal(t, types.StatusActive, status())
	require.Empty(t, f.Events(types.EventTypeDeviceStatusChanged))

	// Revocation is final.
	require.NoError(t, set(types.StatusRevoked))
	require.Equal(t, types.StatusRevoked, status())
	for _, s := range []string{types.StatusActive, types.StatusSuspended, types.StatusRevoked} {
		f.ResetEvents()
		require.ErrorIs(t, set(s), types.ErrDeviceRevoked, s)
		require.Equal(t, types.StatusRevoked, status())
		require.Empty(t, f.Events(types.EventTypeDeviceStatusChanged))
	}
	// Revoked devices cannot be registered again either.
	_, err := f.DevicesMsg.RegisterDevice(f.Ctx, &types.MsgRegisterDevice{Owner: owner, ProjectId: p, PubKey: dev.Key.PublicKey(), Algo: "p256"})
	require.ErrorIs(t, err, types.ErrDeviceExists)
}

func TestSetDeviceStatusErrors(t *testing.T) {
	owner, other := testutil.AccAddress("owner"), testutil.AccAddress("other")
	dev := testutil.NewDevice(t, devicekey.Secp256k1, 1)
	unregistered := testutil.NewDevice(t, devicekey.Secp256k1, 2)
	tests := []struct {
		name     string
		sender   string
		deviceID string
		status   string
		wantErr  error
	}{
		{name: "invalid status", sender: owner, deviceID: dev.ID, status: "paused", wantErr: types.ErrInvalidStatus},
		{name: "upper-case status", sender: owner, deviceID: dev.ID, status: "Suspended", wantErr: types.ErrInvalidStatus},
		{name: "empty status", sender: owner, deviceID: dev.ID, status: "", wantErr: types.ErrInvalidStatus},
		{name: "non-owner", sender: other, deviceID: dev.ID, status: types.StatusSuspended, wantErr: types.ErrNotProjectOwner},
		{name: "non-owner revokes", sender: other, deviceID: dev.ID, status: types.StatusRevoked, wantErr: types.ErrNotProjectOwner},
		{name: "unknown device", sender: owner, deviceID: unregistered.ID, status: types.StatusSuspended, wantErr: types.ErrDeviceNotFound},
		{name: "malformed device id", sender: owner, deviceID: "w3bdev1nope", status: types.StatusSuspended, wantErr: types.ErrInvalidDeviceID},
		{name: "non-canonical device id", sender: owner, deviceID: strings.ToUpper(dev.ID), status: types.StatusSuspended, wantErr: types.ErrInvalidDeviceID},
		{name: "account address as device id", sender: owner, deviceID: owner, status: types.StatusSuspended, wantErr: types.ErrInvalidDeviceID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.NewFixture(t)
			f.Register(t, owner, f.Project(t, owner), dev)
			f.ResetEvents()
			_, err := f.DevicesMsg.SetDeviceStatus(f.Ctx, &types.MsgSetDeviceStatus{Owner: tc.sender, DeviceId: tc.deviceID, Status: tc.status})
			require.ErrorIs(t, err, tc.wantErr)
			d, err := f.Devices.GetDevice(f.Ctx, dev.ID)
			require.NoError(t, err)
			require.Equal(t, types.StatusActive, d.Status)
			require.Empty(t, f.Events(types.EventTypeDeviceStatusChanged))
		})
	}
}

func TestDevicesUpdateParams(t *testing.T) {
	f := testutil.NewFixture(t)
	owner := testutil.AccAddress("owner")
	require.Equal(t, f.Authority, f.Devices.Authority())
	getParams := func() types.Params {
		p, err := f.Devices.Params.Get(f.Ctx)
		require.NoError(t, err)
		return p
	}
	require.Equal(t, types.DefaultParams(), getParams())

	newParams := types.Params{MaxNameBytes: 4, MaxMetadataBytes: 8}
	_, err := f.DevicesMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: owner, Params: newParams})
	require.ErrorIs(t, err, types.ErrInvalidSigner)
	_, err = f.DevicesMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: "", Params: newParams})
	require.ErrorIs(t, err, types.ErrInvalidSigner)
	require.Equal(t, types.DefaultParams(), getParams())

	for name, bad := range map[string]types.Params{
		"zero max_name_bytes":     {MaxNameBytes: 0, MaxMetadataBytes: 8},
		"zero max_metadata_bytes": {MaxNameBytes: 4, MaxMetadataBytes: 0},
		"all zero":                {},
	} {
		_, err := f.DevicesMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority, Params: bad})
		require.ErrorIs(t, err, types.ErrInvalidParams, name)
		require.Equal(t, types.DefaultParams(), getParams(), name)
	}

	_, err = f.DevicesMsg.UpdateParams(f.Ctx, &types.MsgUpdateParams{Authority: f.Authority, Params: newParams})
	require.NoError(t, err)
	require.Equal(t, newParams, getParams())
	res, err := f.DevicesQuery.Params(f.Ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, newParams, res.Params)

	// The new limits apply.
	_, err = f.DevicesMsg.CreateProject(f.Ctx, &types.MsgCreateProject{Owner: owner, Name: "abcd", Metadata: "12345678"})
	require.NoError(t, err)
	_, err = f.DevicesMsg.CreateProject(f.Ctx, &types.MsgCreateProject{Owner: owner, Name: "abcde"})
	require.ErrorIs(t, err, types.ErrInvalidName)
	_, err = f.DevicesMsg.CreateProject(f.Ctx, &types.MsgCreateProject{Owner: owner, Name: "a", Metadata: "123456789"})
	require.ErrorIs(t, err, types.ErrMetadataTooLarge)
	_, err = f.DevicesMsg.UpdateProject(f.Ctx, &types.MsgUpdateProject{Owner: owner, ProjectId: 1, Metadata: "123456789"})
	require.ErrorIs(t, err, types.ErrMetadataTooLarge)
}
