package keeper_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/applets/types"
	"github.com/w3bd/w3bd/x/applets/vm"
)

func TestEndBlockRunsRecordsInOrder(t *testing.T) {
	w := newWorld(t, testutil.FixtureOptions{})
	inst := w.instantiate(t, w.store(t, fixture(t, "counter")), "cfg-1", 1_000_000, 10_000_000)
	w.publish(t, "r1", "r2")
	w.publish(t, "r3")
	fees := w.feeCollected(t)
	height := w.f.Ctx.BlockHeight()
	w.endBlock(t)

	count, ok := w.state(t, inst.Id, "count")
	require.True(t, ok)
	require.Equal(t, uint64(3), binary.LittleEndian.Uint64(count))
	last, _ := w.state(t, inst.Id, "last")
	require.Equal(t, "r3", string(last), "events run in record order")
	cfg, _ := w.state(t, inst.Id, "cfg")
	require.Equal(t, "cfg-1", string(cfg))
	times, _ := w.state(t, inst.Id, "times")
	require.Equal(t, w.stream, binary.LittleEndian.Uint64(times[0:]))
	require.Equal(t, uint64(testutil.BlockTime.UnixMilli()), binary.LittleEndian.Uint64(times[8:]), "event_time is the record's timestamp")
	require.Equal(t, uint64(height), binary.LittleEndian.Uint64(times[16:]))

	outs := w.outputs(t, inst)
	require.Len(t, outs, 3)
	for i, o := range outs {
		require.Equal(t, "seen", string(o.Topic))
		require.Equal(t, uint64(i+1), binary.LittleEndian.Uint64(o.Payload[:8]), "seq of the record")
		require.Equal(t, w.dev.ID, string(o.Payload[8:]))
		require.Equal(t, inst.Id, o.InstanceId)
	}

	after := w.instance(t, inst.Id)
	require.Equal(t, uint64(3), after.EventsOk)
	require.Zero(t, after.EventsFailed)
	require.Positive(t, after.GasUsed)
	fee := types.DefaultParams().Fee(after.GasUsed).Int64()
	require.Equal(t, inst.Deposit.Amount.Int64()-fee, after.Deposit.Amount.Int64(), "gas paid from the deposit")
	require.Equal(t, fees+fee, w.feeCollected(t), "to the fee collector")
	logs := w.logs(t, inst.Id)
	require.Len(t, logs, 3)
	require.Equal(t, "handled event", logs[0].Message)
	require.Equal(t, "ok", logs[0].Status)

	// Nothing new: nothing runs, nothing is charged.
	w.endBlock(t)
	require.Equal(t, after, w.instance(t, inst.Id))
}

func TestFailedEventsKeepNothingButGasAndLogs(t *testing.T) {
	w := newWorld(t, testutil.FixtureOptions{})
	inst := w.instantiate(t, w.store(t, fixture(t, "counter")), "", 1_000_000, 10_000_000)
	w.publish(t, "ok-1", "Fail", "Trap", "ok-2")
	w.endBlock(t)

	count, _ := w.state(t, inst.Id, "count")
	require.Equal(t, uint64(2), binary.LittleEndian.Uint64(count))
	_, gone := w.state(t, inst.Id, "gone")
	require.False(t, gone, "writes of the failed event are discarded")
	outs := w.outputs(t, inst)
	require.Len(t, outs, 2, "outputs of failed events are discarded")
	after := w.instance(t, inst.Id)
	require.Equal(t, uint64(2), after.EventsOk)
	require.Equal(t, uint64(2), after.EventsFailed)

	var statuses []string
	for _, l := range w.logs(t, inst.Id) {
		if l.Level == types.LogLevelFailure {
			statuses = append(statuses, l.Status)
			require.Positive(t, l.GasUsed, "a failed event is still charged")
		}
	}
	require.Equal(t, []string{"error", "trap"}, statuses)
}

