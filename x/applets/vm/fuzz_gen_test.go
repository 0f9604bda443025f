package vm

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// modGen turns fuzz bytes into a valid wasm module with random control flow
// (blocks, loops, ifs, br/br_if/br_table, return, calls, call_indirect,
// recursion, multi-value), integer and float arithmetic, memory ops and
// bulk memory. NaN bits are never made observable (no float stores, no
// reinterpret, no copysign), so plain and instrumented code must agree.
type modGen struct {
	data  []byte
	pos   int
	funcs []funcType
	// per function
	locals []byte // params then locals
	labels [][]byte
	fn     int
	budget int
	nfuncs int
}

var genTypes = []byte{valI32, valI64, valF32, valF64}

func (g *modGen) next() int {
	if g.pos >= len(g.data) {
		return 0
	}
	g.pos++
	return int(g.data[g.pos-1])
}

func (g *modGen) pick(n int) int { return g.next() % n }

func (g *modGen) typ() byte { return genTypes[g.pick(4)] }

func (g *modGen) types(max int) []byte {
	ts := make([]byte, g.pick(max+1))
	for i := range ts {
		ts[i] = g.typ()
	}
	return ts
}

func (g *modGen) blockType(b []byte, results []byte) []byte {
	switch len(results) {
	case 0:
		return append(b, 0x40)
	case 1:
		return append(b, results[0])
	}
	// Multi-value block types refer to the type section: [] -> results.
	for i, t := range g.funcs {
		if len(t.params) == 0 && string(t.results) == string(results) {
			return appendS64(b, int64(i))
		}
	}
	g.funcs = append(g.funcs, funcType{results: results}) // appended as an extra (unused as function) type
	return appendS64(b, int64(len(g.funcs)-1))
}

func (g *modGen) konst(b []byte, t byte) []byte {
	v := int64(g.next()) - 128
	switch t {
	case valI32:
		return appendS64(append(b, 0x41), v)
	case valI64:
		return appendS64(append(b, 0x42), v*1_000_003)
	case valF32:
		return append(b, 0x43, 0, 0, byte(g.next()), byte(g.next()&0xff))
	default:
		return append(b, 0x44, 0, 0, 0, 0, 0, 0, byte(g.next()), byte(g.next()))
	}
}

var (
	binops = map[byte][]byte{
		valI32: {0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78},
		valI64: {0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a},
		valF32: {0x92, 0x93, 0x94, 0x95, 0x96, 0x97},
		valF64: {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5},
	}
	unops = map[byte][]byte{
		valI32: {0x67, 0x68, 0x69, 0xc0, 0xc1},
		valI64: {0x79, 0x7a, 0x7b, 0xc2, 0xc3, 0xc4},
		valF32: {0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91},
		valF64: {0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f},
	}
	cmpops = map[byte][]byte{ // (t, t) -> i32
		valI32: {0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f},
		valI64: {0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a},
		valF32: {0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60},
		valF64: {0x61, 0x62, 0x63, 0x64, 0x65, 0x66},
	}
	// conversions to t: {opcode, operand type}; NaN bits stay unobservable
	// (trunc_sat gives 0, trapping trunc traps the same way for every NaN).
	convs = map[byte][][2]byte{
		valI32: {{0xa7, valI64}, {0xfc, 0x00}, {0xfc, 0x02}, {0xa8, valF32}, {0xab, valF64}},
		valI64: {{0xac, valI32}, {0xad, valI32}, {0xfc, 0x04}, {0xfc, 0x06}, {0xae, valF32}, {0xb1, valF64}},
		valF32: {{0xb2, valI32}, {0xb4, valI64}, {0xb6, valF64}},
		valF64: {{0xb7, valI32}, {0xb9, valI64}, {0xbb, valF32}},
	}
	satSrc = map[byte]byte{0x00: valF32, 0x02: valF64, 0x04: valF32, 0x06: valF64}
	loads  = map[byte]byte{valI32: 0x28, valI64: 0x29, valF32: 0x2a, valF64: 0x2b}
)

