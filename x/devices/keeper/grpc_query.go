package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/w3bd/w3bd/x/devices/types"
)

type queryServer struct{ k Keeper }

// NewQueryServerImpl returns the devices Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k} }

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Project(ctx context.Context, req *types.QueryProjectRequest) (*types.QueryProjectResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	p, err := q.k.GetProject(ctx, req.Id)
	if err != nil {
		return nil, notFound(err)
	}
	return &types.QueryProjectResponse{Project: p}, nil
}

func (q queryServer) Projects(ctx context.Context, req *types.QueryProjectsRequest) (*types.QueryProjectsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Owner == "" {
		projects, page, err := query.CollectionPaginate(ctx, q.k.Projects, req.Pagination,
			func(_ uint64, p types.Project) (types.Project, error) { return p, nil })
		if err != nil {
			return nil, err
		}
		return &types.QueryProjectsResponse{Projects: projects, Pagination: page}, nil
	}
	owner, err := q.k.addressCodec.StringToBytes(req.Owner)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "owner %q: %v", req.Owner, err)
	}
	projects, page, err := query.CollectionPaginate(ctx, q.k.ProjectsByOwner, req.Pagination,
		func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Project, error) {
			return q.k.Projects.Get(ctx, key.K2())
		},
		query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](owner))
	if err != nil {
		return nil, err
	}
	return &types.QueryProjectsResponse{Projects: projects, Pagination: page}, nil
}

func (q queryServer) Device(ctx context.Context, req *types.QueryDeviceRequest) (*types.QueryDeviceResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	d, err := q.k.GetDevice(ctx, req.DeviceId)
	if err != nil {
		return nil, notFound(err)
	}
	return &types.QueryDeviceResponse{Device: d}, nil
}

func (q queryServer) ProjectDevices(ctx context.Context, req *types.QueryProjectDevicesRequest) (*types.QueryProjectDevicesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	devices, page, err := query.CollectionPaginate(ctx, q.k.DevicesByProject, req.Pagination,
		func(key collections.Pair[uint64, []byte], _ collections.NoValue) (types.Device, error) {
			d, err := q.k.Devices.Get(ctx, key.K2())
			if err != nil {
				return d, err
			}
			d.LastSeq, err = q.k.lastSeq(ctx, key.K2())
			return d, err
		},
		query.WithCollectionPaginationPairPrefix[uint64, []byte](req.ProjectId))
	if err != nil {
		return nil, err
	}
	return &types.QueryProjectDevicesResponse{Devices: devices, Pagination: page}, nil
}

func (q queryServer) DidDocument(ctx context.Context, req *types.QueryDidDocumentRequest) (*types.QueryDidDocumentResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	doc, deactivated, err := q.k.DIDDocument(ctx, req.Did)
	if err != nil {
		return nil, notFound(err)
	}
	return &types.QueryDidDocumentResponse{DidDocument: string(doc), Deactivated: deactivated}, nil
}

// notFound maps a missing entity to gRPC NotFound and bad input to
// InvalidArgument, keeping the registered error's message.
func notFound(err error) error {
	switch {
	case errors.Is(err, types.ErrProjectNotFound), errors.Is(err, types.ErrDeviceNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, types.ErrInvalidDeviceID), errors.Is(err, types.ErrInvalidDID):
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return err
}
