package keeper_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/cosmos/cosmos-sdk/types/query"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/devices/types"
)

func requireCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	require.Error(t, err)
	st, ok := status.FromError(err)
	require.True(t, ok, "not a gRPC status error: %v", err)
	require.Equal(t, code, st.Code(), "%v", err)
}

func TestQueryProject(t *testing.T) {
	f := testutil.NewFixture(t)
	owner := testutil.AccAddress("owner")
	_, err := f.DevicesMsg.CreateProject(f.Ctx, &types.MsgCreateProject{Owner: owner, Name: "farm", Metadata: "m"})
	require.NoError(t, err)

	res, err := f.DevicesQuery.Project(f.Ctx, &types.QueryProjectRequest{Id: 1})
	require.NoError(t, err)
	require.Equal(t, types.Project{Id: 1, Owner: owner, Name: "farm", Metadata: "m", CreatedHeight: 10}, res.Project)

	_, err = f.DevicesQuery.Project(f.Ctx, &types.QueryProjectRequest{Id: 2})
	requireCode(t, err, codes.NotFound)
	_, err = f.DevicesQuery.Project(f.Ctx, &types.QueryProjectRequest{Id: 0})
	requireCode(t, err, codes.NotFound)
	_, err = f.DevicesQuery.Project(f.Ctx, nil)
	requireCode(t, err, codes.InvalidArgument)
}

func TestQueryProjects(t *testing.T) {
	f := testutil.NewFixture(t)
	a, b := testutil.AccAddress("a"), testutil.AccAddress("b")
	owners := []string{a, b, a, a, b} // projects 1..5
	for _, o := range owners {
		f.Project(t, o)
	}
	ids := func(ps []types.Project) []uint64 {
		var out []uint64
		for _, p := range ps {
			out = append(out, p.Id)
		}
		return out
	}

	all, err := f.DevicesQuery.Projects(f.Ctx, &types.QueryProjectsRequest{})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2, 3, 4, 5}, ids(all.Projects))
	for _, p := range all.Projects {
		require.Equal(t, owners[p.Id-1], p.Owner)
	}

	// Pagination over all projects, following next_key.
	var got []uint64
	var key []byte
	for pages := 0; ; pages++ {
		require.Less(t, pages, 3)
		res, err := f.DevicesQuery.Projects(f.Ctx, &types.QueryProjectsRequest{Pagination: &query.PageRequest{Key: key, Limit: 2, CountTotal: key == nil}})
		require.NoError(t, err)
		require.LessOrEqual(t, len(res.Projects), 2)
		if key == nil {
			require.Equal(t, uint64(5), res.Pagination.Total)
		}
		got = append(got, ids(res.Projects)...)
		if key = res.Pagination.NextKey; key == nil {
			break
		}
	}
	require.Equal(t, []uint64{1, 2, 3, 4, 5}, got)

	byA, err := f.DevicesQuery.Projects(f.Ctx, &types.QueryProjectsRequest{Owner: a})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 3, 4}, ids(byA.Projects))
	byB, err := f.DevicesQuery.Projects(f.Ctx, &types.QueryProjectsRequest{Owner: b})
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 5}, ids(byB.Projects))

	// Owner filter with pagination.
	page1, err := f.DevicesQuery.Projects(f.Ctx, &types.QueryProjectsRequest{Owner: a, Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 3}, ids(page1.Projects))
	require.Equal(t, uint64(3), page1.Pagination.Total)
	require.NotEmpty(t, page1.Pagination.NextKey)
	page2, err := f.DevicesQuery.Projects(f.Ctx, &types.QueryProjectsRequest{Owner: a, Pagination: &query.PageRequest{Key: page1.Pagination.NextKey, Limit: 2}})
	require.NoError(t, err)
	require.Equal(t, []uint64{4}, ids(page2.Projects))
	require.Empty(t, page2.Pagination.NextKey)

	nobody, err := f.DevicesQuery.Projects(f.Ctx, &types.QueryProjectsRequest{Owner: testutil.AccAddress("nobody")})
	require.NoError(t, err)
	require.Empty(t, nobody.Projects)

	_, err = f.DevicesQuery.Projects(f.Ctx, &types.QueryProjectsRequest{Owner: "garbage"})
	requireCode(t, err, codes.InvalidArgument)
	_, err = f.DevicesQuery.Projects(f.Ctx, nil)
	requireCode(t, err, codes.InvalidArgument)
}

