package testutil

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// Submitter is the account the fixture's Publish sends from.
func Submitter() string { return AccAddress("submitter") }

// Publish sends envs in one MsgPublish from Submitter and fails the test on a
// message-level error (rejected envelopes are not errors: see the results).
func (f *Fixture) Publish(tb testing.TB, envs ...streamstypes.Envelope) *streamstypes.MsgPublishResponse {
	tb.Helper()
	res, err := f.StreamsMsg.Publish(f.Ctx, &streamstypes.MsgPublish{Submitter: Submitter(), Envelopes: envs})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// SetStatus sets a device's status as the project owner.
func (f *Fixture) SetStatus(tb testing.TB, owner, deviceID, status string) {
	tb.Helper()
	_, err := f.DevicesMsg.SetDeviceStatus(f.Ctx, &devicestypes.MsgSetDeviceStatus{Owner: owner, DeviceId: deviceID, Status: status})
	if err != nil {
		tb.Fatal(err)
	}
}

// InitGenesis loads both modules' genesis states, x/devices first.
func (f *Fixture) InitGenesis(tb testing.TB, devices *devicestypes.GenesisState, streams *streamstypes.GenesisState) {
	tb.Helper()
	if err := f.Devices.InitGenesis(f.Ctx, devices); err != nil {
		tb.Fatal(err)
	}
	if err := f.Streams.InitGenesis(f.Ctx, streams); err != nil {
		tb.Fatal(err)
	}
}

// ExportGenesis exports both modules' state.
func (f *Fixture) ExportGenesis(tb testing.TB) (*devicestypes.GenesisState, *streamstypes.GenesisState) {
	tb.Helper()
	d, err := f.Devices.ExportGenesis(f.Ctx)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := f.Streams.ExportGenesis(f.Ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return d, s
}

// GenesisJSON is both modules' exported state as JSON written by the fixture
// codec: two fixtures hold the same state exactly when these bytes are equal.
func (f *Fixture) GenesisJSON(tb testing.TB) (devices, streams []byte) {
	tb.Helper()
	d, s := f.ExportGenesis(tb)
	var err error
	if devices, err = f.Codec.MarshalJSON(d); err != nil {
		tb.Fatal(err)
	}
	if streams, err = f.Codec.MarshalJSON(s); err != nil {
		tb.Fatal(err)
	}
	return devices, streams
}

// ResetEvents gives the fixture's context a fresh event manager.
func (f *Fixture) ResetEvents() {
	f.Ctx = f.Ctx.WithEventManager(sdk.NewEventManager())
}

// Events returns the attributes of the fixture context's events of type typ,
// in emission order.
func (f *Fixture) Events(typ string) []map[string]string {
	var out []map[string]string
	for _, e := range f.Ctx.EventManager().Events() {
		if e.Type != typ {
			continue
		}
		attrs := make(map[string]string, len(e.Attributes))
		for _, a := range e.Attributes {
			attrs[a.Key] = a.Value
		}
		out = append(out, attrs)
	}
	return out
}
