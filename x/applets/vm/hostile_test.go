package vm

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
)

func TestInfiniteLoopStoppedByGas(t *testing.T) {
	for _, kind := range engineKinds {
		t.Run(kind.String(), func(t *testing.T) {
			e := newTestEngine(t, kind, nil)
			store := newMemStore()
			const gas = 2_000_000
			res := runBlock(t, e, fixture(t, "infinite_loop"), gas, store, ev("L"), ev("x"))
			expectStatus(t, res.Events[0], StatusOutOfGas, "out of gas")
			if res.Events[0].GasUsed != gas {
				t.Fatalf("gas used %d, want all %d", res.Events[0].GasUsed, gas)
			}
			expectStatus(t, res.Events[1], StatusOK, "")
			if string(store.m["ok"]) != "ok" {
				t.Fatalf("next event did not commit: %q", store.dump())
			}
		})
	}
}

func TestMemoryBombIsCapped(t *testing.T) {
	for _, kind := range engineKinds {
		t.Run(kind.String(), func(t *testing.T) {
			const maxPages = 64
			e := newTestEngine(t, kind, func(p *Params) { p.MaxMemoryPages = maxPages })
			store := newMemStore()
			res := runBlock(t, e, fixture(t, "memory_bomb"), 10_000_000, store, ev("G"))
			expectStatus(t, res.Events[0], StatusOK, "")
			if got := binary.LittleEndian.Uint32(store.m["pages"]); got != maxPages {
				t.Fatalf("memory grew to %d pages, cap is %d", got, maxPages)
			}
			res = runBlock(t, e, fixture(t, "memory_bomb"), 10_000_000, store, ev("S"), ev("H"), ev("x"))
			expectStatus(t, res.Events[0], StatusOutOfGas, "")
			expectStatus(t, res.Events[1], StatusOutOfGas, "")
			expectStatus(t, res.Events[2], StatusOK, "")
			if got := binary.LittleEndian.Uint32(store.m["pages"]); got != 1 {
				t.Fatalf("failed events must discard the instance: fresh instance has %d pages, want 1", got)
			}
		})
	}
}

func TestDeepRecursionHitsDepthLimit(t *testing.T) {
	depthArg := func(mode byte, n uint32) Event {
		p := []byte{mode, 0, 0, 0, 0}
		binary.LittleEndian.PutUint32(p[1:], n)
		return ev(string(p))
	}
	var gasUsed [2][]uint64
	for i, kind := range engineKinds {
		t.Run(kind.String(), func(t *testing.T) {
			e := newTestEngine(t, kind, nil)
			store := newMemStore()
			res := runBlock(t, e, fixture(t, "recursion"), 50_000_000, store,
				depthArg('R', 900), depthArg('I', 0), depthArg('F', 0), depthArg('R', 5000), depthArg('R', 10))
			expectStatus(t, res.Events[0], StatusOK, "")
			expectStatus(t, res.Events[1], StatusTrap, "call depth limit exceeded")
			expectStatus(t, res.Events[2], StatusTrap, "call depth limit exceeded")
			expectStatus(t, res.Events[3], StatusTrap, "call depth limit exceeded")
			expectStatus(t, res.Events[4], StatusOK, "")
			if got := binary.LittleEndian.Uint32(store.m["depth"]); got != 10 {
				t.Fatalf("depth result %d", got)
			}
			for _, r := range res.Events {
				gasUsed[i] = append(gasUsed[i], r.GasUsed)
			}
		})
	}
	if fmt.Sprint(gasUsed[0]) != fmt.Sprint(gasUsed[1]) {
		t.Fatalf("gas differs between engines: %v vs %v", gasUsed[0], gasUsed[1])
	}
}

func TestHostCallOutOfBoundsPointer(t *testing.T) {
	cases := map[string]string{
		"K": "state_set: pointer out of bounds",
		"V": "state_get: pointer out of bounds",
		"E": "emit: pointer out of bounds",
		"L": "log: pointer out of bounds",
	}
	for _, kind := range engineKinds {
		e := newTestEngine(t, kind, nil)
		for mode, msg := range cases {
			t.Run(kind.String()+"/"+mode, func(t *testing.T) {
				store := newMemStore()
				res := runBlock(t, e, fixture(t, "oob_pointer"), 10_000_000, store, ev(mode), ev("ok"))
				expectStatus(t, res.Events[0], StatusTrap, msg)
				expectStatus(t, res.Events[1], StatusOK, "")
				if len(res.Events[0].Writes) != 0 {
					t.Fatal("a trapped event must not write state")
				}
			})
		}
	}
}

func TestNaNBitsAreCanonical(t *testing.T) {
	var results []string
	for _, kind := range engineKinds {
		e := newTestEngine(t, kind, nil)
		store := newMemStore()
		res := runBlock(t, e, fixture(t, "nan"), 10_000_000, store, ev(""))
		expectStatus(t, res.Events[0], StatusOK, "")
		v := store.m["nan"]
		if len(v) != 128 {
			t.Fatalf("value of %d bytes", len(v))
		}
		word := func(i int) uint64 { return binary.LittleEndian.Uint64(v[8*i:]) }
		for i := 0; i <= 9; i++ {
			if word(i) != 0x7ff8000000000000 {
				t.Errorf("%v: f64 result %d = %#x, want canonical NaN", kind, i, word(i))
			}
		}
		for i := 10; i <= 13; i++ {
			if word(i) != 0x7fc00000 {
				t.Errorf("%v: f32 result %d = %#x, want canonical NaN", kind, i, word(i))
			}
		}
		if word(14) != 0x7ff8000000000456 || word(15) != 0x7ff4000000000123 {
			t.Errorf("%v: sign/bit operations changed: %#x %#x", kind, word(14), word(15))
		}
		results = append(results, fmt.Sprintf("%x gas=%d", v, res.Events[0].GasUsed))
	}
	if results[0] != results[1] {
		t.Fatalf("engines disagree:\n%s\n%s", results[0], results[1])
	}
	_ = math.NaN
}

func TestHostilePayloadGasIdentical(t *testing.T) {
	// Each hostile fixture spends the same gas under both engines.
	for _, name := range []string{"infinite_loop", "memory_bomb", "oob_pointer", "counter"} {
		var got []string
		for _, kind := range engineKinds {
			e := newTestEngine(t, kind, nil)
			res := runBlock(t, e, fixture(t, name), 3_000_000, nil, ev("L"), ev("S"), ev("K"), ev("T"), ev("F"), ev("x"))
			got = append(got, fmt.Sprintf("%+v", res))
		}
		if got[0] != got[1] {
			t.Fatalf("%s: engines disagree:\n%s\n%s", name, got[0], got[1])
		}
	}
}
