package vm

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// BenchmarkMetering compares the same workloads uninstrumented ("plain") and
// instrumented ("metered") in one process, with wazero's compiler:
//
//	go test ./x/applets/vm -run '^$' -bench BenchmarkMetering -count 5
//
// The overhead ratio is metered ns/op divided by plain ns/op.
func BenchmarkMetering(b *testing.B) {
	plain := fixture(b, "bench")
	metered, err := Instrument(plain, DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazeroConfig(EngineCompiler))
	defer rt.Close(ctx)
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions()
	pm, err := rt.InstantiateWithConfig(ctx, plain, cfg)
	if err != nil {
		b.Fatal(err)
	}
	mm, err := rt.InstantiateWithConfig(ctx, metered, cfg)
	if err != nil {
		b.Fatal(err)
	}
	gas := mm.ExportedGlobal(ExportGas).(api.MutableGlobal)

	workloads := []struct {
		name, fn string
		arg      uint64
	}{
		{"int_hash", "hash", 100_000},
		{"float_math", "fmath", 100_000},
		{"copy_sort", "sort", 1_000},
		{"calls_fib", "fib", 20},
	}
	for _, w := range workloads {
		pf, mf := pm.ExportedFunction(w.fn), mm.ExportedFunction(w.fn)
		gas.Set(1 << 60)
		want, err1 := pf.Call(ctx, w.arg)
		got, err2 := mf.Call(ctx, w.arg)
		if err1 != nil || err2 != nil || want[0] != got[0] {
			b.Fatalf("%s: plain %v %v, metered %v %v", w.name, want, err1, got, err2)
		}
		b.Run(w.name+"/plain", func(b *testing.B) {
			stack := make([]uint64, 1)
			for b.Loop() {
				stack[0] = w.arg
				if err := pf.CallWithStack(ctx, stack); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(w.name+"/metered", func(b *testing.B) {
			stack := make([]uint64, 1)
			for b.Loop() {
				gas.Set(1 << 60)
				stack[0] = w.arg
				if err := mf.CallWithStack(ctx, stack); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// gasStub stands in for the gas global of an uninstrumented module, so the
// host functions (which charge gas) can serve it in BenchmarkMeteringGo.
type gasStub struct {
	api.MutableGlobal // never called; satisfies the interface
	v                 uint64
}

func (g *gasStub) Get() uint64  { return g.v }
func (g *gasStub) Set(v uint64) { g.v = v }

// BenchmarkMeteringGo runs the Go applet's "bench" export (sort, sha256,
// maps, floats, strconv) plain and metered, with wazero's compiler:
//
//	go test ./x/applets/vm -run '^$' -bench BenchmarkMeteringGo -count 5
func BenchmarkMeteringGo(b *testing.B) {
	plain := buildGoApplet(b)
	metered, err := Instrument(plain, DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazeroConfig(EngineCompiler))
	defer rt.Close(ctx)
	if err := registerHostModules(ctx, rt); err != nil {
		b.Fatal(err)
	}
	p := DefaultParams()
	setup := func(code []byte, isMetered bool) (api.Function, *callState, context.Context) {
		mod, err := rt.InstantiateWithConfig(ctx, code, instanceConfig)
		if err != nil {
			b.Fatal(err)
		}
		inst := &instance{mod: mod, mem: mod.Memory(), rng: newRandStream(testBlock.Seed, nil, 0), blockTimeNs: testBlock.TimeMs * 1e6}
		if isMetered {
			inst.gas = mod.ExportedGlobal(ExportGas).(api.MutableGlobal)
			inst.depth = mod.ExportedGlobal(ExportDepth).(api.MutableGlobal)
		} else {
			inst.gas = &gasStub{}
		}
		cs := &callState{p: &p, inst: inst, event: &Event{}, block: &testBlock, input: &InstanceInput{}, state: newOverlay(newMemStore())}
		cctx := context.WithValue(ctx, callStateKey{}, cs)
		inst.gas.Set(1 << 60)
		if _, err := mod.ExportedFunction(ExportInitialize).Call(cctx); err != nil {
			b.Fatal(err)
		}
		return mod.ExportedFunction("bench"), cs, cctx
	}
	pf, _, pctx := setup(plain, false)
	mf, mcs, mctx := setup(metered, true)
	const n = 2000
	want, err1 := pf.Call(pctx, n)
	got, err2 := mf.Call(mctx, n)
	if err1 != nil || err2 != nil || want[0] != got[0] {
		b.Fatalf("plain %v %v, metered %v %v", want, err1, got, err2)
	}
	b.Run("go_sort_sha_map/plain", func(b *testing.B) {
		for b.Loop() {
			if _, err := pf.Call(pctx, n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go_sort_sha_map/metered", func(b *testing.B) {
		for b.Loop() {
			mcs.inst.gas.Set(1 << 60)
			mcs.inst.depth.Set(0)
			if _, err := mf.Call(mctx, n); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRunBlock measures the whole event path (instance reuse, payload
// copy, host calls, overlay commit) with the counter applet: 100 events per
// block; ns/op is per block.
func BenchmarkRunBlock(b *testing.B) {
	for _, kind := range engineKinds {
		b.Run(kind.String(), func(b *testing.B) {
			e := newTestEngine(b, kind, nil)
			code := CodeBytes(fixture(b, "counter"))
			events := make([]Event, 100)
			for i := range events {
				events[i] = Event{Device: "dev", Seq: uint64(i), Payload: []byte("0123456789abcdef0123456789abcdef")}
			}
			in := InstanceInput{ID: []byte("i"), Config: []byte("c"), GasPerEvent: 1_000_000}
			for b.Loop() {
				res, err := e.RunBlock(context.Background(), code, in, testBlock, events, newMemStore())
				if err != nil || res.Events[99].Status != StatusOK {
					b.Fatal(err, res.Events[99])
				}
			}
		})
	}
}
