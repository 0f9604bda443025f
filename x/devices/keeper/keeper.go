package keeper

import (
	"context"
	errorsmod "cosmossdk.io/errors"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/devices/types"
)

// Keeper owns projects and devices and decides whether a device signed a claim.
type Keeper struct {
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	authority    string

	Schema          collections.Schema
	Params          collections.Item[types.Params]
	ProjectSeq      collections.Sequence
	Projects        collections.Map[uint64, types.Project]
	ProjectsByOwner collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// Devices is keyed by the 20 raw bytes of the device id. The stored value
	// carries no last_seq: that hot counter lives in LastSeq so admitting a
	// reading rewrites 8 bytes, not the whole device.
	Devices          collections.Map[[]byte, types.Device]
	DevicesByProject collections.KeySet[collections.Pair[uint64, []byte]]
	LastSeq          collections.Map[[]byte, uint64]

	keys *keyCache
}

// NewKeeper returns the devices keeper. authority may change params (x/gov).
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, addressCodec address.Codec, authority string) Keeper {
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:          cdc,
		addressCodec: addressCodec,
		authority:    authority,
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		ProjectSeq:   collections.NewSequence(sb, types.ProjectSeqKey, "project_seq"),
		Projects:     collections.NewMap(sb, types.ProjectsKey, "projects", collections.Uint64Key, codec.CollValue[types.Project](cdc)),
		ProjectsByOwner: collections.NewKeySet(sb, types.ProjectsByOwnerKey, "projects_by_owner",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)),
		Devices: collections.NewMap(sb, types.DevicesKey, "devices", collections.BytesKey, codec.CollValue[types.Device](cdc)),
		DevicesByProject: collections.NewKeySet(sb, types.DevicesByProjKey, "devices_by_project",
			collections.PairKeyCodec(collections.Uint64Key, collections.BytesKey)),
		LastSeq: collections.NewMap(sb, types.LastSeqKey, "last_seq", collections.BytesKey, collections.Uint64Value),
		keys:    newKeyCache(keyCacheSize),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// Authority is the address that may update params.
func (k Keeper) Authority() string { return k.authority }

// GetProject returns the project or ErrProjectNotFound.
func (k Keeper) GetProject(ctx context.Context, id uint64) (types.Project, error) {
	p, err := k.Projects.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return p, errorsmod.Wrapf(types.ErrProjectNotFound, "project %d", id)
	}
	return p, err
}

// RequireProjectOwner returns the project if sender owns it.
func (k Keeper) RequireProjectOwner(ctx context.Context, projectID uint64, sender string) (types.Project, error) {
	p, err := k.GetProject(ctx, projectID)
	if err != nil {
		return p, err
	}
	if p.Owner != sender {
		return p, errorsmod.Wrapf(types.ErrNotProjectOwner, "project %d is owned by %s, not %s", projectID, p.Owner, sender)
	}
	return p, nil
}

// GetDevice returns the device with its last accepted sequence number.
func (k Keeper) GetDevice(ctx context.Context, deviceID string) (types.Device, error) {
	addr, err := parseDeviceID(deviceID)
	if err != nil {
		return types.Device{}, err
	}
	return k.getDevice(ctx, addr, deviceID)
}

func (k Keeper) getDevice(ctx context.Context, addr []byte, deviceID string) (types.Device, error) {
	d, err := k.Devices.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		return d, errorsmod.Wrapf(types.ErrDeviceNotFound, "%s", deviceID)
	}
	if err != nil {
		return d, err
	}
	d.LastSeq, err = k.lastSeq(ctx, addr)
	return d, err
}

func (k Keeper) lastSeq(ctx context.Context, addr []byte) (uint64, error) {
	seq, err := k.LastSeq.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return seq, err
}

// setDevice stores a device; its last_seq goes to LastSeq.
func (k Keeper) setDevice(ctx context.Context, addr []byte, d types.Device) error {
	seq := d.LastSeq
	d.LastSeq = 0
	if err := k.Devices.Set(ctx, addr, d); err != nil {
		return err
	}
	if seq == 0 {
		return nil
	}
	return k.LastSeq.Set(ctx, addr, seq)
}

func parseDeviceID(id string) ([]byte, error) {
	addr, err := devicekey.ParseDeviceID(id)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidDeviceID, "%v", err)
	}
	return addr, nil
}

func (k Keeper) validateAddress(addr, field string) (sdk.AccAddress, error) {
	bz, err := k.addressCodec.StringToBytes(addr)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidSigner, "%s %q: %v", field, addr, err)
	}
	return bz, nil
}
