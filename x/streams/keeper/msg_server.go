package keeper

import (
	"context"
	errorsmod "cosmossdk.io/errors"
	"strconv"

	sdk "github.com/cosmos/cosmos-sdk/types"

	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/types"
)

// maxNameBytes bounds stream names.
const maxNameBytes = 128

type msgServer struct{ *Keeper }

// NewMsgServerImpl returns the streams Msg service.
func NewMsgServerImpl(k *Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

func (m msgServer) CreateStream(ctx context.Context, msg *types.MsgCreateStream) (*types.MsgCreateStreamResponse, error) {
	if _, err := m.addressCodec.StringToBytes(msg.Owner); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidSigner, "owner %q: %v", msg.Owner, err)
	}
	if _, err := m.devices.RequireProjectOwner(ctx, msg.ProjectId, msg.Owner); err != nil {
		return nil, err
	}
	if err := devicestypes.CheckName(msg.Name, maxNameBytes); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidName, "%v", err)
	}
	id, err := m.StreamSeq.Next(ctx)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	s := types.Stream{Id: id, ProjectId: msg.ProjectId, Name: msg.Name, CreatedHeight: sdkCtx.BlockHeight()}
	if err := m.Streams.Set(ctx, id, s); err != nil {
		return nil, err
	}
	if err := m.StreamsByProj.Set(ctx, pairStream(msg.ProjectId, id)); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventTypeStreamCreated,
		sdk.NewAttribute(types.AttributeKeyStreamID, strconv.FormatUint(id, 10)),
		sdk.NewAttribute(types.AttributeKeyProjectID, strconv.FormatUint(msg.ProjectId, 10)),
		sdk.NewAttribute(types.AttributeKeyName, msg.Name),
	))
	return &types.MsgCreateStreamResponse{StreamId: id}, nil
}

func (m msgServer) Publish(ctx context.Context, msg *types.MsgPublish) (*types.MsgPublishResponse, error) {
	if _, err := m.addressCodec.StringToBytes(msg.Submitter); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidSigner, "submitter %q: %v", msg.Submitter, err)
	}
	params, err := m.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateEnvelopeCount(len(msg.Envelopes), params); err != nil {
		return nil, err
	}
	if n := len(msg.AfterSeqs); n != 0 && n != len(msg.Envelopes) {
		return nil, errorsmod.Wrapf(types.ErrAfterSeqsLength, "%d after_seqs for %d envelopes", n, len(msg.Envelopes))
	}
	results, err := m.publish(ctx, params, msg.Envelopes, msg.AfterSeqs)
	if err != nil {
		return nil, err
	}
	res := &types.MsgPublishResponse{Results: results}
	for _, r := range results {
		if r.Accepted {
			res.Accepted++
		} else {
			res.Rejected++
		}
	}
	return res, nil
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

func validateEnvelopeCount(n int, params types.Params) error {
	if n == 0 {
		return types.ErrNoEnvelopes
	}
	if n > int(params.MaxEnvelopesPerMsg) {
		return errorsmod.Wrapf(types.ErrTooManyEnvelopes, "%d, at most %d", n, params.MaxEnvelopesPerMsg)
	}
	return nil
}
