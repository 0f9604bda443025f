package keeper

import (
	"context"
	errorsmod "cosmossdk.io/errors"
	"strconv"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/devices/types"
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the devices Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

func (m msgServer) CreateProject(ctx context.Context, msg *types.MsgCreateProject) (*types.MsgCreateProjectResponse, error) {
	owner, err := m.validateAddress(msg.Owner, "owner")
	if err != nil {
		return nil, err
	}
	params, err := m.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := types.CheckName(msg.Name, int(params.MaxNameBytes)); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidName, "%v", err)
	}
	if err := validateMetadata(msg.Metadata, params.MaxMetadataBytes); err != nil {
		return nil, err
	}
	id, err := m.ProjectSeq.Next(ctx)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	p := types.Project{Id: id, Owner: msg.Owner, Name: msg.Name, Metadata: msg.Metadata, CreatedHeight: sdkCtx.BlockHeight()}
	if err := m.Projects.Set(ctx, id, p); err != nil {
		return nil, err
	}
	if err := m.ProjectsByOwner.Set(ctx, pairOwner(owner, id)); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventTypeProjectCreated,
		sdk.NewAttribute(types.AttributeKeyProjectID, strconv.FormatUint(id, 10)),
		sdk.NewAttribute(types.AttributeKeyOwner, msg.Owner),
	))
	return &types.MsgCreateProjectResponse{ProjectId: id}, nil
}

func (m msgServer) UpdateProject(ctx context.Context, msg *types.MsgUpdateProject) (*types.MsgUpdateProjectResponse, error) {
	p, err := m.RequireProjectOwner(ctx, msg.ProjectId, msg.Owner)
	if err != nil {
		return nil, err
	}
	params, err := m.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateMetadata(msg.Metadata, params.MaxMetadataBytes); err != nil {
		return nil, err
	}
	p.Metadata = msg.Metadata
	if err := m.Projects.Set(ctx, p.Id, p); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventTypeProjectUpdated,
		sdk.NewAttribute(types.AttributeKeyProjectID, strconv.FormatUint(p.Id, 10)),
	))
	return &types.MsgUpdateProjectResponse{}, nil
}

func (m msgServer) TransferProject(ctx context.Context, msg *types.MsgTransferProject) (*types.MsgTransferProjectResponse, error) {
	p, err := m.RequireProjectOwner(ctx, msg.ProjectId, msg.Owner)
	if err != nil {
		return nil, err
	}
	oldOwner, err := m.validateAddress(msg.Owner, "owner")
	if err != nil {
		return nil, err
	}
	newOwner, err := m.validateAddress(msg.NewOwner, "new_owner")
	if err != nil {
		return nil, err
	}
	if err := m.ProjectsByOwner.Remove(ctx, pairOwner(oldOwner, p.Id)); err != nil {
		return nil, err
	}
	if err := m.ProjectsByOwner.Set(ctx, pairOwner(newOwner, p.Id)); err != nil {
		return nil, err
	}
	p.Owner = msg.NewOwner
	if err := m.Projects.Set(ctx, p.Id, p); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventTypeProjectTransferred,
		sdk.NewAttribute(types.AttributeKeyProjectID, strconv.FormatUint(p.Id, 10)),
		sdk.NewAttribute(types.AttributeKeyOwner, msg.Owner),
		sdk.NewAttribute(types.AttributeKeyNewOwner, msg.NewOwner),
	))
	return &types.MsgTransferProjectResponse{}, nil
}

func (m msgServer) RegisterDevice(ctx context.Context, msg *types.MsgRegisterDevice) (*types.MsgRegisterDeviceResponse, error) {
	if _, err := m.RequireProjectOwner(ctx, msg.ProjectId, msg.Owner); err != nil {
		return nil, err
	}
	algo, err := devicekey.ParseAlgo(msg.Algo)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAlgo, "%v", err)
	}
	pub, err := devicekey.NormalizePublicKey(algo, msg.PubKey)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidPubKey, "%v", err)
	}
	id := devicekey.DeviceID(algo, pub)
	addr, err := parseDeviceID(id)
	if err != nil {
		return nil, err
	}
	existing, err := m.Devices.Get(ctx, addr)
	if err == nil {
		return nil, errorsmod.Wrapf(types.ErrDeviceExists, "%s is device %s in project %d", algo, id, existing.ProjectId)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	d := types.Device{
		Id: id, ProjectId: msg.ProjectId, Algo: string(algo), PubKey: pub,
		Status: types.StatusActive, RegisteredHeight: sdkCtx.BlockHeight(),
	}
	if err := m.setDevice(ctx, addr, d); err != nil {
		return nil, err
	}
	if err := m.DevicesByProject.Set(ctx, pairDevice(msg.ProjectId, addr)); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventTypeDeviceRegistered,
		sdk.NewAttribute(types.AttributeKeyDeviceID, id),
		sdk.NewAttribute(types.AttributeKeyProjectID, strconv.FormatUint(msg.ProjectId, 10)),
		sdk.NewAttribute(types.AttributeKeyAlgo, string(algo)),
	))
	return &types.MsgRegisterDeviceResponse{DeviceId: id}, nil
}

func (m msgServer) SetDeviceStatus(ctx context.Context, msg *types.MsgSetDeviceStatus) (*types.MsgSetDeviceStatusResponse, error) {
	if err := types.ValidateStatus(msg.Status); err != nil {
		return nil, err
	}
	addr, err := parseDeviceID(msg.DeviceId)
	if err != nil {
		return nil, err
	}
	d, err := m.getDevice(ctx, addr, msg.DeviceId)
	if err != nil {
		return nil, err
	}
	if _, err := m.RequireProjectOwner(ctx, d.ProjectId, msg.Owner); err != nil {
		return nil, err
	}
	if d.Status == types.StatusRevoked {
		return nil, errorsmod.Wrapf(types.ErrDeviceRevoked, "%s", msg.DeviceId)
	}
	if d.Status == msg.Status {
		return &types.MsgSetDeviceStatusResponse{}, nil
	}
	d.Status = msg.Status
	if err := m.setDevice(ctx, addr, d); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventTypeDeviceStatusChanged,
		sdk.NewAttribute(types.AttributeKeyDeviceID, msg.DeviceId),
		sdk.NewAttribute(types.AttributeKeyStatus, msg.Status),
	))
	return &types.MsgSetDeviceStatusResponse{}, nil
}

func (m msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if msg.Authority != m.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidSigner, "expected %s, got %s", m.authority, msg.Authority)
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, m.Params.Set(ctx, msg.Params)
}

func validateMetadata(md string, max uint32) error {
	if len(md) > int(max) {
		return errorsmod.Wrapf(types.ErrMetadataTooLarge, "%d bytes, at most %d", len(md), max)
	}
	return nil
}
