package keeper_test

import (
	"encoding/binary"
	"testing"

	"github.com/cosmos/cosmos-sdk/types/query"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/streams/types"
)

func requireCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	require.Error(t, err)
	st, ok := status.FromError(err)
	require.True(t, ok, "not a gRPC status error: %v", err)
	require.Equal(t, code, st.Code(), "%v", err)
}

func recordIndexes(rs []types.Record) []uint64 {
	var out []uint64
	for _, r := range rs {
		out = append(out, r.Index)
	}
	return out
}

func indexRange(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestQueryStream(t *testing.T) {
	s := newScene(t)
	dev := s.device(t, devicekey.Ed25519, 1)
	s.f.Publish(t, dev.Envelope(t, s.stream, 1, testutil.Reading(1)))
	res, err := s.f.StreamsQuery.Stream(s.f.Ctx, &types.QueryStreamRequest{Id: s.stream})
	require.NoError(t, err)
	require.Equal(t, s.streamState(t, s.stream), res.Stream)
	require.Equal(t, uint64(1), res.Stream.RecordCount)
	require.Equal(t, "stream", res.Stream.Name)
	require.Equal(t, s.project, res.Stream.ProjectId)

	_, err = s.f.StreamsQuery.Stream(s.f.Ctx, &types.QueryStreamRequest{Id: 2})
	requireCode(t, err, codes.NotFound)
	_, err = s.f.StreamsQuery.Stream(s.f.Ctx, &types.QueryStreamRequest{Id: 0})
	requireCode(t, err, codes.NotFound)
	_, err = s.f.StreamsQuery.Stream(s.f.Ctx, nil)
	requireCode(t, err, codes.InvalidArgument)
}

func TestQueryStreams(t *testing.T) {
	f := testutil.NewFixture(t)
	a, b := testutil.AccAddress("a"), testutil.AccAddress("b")
	pa, pb, pEmpty := f.Project(t, a), f.Project(t, b), f.Project(t, a)
	projectOf := []uint64{pa, pb, pa, pa, pb} // streams 1..5
	for _, p := range projectOf {
		owner := a
		if p == pb {
			owner = b
		}
		f.Stream(t, owner, p)
	}
	ids := func(ss []types.Stream) []uint64 {
		var out []uint64
		for _, s := range ss {
			out = append(out, s.Id)
		}
		return out
	}

	all, err := f.StreamsQuery.Streams(f.Ctx, &types.QueryStreamsRequest{})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2, 3, 4, 5}, ids(all.Streams))
	for _, s := range all.Streams {
		require.Equal(t, projectOf[s.Id-1], s.ProjectId)
	}

	byA, err := f.StreamsQuery.Streams(f.Ctx, &types.QueryStreamsRequest{ProjectId: pa})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 3, 4}, ids(byA.Streams))
	byB, err := f.StreamsQuery.Streams(f.Ctx, &types.QueryStreamsRequest{ProjectId: pb})
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 5}, ids(byB.Streams))
	none, err := f.StreamsQuery.Streams(f.Ctx, &types.QueryStreamsRequest{ProjectId: pEmpty})
	require.NoError(t, err)
	require.Empty(t, none.Streams)
	unknown, err := f.StreamsQuery.Streams(f.Ctx, &types.QueryStreamsRequest{ProjectId: 99})
	require.NoError(t, err)
	require.Empty(t, unknown.Streams)

	// Pagination, all and by project.
	page1, err := f.StreamsQuery.Streams(f.Ctx, &types.QueryStreamsRequest{Pagination: &query.PageRequest{Limit: 3, CountTotal: true}})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2, 3}, ids(page1.Streams))
	require.Equal(t, uint64(5), page1.Pagination.Total)
	page2, err := f.StreamsQuery.Streams(f.Ctx, &types.QueryStreamsRequest{Pagination: &query.PageRequest{Key: page1.Pagination.NextKey, Limit: 3}})
	require.NoError(t, err)
	require.Equal(t, []uint64{4, 5}, ids(page2.Streams))
	require.Empty(t, page2.Pagination.NextKey)

	pp1, err := f.StreamsQuery.Streams(f.Ctx, &types.QueryStreamsRequest{ProjectId: pa, Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 3}, ids(pp1.Streams))
	require.Equal(t, uint64(3), pp1.Pagination.Total)
	pp2, err := f.StreamsQuery.Streams(f.Ctx, &types.QueryStreamsRequest{ProjectId: pa, Pagination: &query.PageRequest{Key: pp1.Pagination.NextKey, Limit: 2}})
	require.NoError(t, err)
	require.Equal(t, []uint64{4}, ids(pp2.Streams))

	_, err = f.StreamsQuery.Streams(f.Ctx, nil)
	requireCode(t, err, codes.InvalidArgument)
}

