package keeper

import (
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	"github.com/w3bd/w3bd/x/streams/types"
)

// PreverifyDecorator verifies the device signatures of a transaction's
// MsgPublish envelopes in CheckTx — while the node waits for the next block —
// and lets x/devices remember the valid ones, so FinalizeBlock does not
// verify them again on this node. It never rejects a transaction and charges
// no gas: verdicts and gas are FinalizeBlock's, as without it. It belongs
// after the signature checks of the ante chain, so only authenticated
// transactions cost the node this work. ReCheckTx and simulations skip it.
type PreverifyDecorator struct{ devices types.DevicesKeeper }

func NewPreverifyDecorator(devices types.DevicesKeeper) PreverifyDecorator {
	return PreverifyDecorator{devices: devices}
}

func (d PreverifyDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	if !ctx.IsCheckTx() || ctx.IsReCheckTx() || simulate {
		return next(ctx, tx, simulate)
	}
	var claims []devicestypes.Claim
	for _, msg := range tx.GetMsgs() {
		publish, ok := msg.(*types.MsgPublish)
		if !ok {
			continue
		}
		for i := range publish.Envelopes {
			env := &publish.Envelopes[i]
			claims = append(claims, devicestypes.Claim{DeviceID: env.DeviceId, Seq: env.Seq, SignBytes: env.SignBytes(ctx.ChainID()), Signature: env.Signature})
		}
	}
	if len(claims) > 0 {
		// A failure here costs only the head start: FinalizeBlock verifies.
		_ = d.devices.Preverify(ctx.WithGasMeter(storetypes.NewInfiniteGasMeter()), claims)
	}
	return next(ctx, tx, simulate)
}