func (g *modGen) localOf(t byte) (uint32, bool) {
	start := g.pick(len(g.locals) + 1)
	for i := 0; i < len(g.locals); i++ {
		j := (start + i) % len(g.locals)
		if g.locals[j] == t {
			return uint32(j), true
		}
	}
	return 0, false
}

// addr pushes an i32 address that is usually, not always, in bounds.
func (g *modGen) addr(b []byte) []byte {
	b = g.expr(b, valI32, 2)
	if g.pick(8) != 0 {
		b = append(b, 0x41)
		b = appendS64(b, 0x3ff8)
		b = append(b, 0x71) // i32.and
	}
	return b
}

// expr emits code leaving one value of type t.
func (g *modGen) expr(b []byte, t byte, depth int) []byte {
	g.budget--
	if depth <= 0 || g.budget <= 0 || g.pos >= len(g.data) {
		return g.konst(b, t)
	}
	switch g.pick(14) {
	case 0, 1:
		if idx, ok := g.localOf(t); ok {
			return appendU32(append(b, 0x20), idx)
		}
		return g.konst(b, t)
	case 2, 3:
		b = g.expr(b, t, depth-1)
		b = g.expr(b, t, depth-1)
		ops := binops[t]
		return append(b, ops[g.pick(len(ops))])
	case 4:
		b = g.expr(b, t, depth-1)
		ops := unops[t]
		return append(b, ops[g.pick(len(ops))])
	case 5:
		if t != valI32 {
			return g.konst(b, t)
		}
		src := g.typ()
		b = g.expr(b, src, depth-1)
		b = g.expr(b, src, depth-1)
		ops := cmpops[src]
		return append(b, ops[g.pick(len(ops))])
	case 6:
		c := convs[t][g.pick(len(convs[t]))]
		if c[0] == 0xfc {
			b = g.expr(b, satSrc[c[1]], depth-1)
			return append(b, 0xfc, c[1])
		}
		b = g.expr(b, c[1], depth-1)
		return append(b, c[0])
	case 7: // block with a result, maybe exited by a branch
		b = g.blockType(append(b, 0x02), []byte{t})
		g.labels = append(g.labels, []byte{t})
		b = g.seq(b, []byte{t}, depth-1)
		g.labels = g.labels[:len(g.labels)-1]
		return append(b, 0x0b)
	case 8: // if/else with a result
		b = g.expr(b, valI32, depth-1)
		b = g.blockType(append(b, 0x04), []byte{t})
		g.labels = append(g.labels, []byte{t})
		b = g.seq(b, []byte{t}, depth-1)
		b = append(b, 0x05)
		b = g.seq(b, []byte{t}, depth-1)
		g.labels = g.labels[:len(g.labels)-1]
		return append(b, 0x0b)
	case 9: // call a function returning exactly [t] (recursion included)
		for i, f := range g.funcs[:g.numFuncs()] {
			if len(f.results) == 1 && f.results[0] == t && g.pick(2) == 0 {
				for _, p := range f.params {
					b = g.expr(b, p, depth-1)
				}
				if g.pick(3) == 0 { // through the table
					b = append(b, 0x41)
					b = appendS64(b, int64(i))
					b = append(b, 0x11)
					b = appendU32(b, uint32(i))
					return append(b, 0x00)
				}
				return appendU32(append(b, 0x10), uint32(i))
			}
		}
		return g.konst(b, t)
	case 10:
		b = g.expr(b, t, depth-1)
		b = g.expr(b, t, depth-1)
		b = g.expr(b, valI32, depth-1)
		return append(b, 0x1b) // select
	case 11:
		b = g.addr(b)
		return append(append(b, loads[t]), 0, byte(g.pick(64))) // align 0, small offset
	case 12:
		if t != valI32 {
			return g.konst(b, t)
		}
		if g.pick(2) == 0 {
			return append(b, 0x3f, 0) // memory.size
		}
		b = g.expr(b, valI32, depth-1)
		b = append(b, 0x41, 0x03, 0x71) // i32.and 3: small grows
		return append(b, 0x40, 0)
	default:
		if idx, ok := g.localOf(t); ok { // local.tee
			b = g.expr(b, t, depth-1)
			return appendU32(append(b, 0x22), idx)
		}
		return g.konst(b, t)
	}
}