func TestQueryDevice(t *testing.T) {
	f := testutil.NewFixture(t)
	owner := testutil.AccAddress("owner")
	p := f.Project(t, owner)
	s := f.Stream(t, owner, p)
	dev := testutil.NewDevice(t, devicekey.Secp256k1, 1)
	f.Register(t, owner, p, dev)

	res, err := f.DevicesQuery.Device(f.Ctx, &types.QueryDeviceRequest{DeviceId: dev.ID})
	require.NoError(t, err)
	require.Equal(t, types.Device{Id: dev.ID, ProjectId: p, Algo: "secp256k1", PubKey: dev.Key.PublicKey(), Status: types.StatusActive, RegisteredHeight: 10}, res.Device)

	pub := f.Publish(t, dev.Envelope(t, s, 3, testutil.Reading(1)), dev.Envelope(t, s, 9, testutil.Reading(2)))
	require.Equal(t, uint32(2), pub.Accepted)
	res, err = f.DevicesQuery.Device(f.Ctx, &types.QueryDeviceRequest{DeviceId: dev.ID})
	require.NoError(t, err)
	require.Equal(t, uint64(9), res.Device.LastSeq)

	f.SetStatus(t, owner, dev.ID, types.StatusSuspended)
	res, err = f.DevicesQuery.Device(f.Ctx, &types.QueryDeviceRequest{DeviceId: dev.ID})
	require.NoError(t, err)
	require.Equal(t, types.StatusSuspended, res.Device.Status)
	require.Equal(t, uint64(9), res.Device.LastSeq, "status change keeps last_seq")

	_, err = f.DevicesQuery.Device(f.Ctx, &types.QueryDeviceRequest{DeviceId: testutil.NewDevice(t, devicekey.Secp256k1, 2).ID})
	requireCode(t, err, codes.NotFound)
	_, err = f.DevicesQuery.Device(f.Ctx, &types.QueryDeviceRequest{DeviceId: "w3bdev1xyz"})
	requireCode(t, err, codes.InvalidArgument)
	_, err = f.DevicesQuery.Device(f.Ctx, &types.QueryDeviceRequest{DeviceId: ""})
	requireCode(t, err, codes.InvalidArgument)
	_, err = f.DevicesQuery.Device(f.Ctx, nil)
	requireCode(t, err, codes.InvalidArgument)
}

func TestQueryProjectDevices(t *testing.T) {
	f := testutil.NewFixture(t)
	owner := testutil.AccAddress("owner")
	p1, p2, empty := f.Project(t, owner), f.Project(t, owner), f.Project(t, owner)
	s1 := f.Stream(t, owner, p1)
	want := map[string]*testutil.Device{}
	for i, algo := range allAlgos {
		d := testutil.NewDevice(t, algo, int64(10+i))
		f.Register(t, owner, p1, d)
		want[d.ID] = d
	}
	other := testutil.NewDevice(t, devicekey.Ed25519, 99)
	f.Register(t, owner, p2, other)
	var withSeq *testutil.Device
	for _, d := range want {
		withSeq = d
		break
	}
	require.Equal(t, uint32(1), f.Publish(t, withSeq.Envelope(t, s1, 5, testutil.Reading(0))).Accepted)

	res, err := f.DevicesQuery.ProjectDevices(f.Ctx, &types.QueryProjectDevicesRequest{ProjectId: p1})
	require.NoError(t, err)
	require.Len(t, res.Devices, 3)
	for _, d := range res.Devices {
		w, ok := want[d.Id]
		require.True(t, ok, "unexpected device %s", d.Id)
		require.Equal(t, p1, d.ProjectId)
		require.Equal(t, string(w.Key.Algo()), d.Algo)
		require.Equal(t, w.Key.PublicKey(), d.PubKey)
		if d.Id == withSeq.ID {
			require.Equal(t, uint64(5), d.LastSeq)
		} else {
			require.Zero(t, d.LastSeq)
		}
	}

	// Pagination.
	seen := map[string]bool{}
	var key []byte
	for pages := 0; ; pages++ {
		require.Less(t, pages, 3)
		page, err := f.DevicesQuery.ProjectDevices(f.Ctx, &types.QueryProjectDevicesRequest{ProjectId: p1, Pagination: &query.PageRequest{Key: key, Limit: 2, CountTotal: key == nil}})
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Devices), 2)
		if key == nil {
			require.Equal(t, uint64(3), page.Pagination.Total)
		}
		for _, d := range page.Devices {
			require.False(t, seen[d.Id])
			seen[d.Id] = true
		}
		if key = page.Pagination.NextKey; key == nil {
			break
		}
	}
	require.Len(t, seen, 3)

	res, err = f.DevicesQuery.ProjectDevices(f.Ctx, &types.QueryProjectDevicesRequest{ProjectId: p2})
	require.NoError(t, err)
	require.Len(t, res.Devices, 1)
	require.Equal(t, other.ID, res.Devices[0].Id)

	res, err = f.DevicesQuery.ProjectDevices(f.Ctx, &types.QueryProjectDevicesRequest{ProjectId: empty})
	require.NoError(t, err)
	require.Empty(t, res.Devices)
	_, err = f.DevicesQuery.ProjectDevices(f.Ctx, nil)
	requireCode(t, err, codes.InvalidArgument)
}

