package keeper

import (
	"context"
	errorsmod "cosmossdk.io/errors"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/w3bd/w3bd/x/applets/types"
	"github.com/w3bd/w3bd/x/applets/vm"
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the applets Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

func (m msgServer) StoreCode(ctx context.Context, msg *types.MsgStoreCode) (*types.MsgStoreCodeResponse, error) {
	if _, err := m.addressCodec.StringToBytes(msg.Sender); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidSigner, "sender %q: %v", msg.Sender, err)
	}
	params, err := m.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if !params.MayUpload(msg.Sender) {
		return nil, errorsmod.Wrapf(types.ErrUploadNotAllowed, "%s is not on the upload allow-list", msg.Sender)
	}
	wasm, err := types.UnpackCode(msg.Wasm, int(params.MaxUploadBytes))
	if err != nil {
		return nil, err
	}
	hash := sha256.Sum256(wasm)
	if id, err := m.CodeByHash.Get(ctx, hash[:]); err == nil {
		return &types.MsgStoreCodeResponse{CodeId: id, Hash: hash[:], Existing: true}, nil
	}
	if err := vm.Validate(wasm, m.engine.Params()); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidWasm, "%v", err)
	}
	id, err := m.CodeSeq.Next(ctx)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	code := types.Code{
		Id: id, Creator: msg.Sender, Hash: hash[:], Size_: uint64(len(wasm)),
		InstrumenterVersion: vm.InstrumenterVersion, CreatedHeight: sdkCtx.BlockHeight(),
	}
	if err := m.Codes.Set(ctx, id, code); err != nil {
		return nil, err
	}
	if err := m.CodeBytes.Set(ctx, id, msg.Wasm); err != nil {
		return nil, err
	}
	if err := m.CodeByHash.Set(ctx, hash[:], id); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventTypeCodeStored,
		sdk.NewAttribute(types.AttributeKeyCodeID, strconv.FormatUint(id, 10)),
		sdk.NewAttribute(types.AttributeKeyHash, hex.EncodeToString(hash[:])),
	))
	return &types.MsgStoreCodeResponse{CodeId: id, Hash: hash[:]}, nil
}

func (m msgServer) Instantiate(ctx context.Context, msg *types.MsgInstantiate) (*types.MsgInstantiateResponse, error) {
	owner, err := m.addressCodec.StringToBytes(msg.Owner)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidSigner, "owner %q: %v", msg.Owner, err)
	}
	params, err := m.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := m.GetCode(ctx, msg.CodeId); err != nil {
		return nil, err
	}
	if _, err := m.devices.RequireProjectOwner(ctx, msg.ProjectId, msg.Owner); err != nil {
		return nil, err
	}
	if err := m.checkStreams(ctx, msg.ProjectId, msg.Streams); err != nil {
		return nil, err
	}
	if err := checkGas(msg.GasPerEvent, params); err != nil {
		return nil, err
	}
	if len(msg.Config) > types.MaxConfigBytes {
		return nil, errorsmod.Wrapf(types.ErrConfigTooLarge, "%d bytes, at most %d", len(msg.Config), types.MaxConfigBytes)
	}
	if err := m.checkDeposit(msg.Deposit, true); err != nil {
		return nil, err
	}
	id, err := m.InstanceSeq.Next(ctx)
	if err != nil {
		return nil, err
	}
	out, err := m.streams.CreateOutputStream(ctx, msg.ProjectId, id)
	if err != nil {
		return nil, err
	}
	if msg.Deposit.IsPositive() {
		if err := m.bank.SendCoinsFromAccountToModule(ctx, owner, types.ModuleName, sdk.NewCoins(msg.Deposit)); err != nil {
			return nil, errorsmod.Wrapf(types.ErrInvalidDeposit, "%v", err)
		}
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	inst := types.Instance{
		Id: id, Owner: msg.Owner, CodeId: msg.CodeId, ProjectId: msg.ProjectId, Streams: msg.Streams,
		Config: msg.Config, GasPerEvent: msg.GasPerEvent, Deposit: msg.Deposit, Status: types.StatusActive,
		OutputStreamId: out, CreatedHeight: sdkCtx.BlockHeight(),
	}
	if inst.Deposit.Denom == "" {
		inst.Deposit = sdk.NewInt64Coin(m.bondDenom, 0)
	}
	// Only records appended from now on are events of the instance.
	for _, sid := range msg.Streams {
		s, err := m.streams.GetStream(ctx, sid)
		if err != nil {
			return nil, err
		}
		if err := m.Cursors.Set(ctx, collections.Join(id, sid), s.RecordCount); err != nil {
			return nil, err
		}
	}
	if inst.Deposit.Amount.LT(params.Fee(inst.GasPerEvent)) {
		inst.Status = types.StatusOutOfFunds
	}
	if err := m.Instances.Set(ctx, id, inst); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventTypeInstantiated,
		sdk.NewAttribute(types.AttributeKeyInstanceID, strconv.FormatUint(id, 10)),
		sdk.NewAttribute(types.AttributeKeyCodeID, strconv.FormatUint(msg.CodeId, 10)),
		sdk.NewAttribute(types.AttributeKeyProjectID, strconv.FormatUint(msg.ProjectId, 10)),
		sdk.NewAttribute(types.AttributeKeyOutputStreamID, strconv.FormatUint(out, 10)),
		sdk.NewAttribute(types.AttributeKeyStatus, inst.Status),
	))
	return &types.MsgInstantiateResponse{InstanceId: id, OutputStreamId: out}, nil
}

