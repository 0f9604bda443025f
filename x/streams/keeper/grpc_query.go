package keeper

import (
	"context"
	"encoding/binary"
	"errors"
	"math"

	"cosmossdk.io/collections"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/streams/types"
)

// Page sizes for record listings.
const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
)

type queryServer struct{ k *Keeper }

// NewQueryServerImpl returns the streams Query service.
func NewQueryServerImpl(k *Keeper) types.QueryServer { return queryServer{k} }

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Stream(ctx context.Context, req *types.QueryStreamRequest) (*types.QueryStreamResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	s, err := q.k.GetStream(ctx, req.Id)
	if err != nil {
		return nil, grpcError(err)
	}
	return &types.QueryStreamResponse{Stream: s}, nil
}

func (q queryServer) Streams(ctx context.Context, req *types.QueryStreamsRequest) (*types.QueryStreamsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.ProjectId == 0 {
		streams, page, err := query.CollectionPaginate(ctx, q.k.Streams, req.Pagination,
			func(_ uint64, s types.Stream) (types.Stream, error) { return s, nil })
		if err != nil {
			return nil, err
		}
		return &types.QueryStreamsResponse{Streams: streams, Pagination: page}, nil
	}
	streams, page, err := query.CollectionPaginate(ctx, q.k.StreamsByProj, req.Pagination,
		func(key collections.Pair[uint64, uint64], _ collections.NoValue) (types.Stream, error) {
			return q.k.Streams.Get(ctx, key.K2())
		},
		query.WithCollectionPaginationPairPrefix[uint64, uint64](req.ProjectId))
	if err != nil {
		return nil, err
	}
	return &types.QueryStreamsResponse{Streams: streams, Pagination: page}, nil
}

// Records pages through a stream in index order. The page key is the next
// index (8 bytes, big-endian), so a client can also start anywhere with
// from_index.
func (q queryServer) Records(ctx context.Context, req *types.QueryRecordsRequest) (*types.QueryRecordsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	stream, err := q.k.GetStream(ctx, req.StreamId)
	if err != nil {
		return nil, grpcError(err)
	}
	start, limit := req.FromIndex, uint64(defaultPageLimit)
	if p := req.Pagination; p != nil {
		if len(p.Key) > 0 {
			if len(p.Key) != 8 {
				return nil, status.Error(codes.InvalidArgument, "pagination key must be the 8-byte next index")
			}
			start = binary.BigEndian.Uint64(p.Key)
		} else if p.Offset > 0 {
			start += min(p.Offset, math.MaxUint64-start) // saturate: past the end is an empty page
		}
		if p.Limit > 0 {
			limit = min(p.Limit, maxPageLimit)
		}
	}
	res := &types.QueryRecordsResponse{Pagination: &query.PageResponse{Total: stream.RecordCount}}
	if start >= stream.RecordCount {
		return res, nil
	}
	end := min(stream.RecordCount, start+limit)
	rng := collections.NewPrefixedPairRange[uint64, uint64](req.StreamId).StartInclusive(start).EndExclusive(end)
	err = q.k.Records.Walk(ctx, rng, func(_ collections.Pair[uint64, uint64], r types.Record) (bool, error) {
		res.Records = append(res.Records, r)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if end < stream.RecordCount {
		res.Pagination.NextKey = binary.BigEndian.AppendUint64(nil, end)
	}
	return res, nil
}

func (q queryServer) Record(ctx context.Context, req *types.QueryRecordRequest) (*types.QueryRecordResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	r, err := q.k.GetRecord(ctx, req.StreamId, req.Index)
	if err != nil {
		return nil, grpcError(err)
	}
	return &types.QueryRecordResponse{Record: r}, nil
}

func (q queryServer) DeviceRecords(ctx context.Context, req *types.QueryDeviceRecordsRequest) (*types.QueryDeviceRecordsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	addr, err := devicekey.ParseDeviceID(req.DeviceId)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "device id %q: %v", req.DeviceId, err)
	}
	records, page, err := query.CollectionPaginate(ctx, q.k.RecordsByDevice, req.Pagination,
		func(key collections.Triple[[]byte, uint64, uint64], _ collections.NoValue) (types.Record, error) {
			return q.k.Records.Get(ctx, collections.Join(key.K2(), key.K3()))
		},
		func(o *query.CollectionsPaginateOptions[collections.Triple[[]byte, uint64, uint64]]) {
			prefix := collections.TriplePrefix[[]byte, uint64, uint64](addr)
			if req.StreamId != 0 {
				prefix = collections.TripleSuperPrefix[[]byte, uint64, uint64](addr, req.StreamId)
			}
			o.Prefix = &prefix
		})
	if err != nil {
		return nil, err
	}
	return &types.QueryDeviceRecordsResponse{Records: records, Pagination: page}, nil
}

func grpcError(err error) error {
	if errors.Is(err, types.ErrStreamNotFound) || errors.Is(err, types.ErrRecordNotFound) {
		return status.Error(codes.NotFound, err.Error())
	}
	return err
}
