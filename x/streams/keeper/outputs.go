package keeper

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/w3bd/w3bd/x/streams/types"
)

// CreateOutputStream creates the stream that receives an applet instance's
// outputs. It belongs to the instance's project, so other instances of the
// project can subscribe to it.
func (k *Keeper) CreateOutputStream(ctx context.Context, projectID, instanceID uint64) (uint64, error) {
	id, err := k.StreamSeq.Next(ctx)
	if err != nil {
		return 0, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	name := "applet-" + strconv.FormatUint(instanceID, 10) + "-outputs"
	s := types.Stream{Id: id, ProjectId: projectID, Name: name, CreatedHeight: sdkCtx.BlockHeight(), ProducerInstanceId: instanceID}
	if err := k.Streams.Set(ctx, id, s); err != nil {
		return 0, err
	}
	if err := k.StreamsByProj.Set(ctx, pairStream(projectID, id)); err != nil {
		return 0, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventTypeStreamCreated,
		sdk.NewAttribute(types.AttributeKeyStreamID, strconv.FormatUint(id, 10)),
		sdk.NewAttribute(types.AttributeKeyProjectID, strconv.FormatUint(projectID, 10)),
		sdk.NewAttribute(types.AttributeKeyName, name),
	))
	return id, nil
}

// AppendOutputs appends an instance's outputs, in order, to its output
// stream. The commitment chains SHA-256(topic-length || topic || data) leaves.
func (k *Keeper) AppendOutputs(ctx context.Context, streamID uint64, outputs []types.Output) error {
	if len(outputs) == 0 {
		return nil
	}
	stream, err := k.GetStream(ctx, streamID)
	if err != nil {
		return err
	}
	if stream.ProducerInstanceId == 0 {
		return fmt.Errorf("stream %d is not an applet output stream", streamID)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	first := stream.RecordCount
	for _, o := range outputs {
		hash := sha256.Sum256(o.Data)
		rec := types.Record{
			StreamId:    stream.Id,
			Index:       stream.RecordCount,
			Seq:         stream.RecordCount + 1,
			TimestampMs: uint64(sdkCtx.BlockTime().UnixMilli()),
			Payload:     o.Data,
			PayloadHash: hash[:],
			Height:      sdkCtx.BlockHeight(),
			Topic:       o.Topic,
			InstanceId:  stream.ProducerInstanceId,
		}
		if err := k.Records.Set(ctx, collections.Join(rec.StreamId, rec.Index), rec); err != nil {
			return err
		}
		stream.RecordCount++
		stream.Commitment = types.NextCommitment(stream.Commitment, o.Leaf())
	}
	emitAppended(sdkCtx, &stream, first, &stream.ProducerInstanceId)
	return k.Streams.Set(ctx, stream.Id, stream)
}

// RecordsFrom returns up to limit records of a stream from index on, in order.
func (k *Keeper) RecordsFrom(ctx context.Context, streamID, from uint64, limit int) ([]types.Record, error) {
	var out []types.Record
	rng := collections.NewPrefixedPairRange[uint64, uint64](streamID).StartInclusive(from)
	err := k.Records.Walk(ctx, rng, func(_ collections.Pair[uint64, uint64], r types.Record) (bool, error) {
		out = append(out, r)
		return len(out) >= limit, nil
	})
	return out, err
}
