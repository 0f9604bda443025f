package vm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

func wazeroConfig(kind EngineKind) wazero.RuntimeConfig {
	if kind == EngineInterpreter {
		return wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(wazeroFeatures)
	}
	return wazero.NewRuntimeConfigCompiler().WithCoreFeatures(wazeroFeatures)
}

// instantiateRaw instantiates a module without host imports in a fresh
// runtime (for plain-vs-instrumented comparisons).
func instantiateRaw(t testing.TB, kind EngineKind, code []byte) api.Module {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazeroConfig(kind))
	t.Cleanup(func() { _ = rt.Close(ctx) })
	mod, err := rt.InstantiateWithConfig(ctx, code, wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		t.Fatal(err)
	}
	return mod
}

func setGas(t testing.TB, mod api.Module, gas int64) {
	t.Helper()
	mod.ExportedGlobal(ExportGas).(api.MutableGlobal).Set(uint64(gas))
}

func TestInstrumentPreservesSemantics(t *testing.T) {
	plain := fixture(t, "control")
	metered, err := Instrument(plain, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var want uint64
	for i, kind := range engineKinds {
		// Plain: wazero runs the start section on instantiation.
		rt := wazero.NewRuntimeWithConfig(ctx, wazeroConfig(kind))
		defer rt.Close(ctx)
		pm, err := rt.Instantiate(ctx, plain)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pm.ExportedFunction("run").Call(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			want = got[0]
		} else if got[0] != want {
			t.Fatalf("plain result differs between engines: %#x vs %#x", got[0], want)
		}

		mm := instantiateRaw(t, kind, metered)
		setGas(t, mm, 1<<40)
		if _, err := mm.ExportedFunction(ExportStart).Call(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := mm.ExportedFunction("run").Call(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		if res[0] != want {
			t.Fatalf("%v: instrumented run() = %#x, plain = %#x", kind, res[0], want)
		}
		if d := mm.ExportedGlobal(ExportDepth).Get(); d != 0 {
			t.Fatalf("%v: depth not restored after return: %d", kind, d)
		}
		if left := int64(mm.ExportedGlobal(ExportGas).Get()); left >= 1<<40 || left < 0 {
			t.Fatalf("%v: gas not charged correctly: %d left", kind, left)
		}
	}
}

func TestInstrumentIsDeterministic(t *testing.T) {
	for _, name := range []string{"control", "counter", "recursion", "nan", "bench"} {
		code := fixture(t, name)
		a, err := Instrument(code, DefaultParams())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := Instrument(append([]byte(nil), code...), DefaultParams())
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("%s: output differs between runs", name)
		}
		// Instrumenting twice is rejected (reserved export names), never silently nested.
		if _, err := Instrument(a, DefaultParams()); !errors.Is(err, ErrBadExport) {
			t.Fatalf("%s: re-instrumenting: %v", name, err)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	small := DefaultParams()
	small.MaxCodeBytes = 1000
	onePage := DefaultParams()
	onePage.MaxMemoryPages = 1

	valid := fixture(t, "counter")
	cases := []struct {
		name   string
		code   []byte
		params Params
		want   error
		msg    string
	}{
		{"garbage", []byte("definitely not wasm"), DefaultParams(), ErrMalformed, "magic"},
		{"truncated", valid[:len(valid)/2], DefaultParams(), ErrMalformed, ""},
		{"empty", nil, DefaultParams(), ErrMalformed, ""},
		{"huge", append(append([]byte(nil), wasmMagic...), make([]byte, 2000)...), small, ErrCodeTooLarge, "2008 bytes (max 1000)"},
		{"env import", fixture(t, "import_env"), DefaultParams(), ErrDisallowedImport, `"env"."foo"`},
		{"wasi outside subset", fixture(t, "import_wasi_fs"), DefaultParams(), ErrDisallowedImport, `"wasi_snapshot_preview1"."path_open"`},
		{"wrong import signature", fixture(t, "import_bad_sig"), DefaultParams(), ErrDisallowedImport, "wrong signature"},
		{"simd", fixture(t, "simd"), DefaultParams(), ErrUnsupportedFeature, "SIMD"},
		{"missing handle", fixture(t, "no_handle"), DefaultParams(), ErrBadExport, `"handle"`},
		{"reserved export", fixture(t, "reserved_export"), DefaultParams(), ErrBadExport, "reserved"},
		{"memory too large", fixture(t, "bench"), onePage, ErrLimit, "initial memory of 4 pages"},
		{"complex function", bodyModule(nestedBlocks(5000), 1), DefaultParams(), ErrLimit, "complexity over 4096"},
		{"complex module", bodyModule(nestedBlocks(4000), 5), DefaultParams(), ErrLimit, "module control-flow complexity"},
		{"zero-page memory", bodyModuleMem(nestedBlocks(1), 1, 0), DefaultParams(), ErrLimit, "at least 1 initial page"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.code, c.params)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %q does not mention %q", err, c.msg)
			}
		})
	}
}

func TestValidateAcceptsFixtures(t *testing.T) {
	for _, name := range []string{"control", "counter", "infinite_loop", "memory_bomb", "oob_pointer", "nan", "recursion", "bench", "start_func"} {
		if err := Validate(fixture(t, name), DefaultParams()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestInstrumentClampsMemoryMax(t *testing.T) {
	p := DefaultParams()
	p.MaxMemoryPages = 77
	out, err := Instrument(fixture(t, "counter"), p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazeroConfig(EngineInterpreter))
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	max, ok := cm.ExportedMemories()[ExportMemory].Max()
	if !ok || max != 77 {
		t.Fatalf("memory max = %d (%v), want 77", max, ok)
	}
}

func TestStartFunctionIsMeteredPerInstance(t *testing.T) {
	for _, kind := range engineKinds {
		e := newTestEngine(t, kind, nil)
		store := newMemStore()
		res := runBlock(t, e, fixture(t, "start_func"), 1_000_000, store, ev("a"), ev("b"))
		expectStatus(t, res.Events[0], StatusOK, "")
		expectStatus(t, res.Events[1], StatusOK, "")
		if got := binary.LittleEndian.Uint32(store.m["started"]); got != 101 {
			t.Fatalf("start ran %d times / instance not reused: %d", got, got)
		}
		// The first event pays instantiation and the start loop.
		if res.Events[0].GasUsed <= res.Events[1].GasUsed+e.Params().Host.Instantiate {
			t.Fatalf("first event gas %d does not include instantiation (second %d)", res.Events[0].GasUsed, res.Events[1].GasUsed)
		}
		// Not enough gas for the start function: out of gas, then retried.
		res = runBlock(t, e, fixture(t, "start_func"), e.Params().Host.Instantiate+e.Params().Host.InstPerPage+50, newMemStore(), ev("a"))
		expectStatus(t, res.Events[0], StatusOutOfGas, "")
	}
}

func TestInstrumentDigest(t *testing.T) {
	a, b := DefaultParams(), DefaultParams()
	if a.InstrumentDigest() != b.InstrumentDigest() {
		t.Fatal("digest is not deterministic")
	}
	b.Gas.Call++
	if a.InstrumentDigest() == b.InstrumentDigest() {
		t.Fatal("a gas weight change must change the digest")
	}
	b = DefaultParams()
	b.Host.Base++ // host costs do not change the instrumented code
	if a.InstrumentDigest() != b.InstrumentDigest() {
		t.Fatal("host gas must not change the digest")
	}
}