func TestQueryRecords(t *testing.T) {
	s := newScene(t)
	dev := s.device(t, devicekey.Secp256k1, 1)
	other := s.f.Stream(t, s.owner, s.project)
	const n = 25
	var envs []types.Envelope
	for i := uint64(1); i <= n; i++ {
		envs = append(envs, dev.Envelope(t, s.stream, i, testutil.Reading(int(i))))
	}
	envs = append(envs, dev.Envelope(t, other, n+1, testutil.Reading(0)))
	require.Equal(t, uint32(n+1), s.f.Publish(t, envs...).Accepted)

	records := func(req *types.QueryRecordsRequest) *types.QueryRecordsResponse {
		t.Helper()
		res, err := s.f.StreamsQuery.Records(s.f.Ctx, req)
		require.NoError(t, err)
		require.Equal(t, uint64(n), res.Pagination.Total, "total is the stream's record count")
		for _, r := range res.Records {
			require.Equal(t, s.stream, r.StreamId)
			require.Equal(t, envs[r.Index].Payload, r.Payload)
			require.Equal(t, envs[r.Index].Seq, r.Seq)
		}
		return res
	}

	all := records(&types.QueryRecordsRequest{StreamId: s.stream})
	require.Equal(t, indexRange(0, n), recordIndexes(all.Records))
	require.Empty(t, all.Pagination.NextKey)

	from := records(&types.QueryRecordsRequest{StreamId: s.stream, FromIndex: 20})
	require.Equal(t, indexRange(20, n), recordIndexes(from.Records))
	require.Empty(t, from.Pagination.NextKey)

	// Limit and next_key, followed to the end.
	var got []uint64
	req := &types.QueryRecordsRequest{StreamId: s.stream, FromIndex: 3, Pagination: &query.PageRequest{Limit: 10}}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 3)
		res := records(req)
		require.LessOrEqual(t, len(res.Records), 10)
		got = append(got, recordIndexes(res.Records)...)
		if res.Pagination.NextKey == nil {
			break
		}
		require.Len(t, res.Pagination.NextKey, 8)
		require.Equal(t, got[len(got)-1]+1, binary.BigEndian.Uint64(res.Pagination.NextKey))
		req = &types.QueryRecordsRequest{StreamId: s.stream, Pagination: &query.PageRequest{Key: res.Pagination.NextKey, Limit: 10}}
	}
	require.Equal(t, indexRange(3, n), got)

	// A page ending exactly at the end has no next key.
	exact := records(&types.QueryRecordsRequest{StreamId: s.stream, FromIndex: 15, Pagination: &query.PageRequest{Limit: 10}})
	require.Equal(t, indexRange(15, n), recordIndexes(exact.Records))
	require.Empty(t, exact.Pagination.NextKey)

	// Offset counts from from_index.
	off := records(&types.QueryRecordsRequest{StreamId: s.stream, FromIndex: 2, Pagination: &query.PageRequest{Offset: 5, Limit: 3}})
	require.Equal(t, []uint64{7, 8, 9}, recordIndexes(off.Records))

	// An offset past the end saturates: an empty page, never a wrap-around.
	for _, offset := range []uint64{n, 1 << 63, ^uint64(0) - 1, ^uint64(0)} {
		huge := records(&types.QueryRecordsRequest{StreamId: s.stream, FromIndex: 2, Pagination: &query.PageRequest{Offset: offset}})
		require.Empty(t, huge.Records, "offset %d", offset)
		require.Empty(t, huge.Pagination.NextKey)
	}

	// Past the end: empty, no next key.
	for _, start := range []uint64{n, n + 1, 1 << 62, ^uint64(0)} {
		past := records(&types.QueryRecordsRequest{StreamId: s.stream, FromIndex: start})
		require.Empty(t, past.Records)
		require.Empty(t, past.Pagination.NextKey)
	}
	pastKey := records(&types.QueryRecordsRequest{StreamId: s.stream, Pagination: &query.PageRequest{Key: binary.BigEndian.AppendUint64(nil, n)}})
	require.Empty(t, pastKey.Records)

	// Huge limits are capped, not refused.
	capped := records(&types.QueryRecordsRequest{StreamId: s.stream, Pagination: &query.PageRequest{Limit: 1 << 40}})
	require.Equal(t, indexRange(0, n), recordIndexes(capped.Records))

	// The other stream is separate.
	res, err := s.f.StreamsQuery.Records(s.f.Ctx, &types.QueryRecordsRequest{StreamId: other})
	require.NoError(t, err)
	require.Len(t, res.Records, 1)
	require.Equal(t, uint64(1), res.Pagination.Total)

	_, err = s.f.StreamsQuery.Records(s.f.Ctx, &types.QueryRecordsRequest{StreamId: 99})
	requireCode(t, err, codes.NotFound)
	_, err = s.f.StreamsQuery.Records(s.f.Ctx, &types.QueryRecordsRequest{StreamId: s.stream, Pagination: &query.PageRequest{Key: []byte{1, 2, 3}}})
	requireCode(t, err, codes.InvalidArgument)
	_, err = s.f.StreamsQuery.Records(s.f.Ctx, nil)
	requireCode(t, err, codes.InvalidArgument)
}

