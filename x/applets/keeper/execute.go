package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/w3bd/w3bd/x/applets/types"
	"github.com/w3bd/w3bd/x/applets/vm"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// run is one instance's share of a block.
type run struct {
	inst    types.Instance
	events  []vm.Event
	records []streamstypes.Record // the record behind each event
	cursors map[uint64]uint64     // stream -> next index after this run
	state   *instanceState
}

// EndBlock runs every active instance over the records appended to its
// streams since its cursors, instances in parallel, then merges the results
// in instance-id order. Consensus rules (also in README.md):
//   - events of an instance are its streams' new records, stream by stream
//     in subscription order, each stream in index order, at most
//     max_events_per_block, and no more than its deposit pays for at
//     gas_per_event each; the rest wait for later blocks (cursors);
//   - outputs appended now are events of the next block at the earliest;
//   - an instance whose deposit cannot pay one event is set out_of_funds.
func (k Keeper) EndBlock(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	lock := &storeLock{}
	records := newRecordCache(k.streams)
	var runs []*run
	var jobs []vm.Job
	var broke []types.Instance // out of funds, paused after the walk
	block := blockInfo(sdkCtx)

	err = k.Instances.Walk(ctx, nil, func(_ uint64, inst types.Instance) (bool, error) {
		if inst.Status != types.StatusActive {
			return false, nil
		}
		perEvent := params.Fee(inst.GasPerEvent)
		budget := int(params.MaxEventsPerBlock)
		if perEvent.IsPositive() {
			affordable := inst.Deposit.Amount.Quo(perEvent)
			if affordable.IsZero() {
				broke = append(broke, inst)
				return false, nil
			}
			if affordable.LT(math.NewInt(int64(budget))) {
				budget = int(affordable.Int64())
			}
		}
		r, err := k.collectEvents(ctx, inst, budget, records)
		if err != nil || len(r.events) == 0 {
			return false, err
		}
		r.state = newInstanceState(ctx, k, inst.Id, lock)
		code, err := k.GetCode(ctx, inst.CodeId)
		if err != nil {
			return false, err
		}
		codeID := inst.CodeId
		var id [8]byte
		binary.BigEndian.PutUint64(id[:], inst.Id)
		jobs = append(jobs, vm.Job{
			Code: vm.CodeRef{Hash: [32]byte(code.Hash), Load: func() ([]byte, error) {
				lock.mu.Lock()
				stored, err := k.CodeBytes.Get(ctx, codeID)
				lock.mu.Unlock()
				if err != nil {
					return nil, err
				}
				return types.UnpackCode(stored, int(k.engine.Params().MaxCodeBytes))
			}},
			Instance: vm.InstanceInput{ID: id[:], Config: inst.Config, GasPerEvent: inst.GasPerEvent},
			Block:    block,
			Events:   r.events,
			State:    r.state,
		})
		runs = append(runs, r)
		return false, nil
	})
	if err != nil {
		return err
	}
	for i := range broke {
		if err := k.pauseOutOfFunds(sdkCtx, &broke[i]); err != nil {
			return err
		}
	}
	if len(jobs) == 0 {
		return nil
	}

	results := k.engine.RunInstances(ctx, jobs, k.workers)
	for i, res := range results {
		if res.Err != nil {
			// Not a consensus outcome (the node could not run the code): halt
			// rather than commit a state other nodes would not.
			return fmt.Errorf("applet instance %d: engine failure: %w", runs[i].inst.Id, res.Err)
		}
		if err := k.merge(sdkCtx, params, runs[i], res); err != nil {
			return err
		}
	}
	return nil
}

// blockInfo is the consensus data applets see: height, time, and a seed
// derived from the block's hash.
func blockInfo(ctx sdk.Context) vm.BlockInfo {
	h := sha256.New()
	h.Write([]byte("w3b/applets/seed/v1"))
	h.Write(ctx.HeaderHash())
	binary.Write(h, binary.BigEndian, ctx.BlockHeight())
	return vm.BlockInfo{Height: ctx.BlockHeight(), TimeMs: ctx.BlockTime().UnixMilli(), Seed: [32]byte(h.Sum(nil))}
}

// collectEvents reads up to budget new records of the instance's streams.
func (k Keeper) collectEvents(ctx context.Context, inst types.Instance, budget int, records *recordCache) (*run, error) {
	r := &run{inst: inst, cursors: map[uint64]uint64{}}
	for _, sid := range inst.Streams {
		if budget <= 0 {
			break
		}
		next, err := k.Cursors.Get(ctx, collections.Join(inst.Id, sid))
		if err != nil {
			return nil, err
		}
		stream, err := k.streams.GetStream(ctx, sid)
		if err != nil {
			return nil, err
		}
		if next >= stream.RecordCount {
			continue
		}
		recs, err := records.get(ctx, sid, next, min(budget, int(stream.RecordCount-next)))
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			r.events = append(r.events, vm.Event{
				Device: eventSource(rec), Stream: rec.StreamId, Seq: rec.Seq, TimeMs: int64(rec.TimestampMs), Payload: rec.Payload,
			})
			r.records = append(r.records, rec)
		}
		r.cursors[sid] = next + uint64(len(recs))
		budget -= len(recs)
	}
	return r, nil
}

// eventSource is what event_device returns: the device id, or for an applet
// output "applet:<instance id>".
func eventSource(rec streamstypes.Record) string {
	if rec.InstanceId != 0 {
		return "applet:" + strconv.FormatUint(rec.InstanceId, 10)
	}
	return rec.DeviceId
}