// TestHostileAppletsDoNotDisturbOthers runs hostile applets, each on a
// stream carrying the payloads that trigger its attack, beside a good applet
// subscribed to all those streams: each hostile event fails within its gas,
// the node does not crash, the good applet is unaffected.
func TestHostileAppletsDoNotDisturbOthers(t *testing.T) {
	w := newWorld(t, testutil.FixtureOptions{})
	const gas = 2_000_000
	attacks := []struct {
		name     string
		payloads []string
		status   vm.Status
	}{
		{"infinite_loop", []string{"L", "L"}, vm.StatusOutOfGas},
		{"memory_bomb", []string{"S", "H"}, vm.StatusOutOfGas}, // grow forever; one huge grow
		{"recursion", []string{"I", "F"}, vm.StatusTrap},       // infinite recursion, small and huge frames
	}
	var streams []uint64
	hostile := map[string]types.Instance{}
	for _, a := range attacks {
		s := w.f.Stream(t, w.owner, w.project)
		streams = append(streams, s)
		hostile[a.name] = w.instantiate(t, w.store(t, fixture(t, a.name)), "", gas, 100_000_000, s)
	}
	good := w.instantiate(t, w.store(t, fixture(t, "counter")), "", 1_000_000, 100_000_000, streams...)
	for i, a := range attacks {
		w.stream = streams[i]
		w.publish(t, a.payloads...)
	}
	w.endBlock(t)

	// The good applet saw every record; "F" is the counter fixture's own
	// deliberate failure, so five succeed.
	g := w.instance(t, good.Id)
	require.Equal(t, uint64(5), g.EventsOk)
	require.Equal(t, uint64(1), g.EventsFailed)
	count, _ := w.state(t, good.Id, "count")
	require.Equal(t, uint64(5), binary.LittleEndian.Uint64(count))
	require.Len(t, w.outputs(t, good), 5)

	for _, a := range attacks {
		inst := hostile[a.name]
		after := w.instance(t, inst.Id)
		require.Equalf(t, uint64(2), after.EventsFailed, "%s", a.name)
		require.Zerof(t, after.EventsOk, "%s", a.name)
		require.LessOrEqualf(t, after.GasUsed, uint64(2*gas), "%s: bounded by gas_per_event", a.name)
		require.Positivef(t, after.GasUsed, "%s: charged", a.name)
		require.Equalf(t, inst.Deposit.Amount.Int64()-types.DefaultParams().Fee(after.GasUsed).Int64(), after.Deposit.Amount.Int64(), "%s: paid", a.name)
		for _, l := range w.logs(t, inst.Id) {
			require.Equalf(t, a.status.String(), l.Status, "%s: %s", a.name, l.Message)
		}
	}
	require.Equal(t, uint64(2*gas), w.instance(t, hostile["infinite_loop"].Id).GasUsed, "an infinite loop burns exactly its gas")
}

// TestMemoryIsCapped grows memory until the engine refuses: the applet sees
// the cap, not the host's memory.
func TestMemoryIsCapped(t *testing.T) {
	w := newWorld(t, testutil.FixtureOptions{})
	inst := w.instantiate(t, w.store(t, fixture(t, "memory_bomb")), "", 100_000_000, 100_000_000)
	w.publish(t, "G")
	w.endBlock(t)
	pages, ok := w.state(t, inst.Id, "pages")
	require.True(t, ok, "%+v", w.logs(t, inst.Id))
	require.Equal(t, vm.DefaultParams().MaxMemoryPages, binary.LittleEndian.Uint32(pages))
}

func TestOutOfFundsPausesAndDepositResumes(t *testing.T) {
	w := newWorld(t, testutil.FixtureOptions{})
	const gas = 1_000_000
	perEvent := types.DefaultParams().Fee(gas) // 100 uw3b: the price of one event at worst
	inst := w.instantiate(t, w.store(t, fixture(t, "counter")), "", gas, perEvent.Int64())
	w.publish(t, "1", "2", "3", "4", "5")
	w.endBlock(t)

	after := w.instance(t, inst.Id)
	require.Equal(t, uint64(1), after.EventsOk, "the deposit covered one event at gas_per_event")
	require.Equal(t, types.StatusOutOfFunds, after.Status, "what is left cannot pay another")
	require.Equal(t, perEvent.Sub(types.DefaultParams().Fee(after.GasUsed)), after.Deposit.Amount, "only the gas used was paid")

	w.endBlock(t)
	require.Equal(t, uint64(1), w.instance(t, inst.Id).EventsOk, "out of funds: nothing runs")

	_, err := w.f.AppletsMsg.Deposit(w.f.Ctx, &types.MsgDeposit{Sender: w.owner, InstanceId: inst.Id, Amount: sdk.NewCoin("uw3b", perEvent.MulRaw(10))})
	require.NoError(t, err)
	require.Equal(t, types.StatusActive, w.instance(t, inst.Id).Status, "topping up resumes")
	w.endBlock(t)
	count, _ := w.state(t, inst.Id, "count")
	require.Equal(t, uint64(5), binary.LittleEndian.Uint64(count), "the waiting records ran: nothing was lost")
}

