package keeper_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/w3bd/w3bd/testutil"
)

const benchEvents = 200 // records per block

// benchWorld is a world with instances of one code, each over the stream.
func benchWorld(b *testing.B, wasm []byte, config string, instances, workers int, gas uint64) *world {
	w := newWorld(b, testutil.FixtureOptions{Workers: workers})
	w.f.Fund(b, w.owner, 1<<50)
	code := w.store(b, wasm)
	for range instances {
		w.instantiate(b, code, config, gas, 1<<45)
	}
	return w
}

// runBlocks publishes benchEvents readings per block (untimed) and times the
// applets' EndBlock; it reports events/s over all instances. A first,
// untimed block compiles the code: a node compiles once per code hash (and
// keeps it on disk), so steady-state blocks are what matter.
func runBlocks(b *testing.B, w *world, instances int) {
	payloads := make([]string, benchEvents)
	block := func() time.Duration {
		for i := range payloads {
			payloads[i] = fmt.Sprintf(`{"temp_c":%d.5,"hum":%d}`, 15+(int(w.seq)+i)%20, 40+i%30)
		}
		w.publish(b, payloads...)
		start := time.Now()
		if err := w.f.Applets.EndBlock(w.f.Ctx); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		w.f.NextBlock()
		return took
	}
	block()
	var elapsed time.Duration
	b.ResetTimer()
	for b.Loop() {
		elapsed += block()
	}
	b.ReportMetric(float64(b.N*benchEvents*instances)/elapsed.Seconds(), "events/s")
	for id := uint64(1); id <= uint64(instances); id++ {
		if inst := w.instance(b, id); inst.EventsFailed != 0 {
			logs := w.logs(b, id)
			b.Fatalf("instance %d: %d events failed, last: %+v", id, inst.EventsFailed, logs[len(logs)-1])
		}
	}
}

// BenchmarkEndBlock measures events per second through EndBlock for a small
// AssemblyScript applet and for the Go running-average applet, one instance,
// and the same computation in native Go as a reference.
func BenchmarkEndBlock(b *testing.B) {
	b.Run("assemblyscript", func(b *testing.B) {
		w := benchWorld(b, asApplet(b), "", 1, 0, 1_000_000)
		runBlocks(b, w, 1)
	})
	b.Run("go", func(b *testing.B) {
		w := benchWorld(b, goApplet(b, "average"), "", 1, 0, 60_000_000)
		runBlocks(b, w, 1)
	})
	b.Run("native-go", func(b *testing.B) {
		// The average applet's work per event, natively: decode the reading,
		// read and decode the device's state, update, encode and write it.
		state := map[string][]byte{}
		payloads := make([][]byte, benchEvents)
		for i := range payloads {
			payloads[i] = fmt.Appendf(nil, `{"temp_c":%d.5,"hum":%d}`, 15+i%20, 40+i%30)
		}
		start := time.Now()
		for b.Loop() {
			for _, p := range payloads {
				var reading map[string]any
				if err := json.Unmarshal(p, &reading); err != nil {
					b.Fatal(err)
				}
				v := reading["temp_c"].(float64)
				var avg struct {
					Count   uint64  `json:"count"`
					Mean    float64 `json:"mean"`
					Min     float64 `json:"min"`
					Max     float64 `json:"max"`
					LastSeq uint64  `json:"last_seq"`
				}
				if raw, ok := state["avg/dev"]; ok {
					if err := json.Unmarshal(raw, &avg); err != nil {
						b.Fatal(err)
					}
				}
				avg.Count++
				avg.Mean += (v - avg.Mean) / float64(avg.Count)
				avg.Min, avg.Max = min(avg.Min, v), max(avg.Max, v)
				raw, _ := json.Marshal(avg)
				state["avg/dev"] = raw
			}
		}
		b.ReportMetric(float64(b.N*benchEvents)/time.Since(start).Seconds(), "events/s")
	})
}

// BenchmarkParallel runs 8 instances of an applet over the same records with
// one worker and with one per CPU: the ratio of their events/s is the
// parallel speed-up.
func BenchmarkParallel(b *testing.B) {
	const instances = 8
	for _, applet := range []struct {
		name string
		wasm func(testing.TB) []byte
		gas  uint64
	}{
		{"go", func(t testing.TB) []byte { return goApplet(t, "average") }, 60_000_000},
		{"assemblyscript", asApplet, 1_000_000},
	} {
		for _, workers := range []int{1, 0} {
			name := fmt.Sprintf("%s/workers=%d", applet.name, workers)
			if workers == 0 {
				name = applet.name + "/workers=cpus"
			}
			b.Run(name, func(b *testing.B) {
				w := benchWorld(b, applet.wasm(b), "", instances, workers, applet.gas)
				runBlocks(b, w, instances)
			})
		}
	}
}
