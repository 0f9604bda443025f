package keeper

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/w3bd/w3bd/x/applets/types"
)

// InitGenesis loads a validated genesis state; x/streams must come first.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.CodeSeq.Set(ctx, gs.NextCodeId); err != nil {
		return err
	}
	if err := k.InstanceSeq.Set(ctx, gs.NextInstanceId); err != nil {
		return err
	}
	for _, c := range gs.Codes {
		if err := k.Codes.Set(ctx, c.Code.Id, c.Code); err != nil {
			return err
		}
		if err := k.CodeBytes.Set(ctx, c.Code.Id, c.Wasm); err != nil {
			return err
		}
		if err := k.CodeByHash.Set(ctx, c.Code.Hash, c.Code.Id); err != nil {
			return err
		}
	}
	for _, e := range gs.Instances {
		if err := k.Instances.Set(ctx, e.Instance.Id, e.Instance); err != nil {
			return err
		}
		for _, c := range e.Cursors {
			if err := k.Cursors.Set(ctx, collections.Join(e.Instance.Id, c.StreamId), c.NextIndex); err != nil {
				return err
			}
		}
		// Logs keep their positions so the ring continues where it was.
		first := e.NextLog - uint64(len(e.Logs))
		for i, l := range e.Logs {
			if err := k.Logs.Set(ctx, collections.Join(e.Instance.Id, first+uint64(i)), l); err != nil {
				return err
			}
		}
		if e.NextLog > 0 {
			if err := k.LogSeq.Set(ctx, e.Instance.Id, e.NextLog); err != nil {
				return err
			}
		}
	}
	for _, s := range gs.State {
		if err := k.State.Set(ctx, collections.Join(s.InstanceId, s.Key), s.Value); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis writes the whole state; InitGenesis of it restores it exactly.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if gs.NextCodeId, err = k.CodeSeq.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.NextInstanceId, err = k.InstanceSeq.Peek(ctx); err != nil {
		return nil, err
	}
	err = k.Codes.Walk(ctx, nil, func(id uint64, c types.Code) (bool, error) {
		wasm, err := k.CodeBytes.Get(ctx, id)
		gs.Codes = append(gs.Codes, types.CodeEntry{Code: c, Wasm: wasm})
		return false, err
	})
	if err != nil {
		return nil, err
	}
	err = k.Instances.Walk(ctx, nil, func(id uint64, inst types.Instance) (bool, error) {
		e := types.InstanceEntry{Instance: inst}
		for _, sid := range inst.Streams {
			next, err := k.Cursors.Get(ctx, collections.Join(id, sid))
			if err != nil {
				return true, err
			}
			e.Cursors = append(e.Cursors, types.Cursor{StreamId: sid, NextIndex: next})
		}
		err := k.Logs.Walk(ctx, collections.NewPrefixedPairRange[uint64, uint64](id),
			func(_ collections.Pair[uint64, uint64], l types.LogEntry) (bool, error) {
				e.Logs = append(e.Logs, l)
				return false, nil
			})
		if err != nil {
			return true, err
		}
		if e.NextLog, err = k.LogSeq.Get(ctx, id); err != nil && !isNotFound(err) {
			return true, err
		}
		gs.Instances = append(gs.Instances, e)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.State.Walk(ctx, nil, func(key collections.Pair[uint64, []byte], v []byte) (bool, error) {
		gs.State = append(gs.State, types.StateEntry{InstanceId: key.K1(), Key: key.K2(), Value: v})
		return false, nil
	})
	return gs, err
}