func TestOutputsAreEventsOfSubscribers(t *testing.T) {
	w := newWorld(t, testutil.FixtureOptions{})
	code := w.store(t, fixture(t, "counter"))
	producer := w.instantiate(t, code, "", 1_000_000, 10_000_000)
	consumer := w.instantiate(t, code, "", 1_000_000, 10_000_000, producer.OutputStreamId)
	w.publish(t, "x")
	w.endBlock(t)
	_, ran := w.state(t, consumer.Id, "count")
	require.False(t, ran, "outputs of block N are events of block N+1 at the earliest")
	w.endBlock(t)
	count, _ := w.state(t, consumer.Id, "count")
	require.Equal(t, uint64(1), binary.LittleEndian.Uint64(count))
	outs := w.outputs(t, consumer)
	require.Len(t, outs, 1)
	require.Equal(t, "applet:1", string(outs[0].Payload[8:]), "event_device names the producing instance")
}

func TestGoExampleApplets(t *testing.T) {
	w := newWorld(t, testutil.FixtureOptions{})
	threshold := w.instantiate(t, w.store(t, goApplet(t, "threshold")), `{"field":"temp_c","threshold":30}`, 50_000_000, 100_000_000)
	average := w.instantiate(t, w.store(t, goApplet(t, "average")), "", 50_000_000, 100_000_000)
	w.publish(t, `{"temp_c":25}`, `{"temp_c":31.5}`)
	w.endBlock(t)
	w.publish(t, `{"temp_c":29}`, `not json`)
	w.endBlock(t)

	outs := w.outputs(t, threshold)
	require.Len(t, outs, 2)
	require.Equal(t, "alert", string(outs[0].Topic))
	require.Equal(t, "clear", string(outs[1].Topic))
	var alert struct {
		Device string  `json:"device"`
		Seq    uint64  `json:"seq"`
		Value  float64 `json:"value"`
	}
	require.NoError(t, json.Unmarshal(outs[0].Payload, &alert))
	require.Equal(t, w.dev.ID, alert.Device)
	require.Equal(t, uint64(2), alert.Seq)
	require.Equal(t, 31.5, alert.Value)

	raw, ok := w.state(t, average.Id, "avg/"+w.dev.ID)
	require.True(t, ok)
	var avg struct {
		Count uint64  `json:"count"`
		Mean  float64 `json:"mean"`
		Min   float64 `json:"min"`
		Max   float64 `json:"max"`
	}
	require.NoError(t, json.Unmarshal(raw, &avg))
	require.Equal(t, uint64(3), avg.Count)
	require.InDelta(t, (25+31.5+29)/3.0, avg.Mean, 1e-12)
	require.Equal(t, 25.0, avg.Min)
	require.Equal(t, 31.5, avg.Max)

	ai := w.instance(t, average.Id)
	require.Equal(t, uint64(3), ai.EventsOk)
	require.Equal(t, uint64(1), ai.EventsFailed, "the non-JSON payload failed")
	var failure string
	for _, l := range w.logs(t, average.Id) {
		if l.Level == types.LogLevelFailure {
			failure = l.Message
		}
	}
	require.True(t, strings.Contains(failure, "error") || failure != "", "failure recorded: %q", failure)
}

func TestAssemblyScriptApplet(t *testing.T) {
	w := newWorld(t, testutil.FixtureOptions{})
	inst := w.instantiate(t, w.store(t, asApplet(t)), "", 1_000_000, 100_000_000)
	w.publish(t, `{"temp_c":21.5}`, `{"temp_c":19}`, `{"temp_c":23.25,"hum":40}`, `{"hum":1}`)
	w.endBlock(t)

	after := w.instance(t, inst.Id)
	require.Equal(t, uint64(3), after.EventsOk)
	require.Equal(t, uint64(1), after.EventsFailed, "the reading without temp_c failed")
	n, _ := w.state(t, inst.Id, "n/"+w.dev.ID)
	require.Equal(t, uint64(3), binary.LittleEndian.Uint64(n))
	best, _ := w.state(t, inst.Id, "max/"+w.dev.ID)
	require.Equal(t, 23.25, math.Float64frombits(binary.LittleEndian.Uint64(best)))
	var maxima []string
	for _, o := range w.outputs(t, inst) {
		require.Equal(t, "new_max", string(o.Topic))
		maxima = append(maxima, string(o.Payload))
	}
	require.Equal(t, []string{w.dev.ID + " 21.5", w.dev.ID + " 23.25"}, maxima)
}