func (g *modGen) numFuncs() int { return g.nfuncs }

// stmt emits code with no net stack effect.
func (g *modGen) stmt(b []byte, depth int) []byte {
	g.budget--
	if depth <= 0 || g.budget <= 0 {
		return append(b, 0x01) // nop
	}
	switch g.pick(10) {
	case 0, 1:
		t := g.typ()
		if idx, ok := g.localOf(t); ok {
			b = g.expr(b, t, depth-1)
			return appendU32(append(b, 0x21), idx)
		}
		return b
	case 2: // integer store
		b = g.addr(b)
		if g.pick(2) == 0 {
			b = g.expr(b, valI32, depth-1)
			return append(b, 0x36, 0, byte(g.pick(64)))
		}
		b = g.expr(b, valI64, depth-1)
		return append(b, 0x37, 0, byte(g.pick(64)))
	case 3:
		b = g.expr(b, g.typ(), depth-1)
		return append(b, 0x1a) // drop
	case 4: // bounded loop: counter local 0..n
		if idx, ok := g.localOf(valI32); ok {
			b = append(b, 0x41, 0)
			b = appendU32(append(b, 0x21), idx)
			b = append(b, 0x03, 0x40)
			g.labels = append(g.labels, nil)
			b = g.seq(b, nil, depth-1)
			// idx = idx + 1; br_if 0 (idx < n)
			b = appendU32(append(b, 0x20), idx)
			b = append(b, 0x41, 0x01, 0x6a)
			b = appendU32(append(b, 0x22), idx)
			b = append(b, 0x41, byte(g.pick(16)), 0x49, 0x0d, 0x00)
			g.labels = g.labels[:len(g.labels)-1]
			return append(b, 0x0b)
		}
		return b
	case 5: // void block
		b = append(b, 0x02, 0x40)
		g.labels = append(g.labels, nil)
		b = g.seq(b, nil, depth-1)
		g.labels = g.labels[:len(g.labels)-1]
		return append(b, 0x0b)
	case 6: // void if
		b = g.expr(b, valI32, depth-1)
		b = append(b, 0x04, 0x40)
		g.labels = append(g.labels, nil)
		b = g.seq(b, nil, depth-1)
		if g.pick(2) == 0 {
			b = append(b, 0x05)
			b = g.seq(b, nil, depth-1)
		}
		g.labels = g.labels[:len(g.labels)-1]
		return append(b, 0x0b)
	case 7: // br_if to some label, values dropped on fall-through
		l := g.pick(len(g.labels))
		target := g.labels[len(g.labels)-1-l]
		for _, t := range target {
			b = g.expr(b, t, depth-1)
		}
		b = g.expr(b, valI32, depth-1)
		b = appendU32(append(b, 0x0d), uint32(l))
		for range target {
			b = append(b, 0x1a)
		}
		return b
	case 8: // bulk memory with small lengths
		b = g.addr(b)
		b = g.expr(b, valI32, 1)
		b = append(b, 0x41, byte(g.pick(64)))
		if g.pick(2) == 0 {
			return append(b, 0xfc, 0x0b, 0x00) // memory.fill
		}
		return append(b, 0xfc, 0x0a, 0x00, 0x00) // memory.copy (src = value as address)
	default:
		return append(b, 0x01)
	}
}

// seq emits statements then leaves results, or ends with a branch.
func (g *modGen) seq(b []byte, results []byte, depth int) []byte {
	for n := g.pick(4); n > 0; n-- {
		b = g.stmt(b, depth)
	}
	if g.pick(6) == 0 && len(g.labels) > 0 { // terminal branch
		switch g.pick(4) {
		case 0: // return
			for _, t := range g.funcs[g.fn].results {
				b = g.expr(b, t, depth-1)
			}
			return append(b, 0x0f)
		case 1: // br_table over labels with the same types as a chosen one
			l := g.pick(len(g.labels))
			target := g.labels[len(g.labels)-1-l]
			var same []uint32
			for i := range g.labels {
				if string(g.labels[len(g.labels)-1-i]) == string(target) {
					same = append(same, uint32(i))
				}
			}
			for _, t := range target {
				b = g.expr(b, t, depth-1)
			}
			b = g.expr(b, valI32, depth-1)
			b = appendU32(append(b, 0x0e), uint32(len(same)))
			for _, s := range same {
				b = appendU32(b, s)
			}
			return appendU32(b, uint32(l))
		case 2:
			if g.pick(4) == 0 {
				return append(b, 0x00) // unreachable
			}
		}
		l := g.pick(len(g.labels))
		for _, t := range g.labels[len(g.labels)-1-l] {
			b = g.expr(b, t, depth-1)
		}
		return appendU32(append(b, 0x0c), uint32(l))
	}
	for _, t := range results {
		b = g.expr(b, t, depth)
	}
	return b
}

