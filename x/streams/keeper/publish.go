package keeper

import (
	"context"
	errorsmod "cosmossdk.io/errors"
	"encoding/hex"
	"slices"
	"strconv"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/types"
)

// publish judges each envelope on its own and appends the admitted ones as
// records. Checks that need no device run first; x/devices then decides the
// device rules (existence, project, status, signature, seq, after_seqs). A
// rejected envelope stores nothing.
func (k *Keeper) publish(ctx context.Context, params types.Params, envelopes []types.Envelope, afterSeqs []uint64) ([]types.EnvelopeResult, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	chainID := sdkCtx.ChainID()
	horizon := uint64(sdkCtx.BlockTime().Add(params.MaxClockSkew).UnixMilli())
	gas := sdkCtx.GasMeter()

	results := make([]types.EnvelopeResult, len(envelopes))
	docs := make([]types.EnvelopeSignDoc, len(envelopes))
	streams := make(map[uint64]*types.Stream)
	var claims []devicestypes.Claim
	var claimed []int // envelope index of each claim

	for i := range envelopes {
		env := &envelopes[i]
		results[i] = types.EnvelopeResult{StreamId: env.StreamId, DeviceId: env.DeviceId, Seq: env.Seq}
		gas.ConsumeGas(uint64(len(env.Payload))*params.GasPerPayloadByte, "envelope payload")
		stream, err := k.checkEnvelope(ctx, env, params, horizon, streams)
		if err != nil {
			if !types.IsRejection(err) {
				return nil, err // the store failed: fail the message, judge nothing
			}
			reject(sdkCtx, &results[i], err)
			continue
		}
		docs[i] = env.SignDoc(chainID)
		var after uint64
		if afterSeqs != nil {
			after = afterSeqs[i]
		}
		claims = append(claims, devicestypes.Claim{
			AfterSeq:  after,
			DeviceID:  env.DeviceId,
			ProjectID: stream.ProjectId,
			Seq:       env.Seq,
			SignBytes: docs[i].Bytes(),
			Signature: env.Signature,
		})
		claimed = append(claimed, i)
	}

	verdicts, err := k.devices.Admit(ctx, claims, params.VerifyGas)
	if err != nil {
		return nil, err
	}
	var touched []uint64 // streams in first-append order
	first := map[uint64]uint64{}
	for j, v := range verdicts {
		i := claimed[j]
		if v.Err != nil {
			reject(sdkCtx, &results[i], v.Err)
			continue
		}
		stream := streams[envelopes[i].StreamId]
		if !slices.Contains(touched, stream.Id) {
			touched = append(touched, stream.Id)
			first[stream.Id] = stream.RecordCount
		}
		index, err := k.appendRecord(sdkCtx, stream, &envelopes[i], &docs[i], claims[j].SignBytes, v.Device)
		if err != nil {
			return nil, err
		}
		results[i].Accepted, results[i].RecordIndex = true, index
	}
	for _, id := range touched {
		stream := streams[id]
		if err := k.Streams.Set(ctx, id, *stream); err != nil {
			return nil, err
		}
		emitAppended(sdkCtx, stream, first[id], nil)
	}
	return results, nil
}

// checkEnvelope applies the rules that need no device, returning the stream.
func (k *Keeper) checkEnvelope(ctx context.Context, env *types.Envelope, params types.Params, horizonMs uint64, streams map[uint64]*types.Stream) (*types.Stream, error) {
	switch {
	case env.DeviceId == "":
		return nil, errorsmod.Wrapf(types.ErrMalformedEnvelope, "device_id is empty")
	case len(env.Signature) == 0:
		return nil, errorsmod.Wrapf(types.ErrMalformedEnvelope, "signature is empty")
	case env.Seq == 0:
		return nil, errorsmod.Wrapf(types.ErrMalformedEnvelope, "seq must start at 1")
	case len(env.Payload) > int(params.MaxPayloadBytes):
		return nil, errorsmod.Wrapf(types.ErrPayloadTooLarge, "%d bytes, at most %d", len(env.Payload), params.MaxPayloadBytes)
	case env.TimestampMs > horizonMs:
		return nil, errorsmod.Wrapf(types.ErrFutureTimestamp, "timestamp %d ms is %d ms past block time + max_clock_skew", env.TimestampMs, env.TimestampMs-horizonMs)
	}
	stream, ok := streams[env.StreamId]
	if !ok {
		s, err := k.GetStream(ctx, env.StreamId)
		if err != nil {
			return nil, err
		}
		stream = &s
		streams[env.StreamId] = stream
	}
	if stream.ProducerInstanceId != 0 {
		return nil, errorsmod.Wrapf(types.ErrNotDeviceStream, "stream %d carries the outputs of applet instance %d, not device readings", stream.Id, stream.ProducerInstanceId)
	}
	return stream, nil
}

// appendRecord stores an admitted envelope as the stream's next record and
// advances the stream's count and commitment (saved by the caller).
func (k *Keeper) appendRecord(ctx sdk.Context, stream *types.Stream, env *types.Envelope, doc *types.EnvelopeSignDoc, signBytes, device []byte) (uint64, error) {
	rec := types.Record{
		StreamId:    stream.Id,
		Index:       stream.RecordCount,
		DeviceId:    env.DeviceId,
		Seq:         env.Seq,
		TimestampMs: env.TimestampMs,
		Payload:     env.Payload,
		PayloadHash: doc.PayloadSha256,
		Height:      ctx.BlockHeight(),
	}
	if err := k.Records.Set(ctx, collections.Join(rec.StreamId, rec.Index), rec); err != nil {
		return 0, err
	}
	if err := k.RecordsByDevice.Set(ctx, collections.Join3(device, rec.StreamId, rec.Index)); err != nil {
		return 0, err
	}
	stream.RecordCount++
	stream.Commitment = types.NextCommitment(stream.Commitment, signBytes)
	return rec.Index, nil
}

// emitAppended reports the records [first, record_count) just appended to
// a stream, with its new commitment; producer is set for applet outputs.
func emitAppended(ctx sdk.Context, stream *types.Stream, first uint64, producer *uint64) {
	attrs := []sdk.Attribute{
		sdk.NewAttribute(types.AttributeKeyStreamID, strconv.FormatUint(stream.Id, 10)),
		sdk.NewAttribute(types.AttributeKeyFirstIndex, strconv.FormatUint(first, 10)),
		sdk.NewAttribute(types.AttributeKeyLastIndex, strconv.FormatUint(stream.RecordCount-1, 10)),
		sdk.NewAttribute(types.AttributeKeyCount, strconv.FormatUint(stream.RecordCount-first, 10)),
		sdk.NewAttribute(types.AttributeKeyCommitment, hex.EncodeToString(stream.Commitment)),
	}
	if producer != nil {
		attrs = append(attrs, sdk.NewAttribute(types.AttributeKeyInstanceID, strconv.FormatUint(*producer, 10)))
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventTypeRecordsAppended, attrs...))
}

func reject(ctx sdk.Context, res *types.EnvelopeResult, err error) {
	res.Reason, res.Error = types.RejectReason(err), err.Error()
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventTypeEnvelopeRejected,
		sdk.NewAttribute(types.AttributeKeyStreamID, strconv.FormatUint(res.StreamId, 10)),
		sdk.NewAttribute(types.AttributeKeyDeviceID, res.DeviceId),
		sdk.NewAttribute(types.AttributeKeySeq, strconv.FormatUint(res.Seq, 10)),
		sdk.NewAttribute(types.AttributeKeyReason, res.Reason),
		sdk.NewAttribute(types.AttributeKeyError, res.Error),
	))
}
