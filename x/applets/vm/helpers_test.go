package vm

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var engineKinds = []EngineKind{EngineCompiler, EngineInterpreter}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".wasm"))
	if err != nil {
		t.Fatalf("fixture %s: %v (regenerate with testdata/build.sh)", name, err)
	}
	return b
}

func newTestEngine(t testing.TB, kind EngineKind, mutate func(*Params)) *Engine {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Kind = kind
	if mutate != nil {
		mutate(&cfg.Params)
	}
	e, err := NewEngine(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

// memStore is a StateStore for tests; it records the order of operations.
type memStore struct {
	m   map[string][]byte
	ops []string
}

func newMemStore() *memStore { return &memStore{m: map[string][]byte{}} }

func (s *memStore) Get(key []byte) ([]byte, bool) {
	v, ok := s.m[string(key)]
	return v, ok
}

func (s *memStore) Set(key, value []byte) {
	s.m[string(key)] = append([]byte(nil), value...)
	s.ops = append(s.ops, "set "+string(key))
}

func (s *memStore) Delete(key []byte) {
	delete(s.m, string(key))
	s.ops = append(s.ops, "del "+string(key))
}

func (s *memStore) dump() string {
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.Write(s.m[k])
		b.WriteByte('\n')
	}
	return b.String()
}

var testBlock = BlockInfo{Height: 42, TimeMs: 1_700_000_000_123, Seed: [32]byte{1, 2, 3}}

func ev(payload string) Event {
	return Event{Device: "dev-1", Stream: 7, Seq: 1, TimeMs: 1_700_000_000_000, Payload: []byte(payload)}
}

func runBlock(t testing.TB, e *Engine, code []byte, gas uint64, store StateStore, events ...Event) BlockResult {
	t.Helper()
	if store == nil {
		store = newMemStore()
	}
	res, err := e.RunBlock(context.Background(), CodeBytes(code),
		InstanceInput{ID: []byte("inst-1"), Config: []byte("cfg-v1"), GasPerEvent: gas}, testBlock, events, store)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != len(events) {
		t.Fatalf("got %d results for %d events", len(res.Events), len(events))
	}
	return res
}

func expectStatus(t testing.TB, r EventResult, want Status, msgPart string) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %v (%q), want %v", r.Status, r.Error, want)
	}
	if msgPart != "" && !bytes.Contains([]byte(r.Error), []byte(msgPart)) {
		t.Fatalf("error %q does not contain %q", r.Error, msgPart)
	}
}

// bodyModule wraps one function body (locals vector + instructions) into a
// minimal applet: it is exported as "handle" (i32,i32)->i32 next to a
// trivial alloc and a one-page memory. copies repeats the function.
func bodyModule(body []byte, copies int) []byte { return bodyModuleMem(body, copies, 1) }

func bodyModuleMem(body []byte, copies int, pages byte) []byte {
	g := &modGen{}
	out := append([]byte(nil), wasmMagic...)
	out = g.section(out, secType, [][]byte{{0x60, 1, valI32, 1, valI32}, {0x60, 2, valI32, valI32, 1, valI32}})
	funcs := [][]byte{{0}}
	code := [][]byte{append(appendU32(nil, 4), 0, 0x41, 0, 0x0b)}
	for i := 0; i < copies; i++ {
		funcs = append(funcs, []byte{1})
		code = append(code, append(appendU32(nil, uint32(len(body))), body...))
	}
	out = g.section(out, secFunction, funcs)
	out = g.section(out, secMemory, [][]byte{{0, pages}})
	exp := func(name string, kind byte, idx uint32) []byte {
		e := appendU32(nil, uint32(len(name)))
		e = append(e, name...)
		return appendU32(append(e, kind), idx)
	}
	out = g.section(out, secExport, [][]byte{exp("alloc", extFunc, 0), exp("handle", extFunc, 1), exp("memory", extMemory, 0)})
	return g.section(out, secCode, code)
}

// nestedBlocks is a body of n nested empty blocks returning 0.
func nestedBlocks(n int) []byte {
	b := []byte{0}
	for i := 0; i < n; i++ {
		b = append(b, 0x02, 0x40)
	}
	for i := 0; i < n; i++ {
		b = append(b, 0x0b)
	}
	return append(b, 0x41, 0, 0x0b)
}
