package keeper

import (
	"context"

	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/devices/types"
)

// InitGenesis loads a validated genesis state.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.ProjectSeq.Set(ctx, gs.NextProjectId); err != nil {
		return err
	}
	for _, p := range gs.Projects {
		owner, err := k.validateAddress(p.Owner, "project owner")
		if err != nil {
			return err
		}
		if err := k.Projects.Set(ctx, p.Id, p); err != nil {
			return err
		}
		if err := k.ProjectsByOwner.Set(ctx, pairOwner(owner, p.Id)); err != nil {
			return err
		}
	}
	for _, d := range gs.Devices {
		addr, err := devicekey.ParseDeviceID(d.Id)
		if err != nil {
			return err
		}
		if err := k.setDevice(ctx, addr, d); err != nil {
			return err
		}
		if err := k.DevicesByProject.Set(ctx, pairDevice(d.ProjectId, addr)); err != nil {
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
	next, err := k.ProjectSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params, NextProjectId: next}
	err = k.Projects.Walk(ctx, nil, func(_ uint64, p types.Project) (bool, error) {
		gs.Projects = append(gs.Projects, p)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.Devices.Walk(ctx, nil, func(addr []byte, d types.Device) (bool, error) {
		d.LastSeq, err = k.lastSeq(ctx, addr)
		gs.Devices = append(gs.Devices, d)
		return false, err
	})
	return gs, err
}
