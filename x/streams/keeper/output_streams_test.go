package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/streams/types"
)

// An applet output stream takes no device envelopes, and rejecting one
// stores nothing.
func TestPublishToOutputStream(t *testing.T) {
	s := newScene(t)
	dev := s.device(t, devicekey.P256, 1)
	out, err := s.f.Streams.CreateOutputStream(s.f.Ctx, s.project, 7)
	require.NoError(t, err)
	require.NoError(t, s.f.Streams.AppendOutputs(s.f.Ctx, out, []types.Output{{Topic: []byte("t"), Data: []byte("d")}}))
	before := s.streamState(t, out)

	env := dev.Envelope(t, out, 1, testutil.Reading(1))
	res := s.f.Publish(t, env, dev.Envelope(t, s.stream, 2, testutil.Reading(2)))
	requireRejected(t, res.Results[0], env, types.ReasonNotDeviceStream, types.ErrNotDeviceStream)
	require.True(t, res.Results[1].Accepted)
	require.Equal(t, before, s.streamState(t, out))
	require.Equal(t, uint64(2), s.lastSeq(t, dev), "the rejected seq 1 was not admitted")
}

// Applet outputs are records with an empty device_id. ExportGenesis writes
// them, Validate accepts them, but InitGenesis parses every record's
// device_id (x/streams/keeper/genesis.go, ParseDeviceID(r.DeviceId)) and
// fails, so a chain with any applet output cannot be exported and restarted.
func TestGenesisRoundTripWithOutputStream(t *testing.T) {
	s := newScene(t)
	dev := s.device(t, devicekey.Ed25519, 1)
	s.f.Publish(t, dev.Envelope(t, s.stream, 1, testutil.Reading(1)))
	out, err := s.f.Streams.CreateOutputStream(s.f.Ctx, s.project, 3)
	require.NoError(t, err)
	require.NoError(t, s.f.Streams.AppendOutputs(s.f.Ctx, out, []types.Output{{Topic: []byte("t"), Data: []byte("d")}}))

	dgs, sgs := s.f.ExportGenesis(t)
	require.NoError(t, dgs.Validate())
	require.NoError(t, sgs.Validate())
	dJSON, sJSON := s.f.GenesisJSON(t)

	g := testutil.NewBareFixture(t)
	require.NoError(t, g.Devices.InitGenesis(g.Ctx, dgs))
	require.NoError(t, g.Streams.InitGenesis(g.Ctx, sgs))
	dJSON2, sJSON2 := g.GenesisJSON(t)
	require.Equal(t, string(dJSON), string(dJSON2))
	require.Equal(t, string(sJSON), string(sJSON2))
}
