package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/w3bd/w3bd/x/applets/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// QueryStreams is the part of x/streams' query service that serves outputs.
type QueryStreams interface {
	Records(context.Context, *streamstypes.QueryRecordsRequest) (*streamstypes.QueryRecordsResponse, error)
}

type queryServer struct {
	k       Keeper
	streams QueryStreams
}

// NewQueryServerImpl returns the applets Query service; outputs are served
// by x/streams' records query on the instance's output stream.
func NewQueryServerImpl(k Keeper, streams QueryStreams) types.QueryServer {
	return queryServer{k: k, streams: streams}
}

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Code(ctx context.Context, req *types.QueryCodeRequest) (*types.QueryCodeResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	c, err := q.k.GetCode(ctx, req.Id)
	if err != nil {
		return nil, grpcError(err)
	}
	return &types.QueryCodeResponse{Code: c}, nil
}

func (q queryServer) Instance(ctx context.Context, req *types.QueryInstanceRequest) (*types.QueryInstanceResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	inst, err := q.k.GetInstance(ctx, req.Id)
	if err != nil {
		return nil, grpcError(err)
	}
	res := &types.QueryInstanceResponse{Instance: inst}
	for _, sid := range inst.Streams {
		next, err := q.k.Cursors.Get(ctx, collections.Join(inst.Id, sid))
		if err != nil {
			return nil, err
		}
		res.Cursors = append(res.Cursors, types.Cursor{StreamId: sid, NextIndex: next})
	}
	return res, nil
}

func (q queryServer) State(ctx context.Context, req *types.QueryStateRequest) (*types.QueryStateResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, err := q.k.GetInstance(ctx, req.InstanceId); err != nil {
		return nil, grpcError(err)
	}
	v, err := q.k.State.Get(ctx, collections.Join(req.InstanceId, req.Key))
	if isNotFound(err) {
		return &types.QueryStateResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &types.QueryStateResponse{Value: v, Found: true}, nil
}

func (q queryServer) Logs(ctx context.Context, req *types.QueryLogsRequest) (*types.QueryLogsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, err := q.k.GetInstance(ctx, req.InstanceId); err != nil {
		return nil, grpcError(err)
	}
	res := &types.QueryLogsResponse{}
	err := q.k.Logs.Walk(ctx, collections.NewPrefixedPairRange[uint64, uint64](req.InstanceId),
		func(_ collections.Pair[uint64, uint64], e types.LogEntry) (bool, error) {
			res.Logs = append(res.Logs, e)
			return false, nil
		})
	return res, err
}

func (q queryServer) Outputs(ctx context.Context, req *types.QueryOutputsRequest) (*types.QueryOutputsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	inst, err := q.k.GetInstance(ctx, req.InstanceId)
	if err != nil {
		return nil, grpcError(err)
	}
	recs, err := q.streams.Records(ctx, &streamstypes.QueryRecordsRequest{
		StreamId: inst.OutputStreamId, FromIndex: req.FromIndex, Pagination: req.Pagination,
	})
	if err != nil {
		return nil, err
	}
	return &types.QueryOutputsResponse{Outputs: recs.Records, Pagination: recs.Pagination}, nil
}

func grpcError(err error) error {
	if errors.Is(err, types.ErrCodeNotFound) || errors.Is(err, types.ErrInstanceNotFound) {
		return status.Error(codes.NotFound, err.Error())
	}
	return err
}