// checkStreams: at least one, no duplicates, all in the project.
func (m msgServer) checkStreams(ctx context.Context, projectID uint64, streams []uint64) error {
	if len(streams) == 0 {
		return errorsmod.Wrapf(types.ErrInvalidStreams, "subscribe to at least one stream")
	}
	for i, sid := range streams {
		if slices.Contains(streams[:i], sid) {
			return errorsmod.Wrapf(types.ErrInvalidStreams, "stream %d listed twice", sid)
		}
		s, err := m.streams.GetStream(ctx, sid)
		if err != nil {
			return errorsmod.Wrapf(types.ErrInvalidStreams, "%v", err)
		}
		if s.ProjectId != projectID {
			return errorsmod.Wrapf(types.ErrInvalidStreams, "stream %d is in project %d, not %d", sid, s.ProjectId, projectID)
		}
	}
	return nil
}

func checkGas(gas uint64, params types.Params) error {
	if gas == 0 || gas > params.MaxGasPerEvent {
		return errorsmod.Wrapf(types.ErrInvalidGas, "%d, want 1..%d", gas, params.MaxGasPerEvent)
	}
	return nil
}

func (m msgServer) checkDeposit(c sdk.Coin, zeroOK bool) error {
	if c.Denom == "" && zeroOK && (c.Amount.IsNil() || c.Amount.IsZero()) {
		return nil
	}
	if err := c.Validate(); err != nil {
		return errorsmod.Wrapf(types.ErrInvalidDeposit, "%v", err)
	}
	if c.Denom != m.bondDenom {
		return errorsmod.Wrapf(types.ErrInvalidDeposit, "denom %s, want %s", c.Denom, m.bondDenom)
	}
	if !zeroOK && !c.IsPositive() {
		return errorsmod.Wrapf(types.ErrInvalidDeposit, "amount must be positive")
	}
	return nil
}

func (m msgServer) UpdateInstance(ctx context.Context, msg *types.MsgUpdateInstance) (*types.MsgUpdateInstanceResponse, error) {
	inst, err := m.requireOwner(ctx, msg.InstanceId, msg.Owner)
	if err != nil {
		return nil, err
	}
	if msg.Pause && msg.Resume {
		return nil, errorsmod.Wrapf(types.ErrInvalidUpdate, "pause and resume together")
	}
	if !msg.Pause && !msg.Resume && !msg.SetConfig && msg.CodeId == 0 {
		return nil, errorsmod.Wrapf(types.ErrInvalidUpdate, "nothing to change (pause, resume, config or code)")
	}
	params, err := m.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if msg.SetConfig {
		if len(msg.Config) > types.MaxConfigBytes {
			return nil, errorsmod.Wrapf(types.ErrConfigTooLarge, "%d bytes, at most %d", len(msg.Config), types.MaxConfigBytes)
		}
		inst.Config = msg.Config
	}
	if msg.CodeId != 0 {
		if _, err := m.GetCode(ctx, msg.CodeId); err != nil {
			return nil, err
		}
		inst.CodeId = msg.CodeId
	}
	switch {
	case msg.Pause:
		inst.Status = types.StatusPaused
	case msg.Resume:
		inst.Status = types.StatusActive
		if inst.Deposit.Amount.LT(params.Fee(inst.GasPerEvent)) {
			inst.Status = types.StatusOutOfFunds
		}
	}
	if err := m.Instances.Set(ctx, inst.Id, inst); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventTypeInstanceUpdated,
		sdk.NewAttribute(types.AttributeKeyInstanceID, strconv.FormatUint(inst.Id, 10)),
		sdk.NewAttribute(types.AttributeKeyCodeID, strconv.FormatUint(inst.CodeId, 10)),
		sdk.NewAttribute(types.AttributeKeyStatus, inst.Status),
	))
	return &types.MsgUpdateInstanceResponse{}, nil
}

func (m msgServer) Deposit(ctx context.Context, msg *types.MsgDeposit) (*types.MsgDepositResponse, error) {
	sender, err := m.addressCodec.StringToBytes(msg.Sender)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidSigner, "sender %q: %v", msg.Sender, err)
	}
	if err := m.checkDeposit(msg.Amount, false); err != nil {
		return nil, err
	}
	inst, err := m.GetInstance(ctx, msg.InstanceId)
	if err != nil {
		return nil, err
	}
	if err := m.bank.SendCoinsFromAccountToModule(ctx, sender, types.ModuleName, sdk.NewCoins(msg.Amount)); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidDeposit, "%v", err)
	}
	inst.Deposit = inst.Deposit.Add(msg.Amount)
	params, err := m.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	// Topping up resumes an instance that ran out of funds.
	if inst.Status == types.StatusOutOfFunds && inst.Deposit.Amount.GTE(params.Fee(inst.GasPerEvent)) {
		inst.Status = types.StatusActive
	}
	if err := m.Instances.Set(ctx, inst.Id, inst); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventTypeDeposit,
		sdk.NewAttribute(types.AttributeKeyInstanceID, strconv.FormatUint(inst.Id, 10)),
		sdk.NewAttribute(types.AttributeKeyAmount, msg.Amount.String()),
		sdk.NewAttribute(types.AttributeKeyStatus, inst.Status),
	))
	return &types.MsgDepositResponse{}, nil
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