// merge applies one instance's results: state, outputs, logs, cursors, gas
// fee from the deposit, counters, events.
func (k Keeper) merge(ctx sdk.Context, params types.Params, r *run, res vm.BlockResult) error {
	inst := r.inst
	if err := r.state.flush(ctx); err != nil {
		return err
	}
	var outputs []streamstypes.Output
	var failed uint64
	for i, ev := range res.Events {
		rec := r.records[i]
		if ev.Status == vm.StatusOK {
			for _, o := range ev.Outputs {
				outputs = append(outputs, streamstypes.Output{Topic: o.Topic, Data: o.Data})
			}
		} else {
			failed++
		}
		if err := k.appendLogs(ctx, params, inst.Id, rec, ev); err != nil {
			return err
		}
	}
	if err := k.streams.AppendOutputs(ctx, inst.OutputStreamId, outputs); err != nil {
		return err
	}
	for sid, next := range r.cursors {
		if err := k.Cursors.Set(ctx, collections.Join(inst.Id, sid), next); err != nil {
			return err
		}
	}

	fee := params.Fee(res.GasUsed)
	if fee.GT(inst.Deposit.Amount) {
		fee = inst.Deposit.Amount // cannot happen: events are bounded by the deposit
	}
	if fee.IsPositive() {
		coins := sdk.NewCoins(sdk.NewCoin(inst.Deposit.Denom, fee))
		if err := k.bank.SendCoinsFromModuleToModule(ctx, types.ModuleName, k.feeCollector, coins); err != nil {
			return err
		}
		inst.Deposit.Amount = inst.Deposit.Amount.Sub(fee)
	}
	inst.EventsOk += uint64(len(res.Events)) - failed
	inst.EventsFailed += failed
	inst.GasUsed += res.GasUsed
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventTypeInstanceExecuted,
		sdk.NewAttribute(types.AttributeKeyInstanceID, strconv.FormatUint(inst.Id, 10)),
		sdk.NewAttribute(types.AttributeKeyEvents, strconv.Itoa(len(res.Events))),
		sdk.NewAttribute(types.AttributeKeyFailed, strconv.FormatUint(failed, 10)),
		sdk.NewAttribute(types.AttributeKeyGasUsed, strconv.FormatUint(res.GasUsed, 10)),
		sdk.NewAttribute(types.AttributeKeyFee, fee.String()+inst.Deposit.Denom),
	))
	if inst.Deposit.Amount.LT(params.Fee(inst.GasPerEvent)) {
		return k.pauseOutOfFunds(ctx, &inst)
	}
	return k.Instances.Set(ctx, inst.Id, inst)
}

func isNotFound(err error) bool { return errors.Is(err, collections.ErrNotFound) }

func (k Keeper) pauseOutOfFunds(ctx sdk.Context, inst *types.Instance) error {
	inst.Status = types.StatusOutOfFunds
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventTypeInstancePaused,
		sdk.NewAttribute(types.AttributeKeyInstanceID, strconv.FormatUint(inst.Id, 10)),
		sdk.NewAttribute(types.AttributeKeyReason, types.StatusOutOfFunds),
	))
	return k.Instances.Set(ctx, inst.Id, *inst)
}

// appendLogs keeps the event's log lines and, for a failure, an entry with
// its status and error; only the last max_logs_per_instance entries stay.
func (k Keeper) appendLogs(ctx context.Context, params types.Params, instID uint64, rec streamstypes.Record, ev vm.EventResult) error {
	var entries []types.LogEntry
	base := types.LogEntry{
		Height: sdk.UnwrapSDKContext(ctx).BlockHeight(), StreamId: rec.StreamId, RecordIndex: rec.Index,
		Status: ev.Status.String(), GasUsed: ev.GasUsed,
	}
	for _, l := range ev.Logs {
		e := base
		e.Level, e.Message = l.Level, string(l.Message)
		entries = append(entries, e)
	}
	if ev.Status != vm.StatusOK {
		e := base
		e.Level, e.Message = types.LogLevelFailure, ev.Error
		entries = append(entries, e)
	}
	if len(entries) == 0 || params.MaxLogsPerInstance == 0 {
		return nil
	}
	next, err := k.LogSeq.Get(ctx, instID)
	if err != nil && !isNotFound(err) {
		return err
	}
	for _, e := range entries {
		if err := k.Logs.Set(ctx, collections.Join(instID, next), e); err != nil {
			return err
		}
		if keep := uint64(params.MaxLogsPerInstance); next >= keep {
			if err := k.Logs.Remove(ctx, collections.Join(instID, next-keep)); err != nil {
				return err
			}
		}
		next++
	}
	return k.LogSeq.Set(ctx, instID, next)
}

// recordCache shares the records read in one EndBlock: instances over the
// same stream usually start at the same cursor, so each record is read and
// decoded once, not once per instance.
type recordCache struct {
	streams types.StreamsKeeper
	loaded  map[uint64]*loadedRange
}

type loadedRange struct {
	from    uint64
	records []streamstypes.Record
}

func newRecordCache(s types.StreamsKeeper) *recordCache {
	return &recordCache{streams: s, loaded: map[uint64]*loadedRange{}}
}

// get returns n records of stream from index on (n > 0, all existing).
func (c *recordCache) get(ctx context.Context, stream, from uint64, n int) ([]streamstypes.Record, error) {
	r := c.loaded[stream]
	if r != nil && from >= r.from && from+uint64(n) <= r.from+uint64(len(r.records)) {
		return r.records[from-r.from : from-r.from+uint64(n)], nil
	}
	recs, err := c.streams.RecordsFrom(ctx, stream, from, n)
	if err != nil {
		return nil, err
	}
	if r == nil || len(recs) > len(r.records) {
		c.loaded[stream] = &loadedRange{from: from, records: recs}
	}
	return recs, nil
}
