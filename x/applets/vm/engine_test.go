package vm

import (
	"context"
	"errors"
	"testing"
)

func TestEngineCacheEvictionAndDiskCache(t *testing.T) {
	dir := t.TempDir()
	for round := 0; round < 2; round++ { // second round starts from the disk cache
		cfg := DefaultConfig()
		cfg.CacheDir = dir
		cfg.MaxCachedModules = 1
		e, err := NewEngine(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			for _, name := range []string{"counter", "nan", "start_func"} {
				res := runBlock(t, e, fixture(t, name), 1_000_000, nil, ev("x"))
				expectStatus(t, res.Events[0], StatusOK, "")
			}
		}
		if n := len(e.mods); n > 1 {
			t.Fatalf("%d modules cached, max 1", n)
		}
		if err := e.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEngineErrorsAreNotConsensusOutcomes(t *testing.T) {
	e := newTestEngine(t, EngineInterpreter, nil)
	code := fixture(t, "counter")
	ref := CodeBytes(code)
	ref.Load = func() ([]byte, error) { return nil, errors.New("disk on fire") }
	if _, err := e.RunBlock(context.Background(), ref, InstanceInput{GasPerEvent: 1}, testBlock, []Event{ev("x")}, newMemStore()); err == nil {
		t.Fatal("load failure must be an engine error")
	}
	ref.Load = func() ([]byte, error) { return append(code, 0), nil }
	if _, err := e.RunBlock(context.Background(), ref, InstanceInput{GasPerEvent: 1}, testBlock, []Event{ev("x")}, newMemStore()); err == nil {
		t.Fatal("hash mismatch must be an engine error")
	}
	if _, err := e.RunBlock(context.Background(), CodeBytes(code), InstanceInput{GasPerEvent: 1 << 50}, testBlock, []Event{ev("x")}, newMemStore()); err == nil {
		t.Fatal("GasPerEvent above the maximum must be rejected")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.RunBlock(ctx, CodeBytes(code), InstanceInput{GasPerEvent: 1_000_000}, testBlock, []Event{ev("x")}, newMemStore()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
	// After a failed load, a good load works (failures are not cached).
	res := runBlock(t, e, code, 1_000_000, nil, ev("x"))
	expectStatus(t, res.Events[0], StatusOK, "")
}

func TestParamsValidate(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	p.MaxCallDepth = 5000
	if p.Validate() == nil {
		t.Fatal("a depth budget above the interpreter's frame ceiling must be refused")
	}
	p = DefaultParams()
	p.Gas.LoopIteration = 0
	if p.Validate() == nil {
		t.Fatal("free loops must be refused")
	}
}
