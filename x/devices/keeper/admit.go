package keeper

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/devices/types"
)

// admitDevice is a device as seen during one Admit call.
type admitDevice struct {
	types.Device
	advanced bool // its last seq moved in this call
}

// minParallel is the batch size below which goroutines cost more than they save.
const minParallel = 8

// Admit judges claims in order: the device exists, is in the claimed project,
// is active, signed the bytes, and the seq is above its last accepted one
// (counting claims admitted earlier in the same call). Admitted claims advance
// the device's last seq. verifyGas is charged for every signature checked,
// before checking. Signatures are checked in parallel; everything that touches
// state or gas runs in claim order, so the outcome never depends on scheduling.
// The returned error is for failures of the store, not of claims.
func (k Keeper) Admit(ctx context.Context, claims []types.Claim, verifyGas types.VerifyGasFunc) ([]types.Verdict, error) {
	verdicts := make([]types.Verdict, len(claims))
	keys := make([]devicekey.PublicKey, len(claims))
	addrs := make([][]byte, len(claims))
	devices := make(map[string]admitDevice)
	gasMeter := sdk.UnwrapSDKContext(ctx).GasMeter()

	for i, c := range claims {
		addr, err := parseDeviceID(c.DeviceID)
		if err != nil {
			verdicts[i].Err = err
			continue
		}
		verdicts[i].Device = addr
		d, seen := devices[c.DeviceID]
		if !seen {
			dev, err := k.getDevice(ctx, addr, c.DeviceID)
			if err != nil {
				if !isNotFound(err) {
					return nil, err
				}
				verdicts[i].Err = err
				continue
			}
			d = admitDevice{Device: dev}
			devices[c.DeviceID] = d
		}
		verdicts[i].Algo = d.Algo
		if d.ProjectId != c.ProjectID {
			verdicts[i].Err = errorsmod.Wrapf(types.ErrWrongProject, "device %s is in project %d, the stream in project %d", c.DeviceID, d.ProjectId, c.ProjectID)
			continue
		}
		switch d.Status {
		case types.StatusSuspended:
			verdicts[i].Err = errorsmod.Wrapf(types.ErrDeviceSuspended, "%s", c.DeviceID)
			continue
		case types.StatusRevoked:
			verdicts[i].Err = errorsmod.Wrapf(types.ErrDeviceRevoked, "%s", c.DeviceID)
			continue
		}
		key, err := k.keys.get(devicekey.Algo(d.Algo), d.Id, d.PubKey)
		if err != nil {
			return nil, fmt.Errorf("stored key of device %s: %w", d.Id, err)
		}
		gasMeter.ConsumeGas(verifyGas(d.Algo), "device signature")
		keys[i], addrs[i] = key, addr
	}

	verifyAll(claims, keys, verdicts)

	// Sequence rule, in claim order; each advanced device is written once.
	var advanced []int
	for i, c := range claims {
		if keys[i] == nil || verdicts[i].Err != nil {
			continue
		}
		d := devices[c.DeviceID]
		if c.Seq <= d.LastSeq {
			verdicts[i].Err = errorsmod.Wrapf(types.ErrStaleSeq, "device %s seq %d, last accepted %d", c.DeviceID, c.Seq, d.LastSeq)
			continue
		}
		if c.AfterSeq != 0 && c.AfterSeq != d.LastSeq {
			verdicts[i].Err = errorsmod.Wrapf(types.ErrOutOfOrder, "device %s seq %d was sent to follow seq %d, last accepted %d", c.DeviceID, c.Seq, c.AfterSeq, d.LastSeq)
			continue
		}
		if !d.advanced {
			advanced = append(advanced, i)
		}
		d.LastSeq, d.advanced = c.Seq, true
		devices[c.DeviceID] = d
	}
	for _, i := range advanced {
		if err := k.LastSeq.Set(ctx, addrs[i], devices[claims[i].DeviceID].LastSeq); err != nil {
			return nil, err
		}
	}
	return verdicts, nil
}

// verifyAll checks the signatures of the claims that have a key, writing
// failures into verdicts at the claim's own index. The claims are split into
// one contiguous chunk per core, each verified as a devicekey.Batch; the
// verdicts are those of verifying one by one, so scheduling and chunking
// cannot change them.
func verifyAll(claims []types.Claim, keys []devicekey.PublicKey, verdicts []types.Verdict) {
	var idx []int
	for i := range claims {
		if keys[i] != nil {
			idx = append(idx, i)
		}
	}
	verify := func(part []int) {
		b := devicekey.NewBatch(len(part))
		for _, i := range part {
			b.Add(keys[i], claims[i].SignBytes, claims[i].Signature)
		}
		for j, err := range b.Verify() {
			if err != nil {
				i := part[j]
				verdicts[i].Err = errorsmod.Wrapf(types.ErrInvalidSignature, "device %s seq %d: %v", claims[i].DeviceID, claims[i].Seq, err)
			}
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if len(idx) < minParallel || workers < 2 {
		verify(idx)
		return
	}
	var wg sync.WaitGroup
	chunk := (len(idx) + workers - 1) / workers
	for part := range slices.Chunk(idx, chunk) {
		wg.Go(func() { verify(part) })
	}
	wg.Wait()
}

func isNotFound(err error) bool { return errors.Is(err, types.ErrDeviceNotFound) }
