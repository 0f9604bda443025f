package keeper

import (
	"context"
	errorsmod "cosmossdk.io/errors"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/w3bd/w3bd/x/streams/types"
)

// Keeper owns streams and their records.
type Keeper struct {
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	authority    string
	devices      types.DevicesKeeper

	Schema        collections.Schema
	Params        collections.Item[types.Params]
	StreamSeq     collections.Sequence
	Streams       collections.Map[uint64, types.Stream]
	StreamsByProj collections.KeySet[collections.Pair[uint64, uint64]]
	Records       collections.Map[collections.Pair[uint64, uint64], types.Record]
	// RecordsByDevice indexes records by (raw device id, stream, index).
	RecordsByDevice collections.KeySet[collections.Triple[[]byte, uint64, uint64]]
}

// NewKeeper returns the streams keeper. authority may change params (x/gov).
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, addressCodec address.Codec, authority string, devices types.DevicesKeeper) *Keeper {
	sb := collections.NewSchemaBuilder(storeService)
	k := &Keeper{
		cdc:           cdc,
		addressCodec:  addressCodec,
		authority:     authority,
		devices:       devices,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		StreamSeq:     collections.NewSequence(sb, types.StreamSeqKey, "stream_seq"),
		Streams:       collections.NewMap(sb, types.StreamsKey, "streams", collections.Uint64Key, codec.CollValue[types.Stream](cdc)),
		StreamsByProj: collections.NewKeySet(sb, types.StreamsByProjKey, "streams_by_project", collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key)),
		Records: collections.NewMap(sb, types.RecordsKey, "records",
			collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key), codec.CollValue[types.Record](cdc)),
		RecordsByDevice: collections.NewKeySet(sb, types.RecordsByDeviceKey, "records_by_device",
			collections.TripleKeyCodec(collections.BytesKey, collections.Uint64Key, collections.Uint64Key)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// Authority is the address that may update params.
func (k *Keeper) Authority() string { return k.authority }

// GetStream returns the stream or ErrStreamNotFound.
func (k *Keeper) GetStream(ctx context.Context, id uint64) (types.Stream, error) {
	s, err := k.Streams.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return s, errorsmod.Wrapf(types.ErrStreamNotFound, "stream %d", id)
	}
	return s, err
}

// GetRecord returns one record or ErrRecordNotFound.
func (k *Keeper) GetRecord(ctx context.Context, streamID, index uint64) (types.Record, error) {
	r, err := k.Records.Get(ctx, collections.Join(streamID, index))
	if errors.Is(err, collections.ErrNotFound) {
		return r, errorsmod.Wrapf(types.ErrRecordNotFound, "stream %d index %d", streamID, index)
	}
	return r, err
}