// didDoc mirrors the DID document JSON.
type didDoc struct {
	Context            []string `json:"@context"`
	ID                 string   `json:"id"`
	Controller         string   `json:"controller"`
	VerificationMethod []struct {
		ID           string `json:"id"`
		Type         string `json:"type"`
		Controller   string `json:"controller"`
		PublicKeyJwk struct {
			Kty string `json:"kty"`
			Crv string `json:"crv"`
			X   string `json:"x"`
			Y   string `json:"y"`
		} `json:"publicKeyJwk"`
	} `json:"verificationMethod"`
	AssertionMethod []string `json:"assertionMethod"`
	Deactivated     bool     `json:"deactivated"`
}

func resolveDID(t *testing.T, f *testutil.Fixture, did string) (didDoc, *types.QueryDidDocumentResponse) {
	t.Helper()
	res, err := f.DevicesQuery.DidDocument(f.Ctx, &types.QueryDidDocumentRequest{Did: did})
	require.NoError(t, err)
	require.True(t, json.Valid([]byte(res.DidDocument)), res.DidDocument)
	var doc didDoc
	require.NoError(t, json.Unmarshal([]byte(res.DidDocument), &doc))
	return doc, res
}

func TestQueryDidDocument(t *testing.T) {
	crv := map[devicekey.Algo]string{devicekey.P256: "P-256", devicekey.Secp256k1: "secp256k1", devicekey.Ed25519: "Ed25519"}
	kty := map[devicekey.Algo]string{devicekey.P256: "EC", devicekey.Secp256k1: "EC", devicekey.Ed25519: "OKP"}
	for _, algo := range allAlgos {
		t.Run(string(algo), func(t *testing.T) {
			f := testutil.NewFixture(t)
			owner, newOwner := testutil.AccAddress("owner"), testutil.AccAddress("new-owner")
			p := f.Project(t, owner)
			dev := testutil.NewDevice(t, algo, 5)
			f.Register(t, owner, p, dev)
			did := "did:w3b:" + dev.ID

			doc, res := resolveDID(t, f, did)
			require.False(t, res.Deactivated)
			require.Equal(t, []string{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"}, doc.Context)
			require.Equal(t, did, doc.ID)
			require.Equal(t, "did:pkh:cosmos:"+testutil.ChainID+":"+owner, doc.Controller)
			require.Len(t, doc.VerificationMethod, 1)
			vm := doc.VerificationMethod[0]
			require.Equal(t, did+"#key-1", vm.ID)
			require.Equal(t, "JsonWebKey2020", vm.Type)
			require.Equal(t, did, vm.Controller)
			require.Equal(t, crv[algo], vm.PublicKeyJwk.Crv)
			require.Equal(t, kty[algo], vm.PublicKeyJwk.Kty)
			require.Equal(t, []string{did + "#key-1"}, doc.AssertionMethod)
			require.False(t, doc.Deactivated)
			require.NotContains(t, res.DidDocument, "deactivated")

			// The JWK is the registered key.
			x, err := base64.RawURLEncoding.DecodeString(vm.PublicKeyJwk.X)
			require.NoError(t, err)
			if algo == devicekey.Ed25519 {
				require.Equal(t, dev.Key.PublicKey(), x)
				require.Empty(t, vm.PublicKeyJwk.Y)
			} else {
				y, err := base64.RawURLEncoding.DecodeString(vm.PublicKeyJwk.Y)
				require.NoError(t, err)
				require.Equal(t, dev.UncompressedKey(t), append(append([]byte{4}, x...), y...))
			}

			// A bare device id resolves to the same document.
			_, bare := resolveDID(t, f, dev.ID)
			require.Equal(t, res.DidDocument, bare.DidDocument)

			// Suspension does not deactivate.
			f.SetStatus(t, owner, dev.ID, types.StatusSuspended)
			doc, res = resolveDID(t, f, did)
			require.False(t, res.Deactivated)
			require.Equal(t, []string{did + "#key-1"}, doc.AssertionMethod)

			// The controller follows the project owner.
			_, err = f.DevicesMsg.TransferProject(f.Ctx, &types.MsgTransferProject{Owner: owner, ProjectId: p, NewOwner: newOwner})
			require.NoError(t, err)
			doc, _ = resolveDID(t, f, did)
			require.Equal(t, "did:pkh:cosmos:"+testutil.ChainID+":"+newOwner, doc.Controller)

			// Revocation deactivates: no assertion methods (an empty list, not null).
			f.SetStatus(t, newOwner, dev.ID, types.StatusRevoked)
			doc, res = resolveDID(t, f, did)
			require.True(t, res.Deactivated)
			require.True(t, doc.Deactivated)
			require.NotNil(t, doc.AssertionMethod)
			require.Empty(t, doc.AssertionMethod)
			require.Contains(t, res.DidDocument, `"assertionMethod":[]`)
			require.Len(t, doc.VerificationMethod, 1, "the key stays resolvable to check old signatures")
		})
	}
}

func TestQueryDidDocumentErrors(t *testing.T) {
	f := testutil.NewFixture(t)
	owner := testutil.AccAddress("owner")
	dev := testutil.NewDevice(t, devicekey.Ed25519, 1)
	f.Register(t, owner, f.Project(t, owner), dev)
	unknown := testutil.NewDevice(t, devicekey.Ed25519, 2)

	tests := []struct {
		did  string
		code codes.Code
	}{
		{"did:w3b:" + unknown.ID, codes.NotFound},
		{unknown.ID, codes.NotFound},
		{"did:w3b:garbage", codes.InvalidArgument},
		{"garbage", codes.InvalidArgument},
		{"", codes.InvalidArgument},
		{"did:w3b:", codes.InvalidArgument},
		{"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", codes.InvalidArgument},
		{"did:w3b:did:w3b:" + dev.ID, codes.InvalidArgument},
		{"did:pkh:cosmos:" + testutil.ChainID + ":" + owner, codes.InvalidArgument},
		{"DID:W3B:" + dev.ID, codes.InvalidArgument},
		{owner, codes.InvalidArgument},
	}
	for _, tc := range tests {
		_, err := f.DevicesQuery.DidDocument(f.Ctx, &types.QueryDidDocumentRequest{Did: tc.did})
		requireCode(t, err, tc.code)
	}
	_, err := f.DevicesQuery.DidDocument(f.Ctx, nil)
	requireCode(t, err, codes.InvalidArgument)

	// The keeper method keeps the registered errors.
	_, _, err = f.Devices.DIDDocument(f.Ctx, "did:key:abc")
	require.ErrorIs(t, err, types.ErrInvalidDID)
	_, _, err = f.Devices.DIDDocument(f.Ctx, "did:w3b:"+unknown.ID)
	require.ErrorIs(t, err, types.ErrDeviceNotFound)
	_, _, err = f.Devices.DIDDocument(f.Ctx, "did:w3b:nope")
	require.ErrorIs(t, err, types.ErrInvalidDeviceID)
}

func TestQueryDevicesParams(t *testing.T) {
	f := testutil.NewFixture(t)
	res, err := f.DevicesQuery.Params(f.Ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, types.DefaultParams(), res.Params)
	require.Equal(t, types.Params{MaxNameBytes: 128, MaxMetadataBytes: 4096}, res.Params)
}

func TestKeeperLookups(t *testing.T) {
	f := testutil.NewFixture(t)
	owner := testutil.AccAddress("owner")
	p := f.Project(t, owner)
	_, err := f.Devices.GetProject(f.Ctx, p+1)
	require.ErrorIs(t, err, types.ErrProjectNotFound)
	_, err = f.Devices.RequireProjectOwner(f.Ctx, p+1, owner)
	require.ErrorIs(t, err, types.ErrProjectNotFound)
	_, err = f.Devices.RequireProjectOwner(f.Ctx, p, testutil.AccAddress("x"))
	require.ErrorIs(t, err, types.ErrNotProjectOwner)
	got, err := f.Devices.RequireProjectOwner(f.Ctx, p, owner)
	require.NoError(t, err)
	require.Equal(t, p, got.Id)
	_, err = f.Devices.GetDevice(f.Ctx, testutil.NewDevice(t, devicekey.P256, 1).ID)
	require.ErrorIs(t, err, types.ErrDeviceNotFound)
	_, err = f.Devices.GetDevice(f.Ctx, "bogus")
	require.ErrorIs(t, err, types.ErrInvalidDeviceID)
}