func (g *modGen) section(out []byte, id byte, entries [][]byte) []byte {
	content := appendU32(nil, uint32(len(entries)))
	for _, e := range entries {
		content = append(content, e...)
	}
	return appendSection(out, id, content)
}

// module builds the whole binary. Function 0 is exported as "run" () -> i64
// through a wrapper that folds f0's results.
func (g *modGen) module() []byte {
	g.nfuncs = 1 + g.pick(4)
	for i := 0; i < g.nfuncs; i++ {
		g.funcs = append(g.funcs, funcType{params: g.types(3), results: g.types(2)})
	}
	bodies := make([][]byte, g.nfuncs)
	for i := 0; i < g.nfuncs; i++ {
		g.fn = i
		extra := g.types(4)
		g.locals = append(append([]byte{}, g.funcs[i].params...), extra...)
		g.labels = [][]byte{g.funcs[i].results}
		g.budget = 200
		var decl []byte
		decl = appendU32(decl, uint32(len(extra)))
		for _, t := range extra {
			decl = append(decl, 1, t)
		}
		body := g.seq(nil, g.funcs[i].results, 5)
		body = append(body, 0x0b)
		bodies[i] = append(decl, body...)
	}
	// run: call f0 with constants, stash its results in locals, fold into an i64.
	f0 := g.funcs[0]
	run := appendU32(nil, uint32(len(f0.results)))
	for _, t := range f0.results {
		run = append(run, 1, t)
	}
	for _, p := range f0.params {
		run = g.konst(run, p)
	}
	run = append(run, 0x10, 0)
	for i := len(f0.results) - 1; i >= 0; i-- {
		run = appendU32(append(run, 0x21), uint32(i))
	}
	run = append(run, 0x42, 0)
	for i, t := range f0.results {
		run = appendU32(append(run, 0x20), uint32(i))
		switch t {
		case valI32:
			run = append(run, 0xad)
		case valF32:
			run = append(run, 0xfc, 0x05)
		case valF64:
			run = append(run, 0xfc, 0x07)
		}
		run = append(run, 0x42, byte(i+1), 0x89, 0x85) // rotl by position, xor
	}
	run = append(run, 0x0b)

	// Types: function types, then the extra block types, then helpers.
	runType := len(g.funcs)
	g.funcs = append(g.funcs, funcType{results: []byte{valI64}})
	allocType := len(g.funcs)
	g.funcs = append(g.funcs, funcType{params: []byte{valI32}, results: []byte{valI32}})
	handleType := len(g.funcs)
	g.funcs = append(g.funcs, funcType{params: []byte{valI32, valI32}, results: []byte{valI32}})

	out := append([]byte(nil), wasmMagic...)
	var types [][]byte
	for _, t := range g.funcs {
		e := []byte{0x60}
		e = appendU32(e, uint32(len(t.params)))
		e = append(e, t.params...)
		e = appendU32(e, uint32(len(t.results)))
		types = append(types, append(e, t.results...))
	}
	out = g.section(out, secType, types)
	var fsec [][]byte
	for i := 0; i < g.nfuncs; i++ {
		fsec = append(fsec, appendU32(nil, uint32(i)))
	}
	fsec = append(fsec, appendU32(nil, uint32(runType)), appendU32(nil, uint32(allocType)), appendU32(nil, uint32(handleType)))
	out = g.section(out, secFunction, fsec)
	out = g.section(out, secTable, [][]byte{{refFunc, 0x00, byte(g.nfuncs)}})
	out = g.section(out, secMemory, [][]byte{{0x01, 0x01, 0x04}})
	n := uint32(g.nfuncs)
	exp := func(name string, kind byte, idx uint32) []byte {
		e := appendU32(nil, uint32(len(name)))
		e = append(e, name...)
		return appendU32(append(e, kind), idx)
	}
	out = g.section(out, secExport, [][]byte{exp("run", extFunc, n), exp("alloc", extFunc, n+1), exp("handle", extFunc, n+2), exp("memory", extMemory, 0)})
	elem := []byte{0x00, 0x41, 0x00, 0x0b}
	elem = appendU32(elem, n)
	for i := uint32(0); i < n; i++ {
		elem = appendU32(elem, i)
	}
	out = g.section(out, secElement, [][]byte{elem})
	var code [][]byte
	for _, body := range append(bodies, run, []byte{0, 0x41, 0, 0x0b}, []byte{0, 0x41, 0, 0x0b}) {
		code = append(code, append(appendU32(nil, uint32(len(body))), body...))
	}
	return g.section(out, secCode, code)
}

