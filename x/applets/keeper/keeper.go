package keeper

import (
	"context"
	errorsmod "cosmossdk.io/errors"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/w3bd/w3bd/x/applets/types"
	"github.com/w3bd/w3bd/x/applets/vm"
)

// Keeper owns the code store, instances, their state and their execution.
type Keeper struct {
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	authority    string
	bondDenom    string
	feeCollector string
	bank         types.BankKeeper
	devices      types.DevicesKeeper
	streams      types.StreamsKeeper
	engine       *vm.Engine
	workers      int // instances run in parallel (0: one per CPU); node-local

	Schema      collections.Schema
	Params      collections.Item[types.Params]
	CodeSeq     collections.Sequence
	Codes       collections.Map[uint64, types.Code]
	CodeBytes   collections.Map[uint64, []byte]
	CodeByHash  collections.Map[[]byte, uint64]
	InstanceSeq collections.Sequence
	Instances   collections.Map[uint64, types.Instance]
	// Cursors: (instance, stream) -> index of the next record to run.
	Cursors collections.Map[collections.Pair[uint64, uint64], uint64]
	// State: (instance, key) -> value; each instance sees only its own prefix.
	State collections.Map[collections.Pair[uint64, []byte], []byte]
	// Logs: (instance, n) -> entry; the last max_logs_per_instance are kept.
	Logs   collections.Map[collections.Pair[uint64, uint64], types.LogEntry]
	LogSeq collections.Map[uint64, uint64]
}

// NewKeeper returns the applets keeper. The engine is node-local (compiler or
// interpreter, caches); everything it computes is consensus data.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, addressCodec address.Codec, authority, bondDenom, feeCollector string,
	bank types.BankKeeper, devices types.DevicesKeeper, streams types.StreamsKeeper, engine *vm.Engine,
) Keeper {
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc: cdc, addressCodec: addressCodec, authority: authority, bondDenom: bondDenom, feeCollector: feeCollector,
		bank: bank, devices: devices, streams: streams, engine: engine,
		Params:      collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		CodeSeq:     collections.NewSequence(sb, types.CodeSeqKey, "code_seq"),
		Codes:       collections.NewMap(sb, types.CodesKey, "codes", collections.Uint64Key, codec.CollValue[types.Code](cdc)),
		CodeBytes:   collections.NewMap(sb, types.CodeBytesKey, "code_bytes", collections.Uint64Key, collections.BytesValue),
		CodeByHash:  collections.NewMap(sb, types.CodeByHashKey, "code_by_hash", collections.BytesKey, collections.Uint64Value),
		InstanceSeq: collections.NewSequence(sb, types.InstanceSeqKey, "instance_seq"),
		Instances:   collections.NewMap(sb, types.InstancesKey, "instances", collections.Uint64Key, codec.CollValue[types.Instance](cdc)),
		Cursors: collections.NewMap(sb, types.CursorsKey, "cursors",
			collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key), collections.Uint64Value),
		State: collections.NewMap(sb, types.StateKey, "state",
			collections.PairKeyCodec(collections.Uint64Key, collections.BytesKey), collections.BytesValue),
		Logs: collections.NewMap(sb, types.LogsKey, "logs",
			collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key), codec.CollValue[types.LogEntry](cdc)),
		LogSeq: collections.NewMap(sb, types.LogSeqKey, "log_seq", collections.Uint64Key, collections.Uint64Value),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// WithWorkers bounds how many instances run in parallel (0: one per CPU).
// It is node-local: results never depend on it.
func (k Keeper) WithWorkers(n int) Keeper {
	k.workers = n
	return k
}

// Engine is the applet engine this keeper runs.
func (k Keeper) Engine() *vm.Engine { return k.engine }

// GetCode returns a code or ErrCodeNotFound.
func (k Keeper) GetCode(ctx context.Context, id uint64) (types.Code, error) {
	c, err := k.Codes.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return c, errorsmod.Wrapf(types.ErrCodeNotFound, "code %d", id)
	}
	return c, err
}

// GetInstance returns an instance or ErrInstanceNotFound.
func (k Keeper) GetInstance(ctx context.Context, id uint64) (types.Instance, error) {
	inst, err := k.Instances.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return inst, errorsmod.Wrapf(types.ErrInstanceNotFound, "instance %d", id)
	}
	return inst, err
}

// requireOwner returns the instance if sender owns it.
func (k Keeper) requireOwner(ctx context.Context, id uint64, sender string) (types.Instance, error) {
	inst, err := k.GetInstance(ctx, id)
	if err != nil {
		return inst, err
	}
	if inst.Owner != sender {
		return inst, errorsmod.Wrapf(types.ErrNotInstanceOwner, "instance %d is owned by %s, not %s", id, inst.Owner, sender)
	}
	return inst, nil
}
