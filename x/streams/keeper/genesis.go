package keeper

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/streams/types"
)

// InitGenesis loads a validated genesis state; x/devices must be initialised first.
func (k *Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.StreamSeq.Set(ctx, gs.NextStreamId); err != nil {
		return err
	}
	for _, s := range gs.Streams {
		if _, err := k.devices.GetProject(ctx, s.ProjectId); err != nil {
			return err
		}
		if err := k.Streams.Set(ctx, s.Id, s); err != nil {
			return err
		}
		if err := k.StreamsByProj.Set(ctx, pairStream(s.ProjectId, s.Id)); err != nil {
			return err
		}
	}
	for _, r := range gs.Records {
		if err := k.Records.Set(ctx, collections.Join(r.StreamId, r.Index), r); err != nil {
			return err
		}
		if r.InstanceId != 0 {
			continue // an applet output: no device to index
		}
		addr, err := devicekey.ParseDeviceID(r.DeviceId)
		if err != nil {
			return err
		}
		if err := k.RecordsByDevice.Set(ctx, collections.Join3(addr, r.StreamId, r.Index)); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis writes the whole state; InitGenesis of it restores it exactly.
func (k *Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	next, err := k.StreamSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params, NextStreamId: next}
	err = k.Streams.Walk(ctx, nil, func(_ uint64, s types.Stream) (bool, error) {
		gs.Streams = append(gs.Streams, s)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.Records.Walk(ctx, nil, func(_ collections.Pair[uint64, uint64], r types.Record) (bool, error) {
		gs.Records = append(gs.Records, r)
		return false, nil
	})
	return gs, err
}
