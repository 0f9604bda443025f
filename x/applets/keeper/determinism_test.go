package keeper_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/applets/types"
	"github.com/w3bd/w3bd/x/applets/vm"
)

// scenario runs eight instances (well-behaved, failing, hostile, NaN-heavy,
// Go applets reading clock and randomness) over three blocks and returns the
// exported applets and streams state: code, instances (gas, counters,
// deposits), cursors, logs, key-value state and outputs.
func scenario(t *testing.T, engine vm.EngineKind, workers int) (applets, streams []byte) {
	t.Helper()
	w := newWorld(t, testutil.FixtureOptions{Engine: engine, Workers: workers})

	counter := w.store(t, fixture(t, "counter"))
	w.instantiate(t, counter, "a", 1_000_000, 50_000_000)
	w.instantiate(t, counter, "b", 1_000_000, 50_000_000)
	w.instantiate(t, w.store(t, fixture(t, "nan")), "", 1_000_000, 50_000_000)
	w.instantiate(t, w.store(t, fixture(t, "infinite_loop")), "", 300_000, 50_000_000)
	w.instantiate(t, w.store(t, fixture(t, "memory_bomb")), "", 5_000_000, 50_000_000)
	w.instantiate(t, w.store(t, fixture(t, "wasi")), "", 1_000_000, 50_000_000)
	w.instantiate(t, w.store(t, goApplet(t, "average")), "", 50_000_000, 150_000_000)
	w.instantiate(t, w.store(t, goApplet(t, "threshold")), `{"threshold":21}`, 50_000_000, 150_000_000)

	for b := range 3 {
		var payloads []string
		for i := range 4 {
			payloads = append(payloads, fmt.Sprintf(`{"temp_c":%d.25}`, 18+b+i))
		}
		payloads = append(payloads, "L", "G", "Fail", "Trap", "\x00\x00\xc0\x7f\x00\x00\xc0\xff")
		w.publish(t, payloads...)
		w.endBlock(t)
	}
	ap, err := w.f.Applets.ExportGenesis(w.f.Ctx)
	require.NoError(t, err)
	_, st := w.f.ExportGenesis(t)
	require.NotEmpty(t, ap.State)
	return w.f.Codec.MustMarshalJSON(ap), w.f.Codec.MustMarshalJSON(st)
}

// TestDeterminismAcrossEnginesAndScheduling: the same blocks executed with
// wazero's compiler and interpreter, in parallel and sequentially, give
// byte-identical state, outputs, logs and gas.
func TestDeterminismAcrossEnginesAndScheduling(t *testing.T) {
	refApplets, refStreams := scenario(t, vm.EngineCompiler, 8)
	for _, c := range []struct {
		engine  vm.EngineKind
		workers int
	}{{vm.EngineCompiler, 1}, {vm.EngineInterpreter, 8}, {vm.EngineInterpreter, 1}} {
		t.Run(fmt.Sprintf("%s/workers=%d", c.engine, c.workers), func(t *testing.T) {
			a, s := scenario(t, c.engine, c.workers)
			requireSameBytes(t, refApplets, a, "applets state")
			requireSameBytes(t, refStreams, s, "streams state (outputs)")
		})
	}
}

func TestGenesisRoundTrip(t *testing.T) {
	applets, _ := scenario(t, vm.EngineCompiler, 0)
	var gs types.GenesisState
	f := testutil.NewBareFixture(t)
	f.Codec.MustUnmarshalJSON(applets, &gs)
	require.NoError(t, gs.Validate())
	require.NoError(t, f.Applets.InitGenesis(f.Ctx, &gs))
	again, err := f.Applets.ExportGenesis(f.Ctx)
	require.NoError(t, err)
	requireSameBytes(t, applets, f.Codec.MustMarshalJSON(again), "re-exported genesis")

	bad := gs
	bad.Codes = append([]types.CodeEntry{}, gs.Codes...)
	bad.Codes[0].Wasm = []byte("tampered")
	require.ErrorIs(t, bad.Validate(), types.ErrInvalidGenesis)
	bad = gs
	bad.NextInstanceId = 1
	require.ErrorIs(t, bad.Validate(), types.ErrInvalidGenesis)
}

// requireSameBytes fails with the first difference instead of both documents.
func requireSameBytes(t *testing.T, want, got []byte, what string) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	lo := max(0, i-200)
	t.Fatalf("%s differs at byte %d (len %d vs %d):\nwant ...%s\ngot  ...%s", what, i, len(want), len(got),
		want[lo:min(len(want), i+200)], got[lo:min(len(got), i+200)])
}
