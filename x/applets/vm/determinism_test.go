package vm

import (
	"context"
	"encoding/binary"
	"fmt"
	"reflect"
	"testing"
)

// determinismJobs builds a mixed workload: good events, failing events,
// hostile applets and rejected code, several instances of the same code.
func determinismJobs(t testing.TB) ([]Job, []*memStore) {
	mk := func(payloads ...string) []Event {
		evs := make([]Event, len(payloads))
		for i, p := range payloads {
			evs[i] = Event{Device: fmt.Sprintf("dev-%d", i%3), Stream: uint64(i % 2), Seq: uint64(100 + i), TimeMs: 1_700_000_000_000 + int64(i), Payload: []byte(p)}
		}
		return evs
	}
	rec := func(mode byte, n uint32) string {
		p := []byte{mode, 0, 0, 0, 0}
		binary.LittleEndian.PutUint32(p[1:], n)
		return string(p)
	}
	specs := []struct {
		code   string
		gas    uint64
		events []Event
	}{
		{"counter", 1_000_000, mk("a", "b", "F", "c", "T", "d", "")},
		{"counter", 200_000, mk("x", "y", "z")},
		{"infinite_loop", 500_000, mk("x", "L", "x", "L")},
		{"memory_bomb", 5_000_000, mk("G", "S", "x", "H", "x")},
		{"recursion", 20_000_000, mk(rec('R', 300), rec('I', 0), rec('R', 20), rec('F', 0))},
		{"nan", 1_000_000, mk("", "")},
		{"oob_pointer", 1_000_000, mk("K", "ok", "V", "E", "L", "ok")},
		{"start_func", 1_000_000, mk("1", "2", "3")},
		{"import_env", 1_000_000, mk("x")},
		{"counter", 60_000, mk("tiny gas", "tiny gas")},
	}
	var jobs []Job
	var stores []*memStore
	for i, s := range specs {
		st := newMemStore()
		stores = append(stores, st)
		jobs = append(jobs, Job{
			Code:     CodeBytes(fixture(t, s.code)),
			Instance: InstanceInput{ID: []byte(fmt.Sprintf("instance-%d", i)), Config: []byte(fmt.Sprintf("config-%d", i)), GasPerEvent: s.gas},
			Block:    testBlock,
			Events:   s.events,
			State:    st,
		})
	}
	return jobs, stores
}

type runOutcome struct {
	results []BlockResult
	stores  []string
	ops     [][]string
}

func TestDeterminismAcrossEnginesAndScheduling(t *testing.T) {
	var outcomes []runOutcome
	var names []string
	for _, kind := range engineKinds {
		e := newTestEngine(t, kind, nil)
		for _, parallel := range []bool{false, true} {
			jobs, stores := determinismJobs(t)
			var results []BlockResult
			if parallel {
				results = e.RunInstances(context.Background(), jobs, 4)
			} else {
				for _, j := range jobs {
					r, err := e.RunBlock(context.Background(), j.Code, j.Instance, j.Block, j.Events, j.State)
					if err != nil {
						t.Fatal(err)
					}
					results = append(results, r)
				}
			}
			o := runOutcome{results: results}
			for _, s := range stores {
				o.stores = append(o.stores, s.dump())
				o.ops = append(o.ops, s.ops)
			}
			outcomes = append(outcomes, o)
			names = append(names, fmt.Sprintf("%v/parallel=%v", kind, parallel))
		}
	}
	for i := 1; i < len(outcomes); i++ {
		for j := range outcomes[0].results {
			if !reflect.DeepEqual(outcomes[0].results[j], outcomes[i].results[j]) {
				t.Errorf("job %d: %s and %s disagree:\n%+v\n%+v", j, names[0], names[i], outcomes[0].results[j], outcomes[i].results[j])
			}
		}
		if !reflect.DeepEqual(outcomes[0].stores, outcomes[i].stores) || !reflect.DeepEqual(outcomes[0].ops, outcomes[i].ops) {
			t.Errorf("state differs between %s and %s", names[0], names[i])
		}
	}

	// Spot-check the outcome itself.
	r := outcomes[0].results
	want := []Status{StatusOK, StatusOK, StatusError, StatusOK, StatusTrap, StatusOK, StatusOK}
	for i, w := range want {
		if r[0].Events[i].Status != w {
			t.Errorf("counter event %d: %v (%s), want %v", i, r[0].Events[i].Status, r[0].Events[i].Error, w)
		}
	}
	if got := binary.LittleEndian.Uint64([]byte(outcomes[0].storeValue(0, "count"))); got != 5 {
		t.Errorf("count = %d, want 5 (failed events must not commit)", got)
	}
	if ev := r[0].Events[0]; len(ev.Outputs) != 1 || len(ev.Logs) != 1 || string(ev.Logs[0].Message) != "handled event" {
		t.Errorf("outputs/logs of an ok event: %+v", ev)
	}
	if ev := r[0].Events[4]; ev.Outputs != nil || ev.Writes != nil {
		t.Errorf("a trapped event kept outputs or writes: %+v", ev)
	}
	for _, ev := range r[8].Events {
		if ev.Status != StatusError || ev.GasUsed != 0 {
			t.Errorf("rejected code: %+v", ev)
		}
	}
	for _, ev := range r[9].Events {
		if ev.Status != StatusOutOfGas || ev.GasUsed != 60_000 {
			t.Errorf("gas below instantiation cost: %+v", ev)
		}
	}
	var sum uint64
	for _, ev := range r[0].Events {
		sum += ev.GasUsed
	}
	if sum != r[0].GasUsed {
		t.Errorf("block gas %d != sum of events %d", r[0].GasUsed, sum)
	}
}

func (o runOutcome) storeValue(job int, key string) string {
	// dump lines are "key=value\n"; values here are binary, so re-parse simply.
	prefix := key + "="
	s := o.stores[job]
	for len(s) > 0 {
		if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
			return s[len(prefix) : len(prefix)+8]
		}
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		if i == len(s) {
			break
		}
		s = s[i+1:]
	}
	return "\x00\x00\x00\x00\x00\x00\x00\x00"
}

func TestCompileCacheSharedAcrossConcurrentJobs(t *testing.T) {
	e := newTestEngine(t, EngineCompiler, nil)
	loads := 0
	code := fixture(t, "counter")
	ref := CodeBytes(code)
	ref.Load = func() ([]byte, error) { loads++; return code, nil }
	jobs := make([]Job, 16)
	for i := range jobs {
		jobs[i] = Job{Code: ref, Instance: InstanceInput{ID: []byte{byte(i)}, GasPerEvent: 1_000_000}, Block: testBlock, Events: []Event{ev("a")}, State: newMemStore()}
	}
	for i, r := range e.RunInstances(context.Background(), jobs, 8) {
		if r.Err != nil || r.Events[0].Status != StatusOK {
			t.Fatalf("job %d: %+v", i, r)
		}
	}
	if loads != 1 {
		t.Fatalf("code loaded %d times, want 1", loads)
	}
}