func TestQueryRecordsEmptyStream(t *testing.T) {
	s := newScene(t)
	res, err := s.f.StreamsQuery.Records(s.f.Ctx, &types.QueryRecordsRequest{StreamId: s.stream})
	require.NoError(t, err)
	require.Empty(t, res.Records)
	require.Zero(t, res.Pagination.Total)
	require.Empty(t, res.Pagination.NextKey)
}

func TestQueryRecord(t *testing.T) {
	s := newScene(t)
	dev := s.device(t, devicekey.P256, 1)
	env := dev.Envelope(t, s.stream, 4, testutil.Reading(4))
	s.f.Publish(t, env)
	res, err := s.f.StreamsQuery.Record(s.f.Ctx, &types.QueryRecordRequest{StreamId: s.stream, Index: 0})
	require.NoError(t, err)
	require.Equal(t, dev.ID, res.Record.DeviceId)
	require.Equal(t, uint64(4), res.Record.Seq)
	require.Equal(t, env.Payload, res.Record.Payload)

	_, err = s.f.StreamsQuery.Record(s.f.Ctx, &types.QueryRecordRequest{StreamId: s.stream, Index: 1})
	requireCode(t, err, codes.NotFound)
	_, err = s.f.StreamsQuery.Record(s.f.Ctx, &types.QueryRecordRequest{StreamId: 77, Index: 0})
	requireCode(t, err, codes.NotFound)
	_, err = s.f.StreamsQuery.Record(s.f.Ctx, nil)
	requireCode(t, err, codes.InvalidArgument)
	_, err = s.f.Streams.GetRecord(s.f.Ctx, s.stream, 1)
	require.ErrorIs(t, err, types.ErrRecordNotFound)
	_, err = s.f.Streams.GetStream(s.f.Ctx, 77)
	require.ErrorIs(t, err, types.ErrStreamNotFound)
}

