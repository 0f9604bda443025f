package vm

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestWASISubset(t *testing.T) {
	var first [][]byte
	for _, kind := range engineKinds {
		e := newTestEngine(t, kind, nil)
		store := newMemStore()
		res := runBlock(t, e, fixture(t, "wasi"), 10_000_000, store, ev(""), ev("P"), ev("B"), ev("X"), ev(""))
		for _, i := range []int{0, 1, 2, 4} {
			expectStatus(t, res.Events[i], StatusOK, "")
		}
		expectStatus(t, res.Events[3], StatusTrap, "proc_exit(3)")

		v := store.m["wasi"]
		u64 := func(off int) uint64 { return binary.LittleEndian.Uint64(v[off:]) }
		u32 := func(off int) uint32 { return binary.LittleEndian.Uint32(v[off:]) }
		blockNs := uint64(testBlock.TimeMs) * 1_000_000
		// The last event ran on a fresh instance (proc_exit discarded the old one): no sleep yet.
		if u64(0) != blockNs || u64(8) != blockNs {
			t.Fatalf("clocks %d %d, want block time %d", u64(0), u64(8), blockNs)
		}
		if u32(16) != 0 || u32(20) != 1 {
			t.Fatalf("clock_res_get: errno %d res %d", u32(16), u32(20))
		}
		if u32(28) != 0 || u32(32) != 0 || u32(36) != 0 || u32(40) != 0 {
			t.Fatal("args/environ must be empty")
		}
		if u32(44) != errnoBadf || u32(48) != errnoBadf || u32(52) != errnoBadf || u32(56) != errnoSpipe || u32(60) != errnoInval {
			t.Fatalf("errnos: %v", v[44:64])
		}
		if bytes.Equal(v[64:80], make([]byte, 16)) {
			t.Fatal("random_get wrote zeros")
		}
		if got := string(res.Events[0].Logs[0].Message); got != "hello\n" || res.Events[0].Logs[0].Level != LogLevelStdout {
			t.Fatalf("stdout log %+v", res.Events[0].Logs)
		}
		big := res.Events[2]
		total := 0
		for _, l := range big.Logs {
			total += len(l.Message)
		}
		if !big.LogsTruncated || total != int(e.Params().MaxLogBytes) {
			t.Fatalf("log cap: truncated=%v total=%d", big.LogsTruncated, total)
		}
		first = append(first, v)
	}
	if !bytes.Equal(first[0], first[1]) {
		t.Fatal("engines disagree on wasi results")
	}
}

func TestWASISleepAdvancesVirtualClock(t *testing.T) {
	e := newTestEngine(t, EngineInterpreter, nil)
	store := newMemStore()
	res := runBlock(t, e, fixture(t, "wasi"), 10_000_000, store, ev("P"))
	expectStatus(t, res.Events[0], StatusOK, "")
	got := binary.LittleEndian.Uint64(store.m["wasi"])
	if want := uint64(testBlock.TimeMs)*1_000_000 + 5_000_000; got != want {
		t.Fatalf("time after a 5ms poll_oneoff sleep = %d, want %d", got, want)
	}
}