type genOutcome struct {
	result uint64
	err    string
	gas    int64
}

func runGenerated(t *testing.T, rt wazero.Runtime, code []byte, metered bool) genOutcome {
	ctx := context.Background()
	mod, err := rt.InstantiateWithConfig(ctx, code, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		t.Fatalf("instantiate: %v", err)
	}
	defer mod.Close(ctx)
	var gas api.MutableGlobal
	if metered {
		gas = mod.ExportedGlobal(ExportGas).(api.MutableGlobal)
		gas.Set(2_000_000)
	}
	res, err := mod.ExportedFunction("run").Call(ctx)
	var o genOutcome
	if err != nil {
		o.err = firstLine(err)
	} else {
		o.result = res[0]
	}
	if metered {
		o.gas = int64(gas.Get())
		if o.gas < 0 {
			o.err = "out of gas"
		} else if d := mod.ExportedGlobal(ExportDepth).Get(); err != nil && uint32(d) > DefaultParams().MaxCallDepth {
			o.err = "depth"
		}
	}
	return o
}

var genRuntimes struct {
	interp, comp wazero.Runtime
}

// FuzzInstrumentGenerated checks, on random valid modules: Instrument
// accepts them; the output compiles; plain and instrumented code compute the
// same result; compiler and interpreter agree on result, trap and gas.
//
//	go test ./x/applets/vm -run '^$' -fuzz FuzzInstrumentGenerated -fuzztime 60s
func FuzzInstrumentGenerated(f *testing.F) {
	for i := 0; i < 16; i++ {
		seed := make([]byte, 64+i*37)
		for j := range seed {
			seed[j] = byte(j*131 + i*17 + j*j)
		}
		f.Add(seed)
	}
	ctx := context.Background()
	if genRuntimes.interp == nil {
		genRuntimes.interp = wazero.NewRuntimeWithConfig(ctx, wazeroConfig(EngineInterpreter))
		genRuntimes.comp = wazero.NewRuntimeWithConfig(ctx, wazeroConfig(EngineCompiler))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &modGen{data: data}
		plain := g.module()
		if err := wazeroValidate(plain); err != nil {
			t.Fatalf("generator produced an invalid module: %v", err)
		}
		metered, err := Instrument(plain, DefaultParams())
		if err != nil {
			t.Fatalf("Instrument rejected a valid module: %v", err)
		}
		mi := runGenerated(t, genRuntimes.interp, metered, true)
		mc := runGenerated(t, genRuntimes.comp, metered, true)
		if mi != mc {
			t.Fatalf("engines disagree on instrumented code: interpreter %+v, compiler %+v", mi, mc)
		}
		if mi.err == "out of gas" || mi.err == "depth" {
			return // the plain module may not terminate / may overflow differently
		}
		pi := runGenerated(t, genRuntimes.interp, plain, false)
		pi.gas = mi.gas
		if pi != mi {
			t.Fatalf("instrumentation changed the result: plain %+v, metered %+v", pi, mi)
		}
	})
}