func TestQueryDeviceRecords(t *testing.T) {
	s := newScene(t)
	dev := s.device(t, devicekey.Ed25519, 1)
	bystander := s.device(t, devicekey.P256, 2)
	s2 := s.f.Stream(t, s.owner, s.project)
	// Interleave: dev writes 3 to stream 1 and 2 to stream 2; bystander 2.
	res := s.f.Publish(t,
		dev.Envelope(t, s2, 1, testutil.Reading(1)),
		bystander.Envelope(t, s.stream, 1, testutil.Reading(2)),
		dev.Envelope(t, s.stream, 2, testutil.Reading(3)),
		dev.Envelope(t, s.stream, 3, testutil.Reading(4)),
		bystander.Envelope(t, s2, 2, testutil.Reading(5)),
		dev.Envelope(t, s2, 4, testutil.Reading(6)),
		dev.Envelope(t, s.stream, 5, testutil.Reading(7)),
	)
	require.Equal(t, uint32(7), res.Accepted)

	type loc struct{ stream, index, seq uint64 }
	locs := func(rs []types.Record) []loc {
		var out []loc
		for _, r := range rs {
			require.Equal(t, dev.ID, r.DeviceId)
			out = append(out, loc{r.StreamId, r.Index, r.Seq})
		}
		return out
	}
	// Ordered by stream, then index.
	want := []loc{{s.stream, 1, 2}, {s.stream, 2, 3}, {s.stream, 3, 5}, {s2, 0, 1}, {s2, 2, 4}}

	all, err := s.f.StreamsQuery.DeviceRecords(s.f.Ctx, &types.QueryDeviceRecordsRequest{DeviceId: dev.ID})
	require.NoError(t, err)
	require.Equal(t, want, locs(all.Records))

	page1, err := s.f.StreamsQuery.DeviceRecords(s.f.Ctx, &types.QueryDeviceRecordsRequest{DeviceId: dev.ID, Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	require.NoError(t, err)
	require.Equal(t, want[:2], locs(page1.Records))
	require.Equal(t, uint64(5), page1.Pagination.Total)
	page2, err := s.f.StreamsQuery.DeviceRecords(s.f.Ctx, &types.QueryDeviceRecordsRequest{DeviceId: dev.ID, Pagination: &query.PageRequest{Key: page1.Pagination.NextKey, Limit: 10}})
	require.NoError(t, err)
	require.Equal(t, want[2:], locs(page2.Records))
	require.Empty(t, page2.Pagination.NextKey)

	by, err := s.f.StreamsQuery.DeviceRecords(s.f.Ctx, &types.QueryDeviceRecordsRequest{DeviceId: bystander.ID})
	require.NoError(t, err)
	require.Len(t, by.Records, 2)

	nobody, err := s.f.StreamsQuery.DeviceRecords(s.f.Ctx, &types.QueryDeviceRecordsRequest{DeviceId: testutil.NewDevice(t, devicekey.Ed25519, 9).ID})
	require.NoError(t, err)
	require.Empty(t, nobody.Records)

	_, err = s.f.StreamsQuery.DeviceRecords(s.f.Ctx, &types.QueryDeviceRecordsRequest{DeviceId: "w3bdev1zzz"})
	requireCode(t, err, codes.InvalidArgument)
	_, err = s.f.StreamsQuery.DeviceRecords(s.f.Ctx, &types.QueryDeviceRecordsRequest{DeviceId: s.owner})
	requireCode(t, err, codes.InvalidArgument)
	_, err = s.f.StreamsQuery.DeviceRecords(s.f.Ctx, nil)
	requireCode(t, err, codes.InvalidArgument)
}

func TestQueryStreamsParams(t *testing.T) {
	f := testutil.NewFixture(t)
	res, err := f.StreamsQuery.Params(f.Ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, types.DefaultParams(), res.Params)
}
