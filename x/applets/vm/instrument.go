package vm

import (
	"context"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// wazeroFeatures is what the runtimes (and upload validation) enable: the
// wasm 2.0 core minus SIMD. Reference types cannot be switched off
// separately from bulk memory in wazero, so the instrumenter rejects their
// instructions and value types itself.
const wazeroFeatures = api.CoreFeaturesV2 &^ api.CoreFeatureSIMD

// Validate is the upload check: it runs Instrument (size limit, structure,
// import allow-list, exports, feature set) and additionally requires the
// original code to be valid wasm according to wazero. It is a pure function
// of (code, p).
func Validate(code []byte, p Params) error {
	_, err := Instrument(code, p)
	return err
}

// Instrument validates raw (uncompressed) wasm and returns the metered
// module: deterministic bytes for a given (code, p, InstrumenterVersion).
// The output compiles in wazero whenever Instrument succeeds, because the
// input is first checked by wazero's validator.
func Instrument(code []byte, p Params) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	out, _, err := instrument(code, p)
	if err != nil {
		return nil, err
	}
	if err := wazeroValidate(code); err != nil {
		return nil, err
	}
	return out, nil
}

var validator struct {
	once sync.Once
	rt   wazero.Runtime
}

// wazeroValidate compiles code with a shared interpreter runtime (the
// cheapest full validation wazero offers) and throws the result away.
func wazeroValidate(code []byte) error {
	validator.once.Do(func() {
		validator.rt = wazero.NewRuntimeWithConfig(context.Background(),
			wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(wazeroFeatures))
	})
	cm, err := validator.rt.CompileModule(context.Background(), code)
	if err != nil {
		return malformed("%v", err)
	}
	return cm.Close(context.Background())
}

// moduleInfo is what the runtime needs to know about an instrumented module.
type moduleInfo struct {
	hasInitialize bool
	hasStart      bool
	initialPages  uint32
}

// instrumenter holds the module-wide state of one Instrument call.
type instrumenter struct {
	m           *module
	p           *Params
	weights     [numGasClasses]uint64
	origTypes   uint32
	extraTypes  []funcType // appended to the type section
	gasGlobal   uint32
	depthGlobal uint32
}

// instrument performs every structural check and the rewrite, without the
// wazero validation of the input (the engine uses it on code that passed
// Validate at upload; wazero then validates the output when compiling).
func instrument(code []byte, p Params) ([]byte, moduleInfo, error) {
	var info moduleInfo
	if uint64(len(code)) > uint64(p.MaxCodeBytes) {
		return nil, info, fmt.Errorf("%w: %d bytes (max %d)", ErrCodeTooLarge, len(code), p.MaxCodeBytes)
	}
	m, err := parseModule(code, p)
	if err != nil {
		return nil, info, err
	}
	if err := m.checkImports(); err != nil {
		return nil, info, err
	}
	if !m.hasMemory {
		return nil, info, fmt.Errorf("%w: the module must define (not import) a memory exported as %q", ErrBadExport, ExportMemory)
	}
	if m.memMin == 0 {
		// The branch-free gas check loads from address 0 (see checkTail).
		return nil, info, limit("memory must have at least 1 initial page")
	}
	ex, err := m.checkExports()
	if err != nil {
		return nil, info, err
	}
	if m.start != nil {
		if *m.start >= m.numFuncs() {
			return nil, info, malformed("start function %d out of range", *m.start)
		}
		if *m.start < m.numImpFuncs {
			return nil, info, unsupported("start function is an import")
		}
	}
	info = moduleInfo{hasInitialize: ex.hasInitialize, hasStart: m.start != nil, initialPages: m.memMin}

	ins := &instrumenter{
		m: m, p: &p, weights: gasWeights(p.Gas),
		origTypes:   uint32(len(m.types)),
		gasGlobal:   m.numGlobals,
		depthGlobal: m.numGlobals + 1,
	}
	codeSec, err := ins.codeSection()
	if err != nil {
		return nil, info, err
	}
	return ins.assemble(codeSec), info, nil
}

func (ins *instrumenter) codeSection() ([]byte, error) {
	m := ins.m
	out := appendU32(nil, uint32(len(m.codes)))
	var total uint64
	for i := range m.codes {
		c := &m.codes[i]
		t := m.types[m.funcs[i]]
		if uint64(len(t.params))+uint64(c.numLocals) > uint64(ins.p.MaxLocals) {
			return nil, limit("function %d has more than %d params+locals", i, ins.p.MaxLocals)
		}
		w := bodyWalker{ins: ins, code: c, body: c.body, numParams: uint32(len(t.params)), numLocals: c.numLocals, results: t.results}
		if err := w.walk(); err != nil {
			return nil, fmt.Errorf("function %d: %w", int(m.numImpFuncs)+i, err)
		}
		if err := w.checkComplexity(); err != nil {
			return nil, fmt.Errorf("function %d: %w", int(m.numImpFuncs)+i, err)
		}
		u := w.complexity()
		if total += u * u; total > ins.p.MaxCodeComplexity {
			return nil, limit("module control-flow complexity exceeds %d (sum over functions of complexity squared)", ins.p.MaxCodeComplexity)
		}
		out = w.emit(out)
	}
	return out, nil
}

// appendBlockType encodes a block type producing results (no params).
func (ins *instrumenter) appendBlockType(b []byte, results []byte) []byte {
	switch len(results) {
	case 0:
		return append(b, 0x40)
	case 1:
		return append(b, results[0])
	}
	for i, t := range ins.m.types {
		if t.equal(nil, results) {
			return appendS64(b, int64(i))
		}
	}
	for i, t := range ins.extraTypes {
		if t.equal(nil, results) {
			return appendS64(b, int64(len(ins.m.types)+i))
		}
	}
	ins.extraTypes = append(ins.extraTypes, funcType{results: results})
	return appendS64(b, int64(len(ins.m.types)+len(ins.extraTypes)-1))
}

func appendSection(out []byte, id byte, content []byte) []byte {
	out = append(out, id)
	out = appendU32(out, uint32(len(content)))
	return append(out, content...)
}

// appendToVector re-encodes a vector section with extra entries appended.
func appendToVector(raw []byte, extra int, entries []byte) []byte {
	var n uint32
	var rest []byte
	if raw != nil {
		r := &reader{b: raw}
		n, _ = r.u32() // already parsed successfully
		rest = raw[r.off:]
	}
	out := appendU32(nil, n+uint32(extra))
	out = append(out, rest...)
	return append(out, entries...)
}

// assemble writes the output module: sections in canonical order, custom
// sections dropped, start section removed (exported as w3b_start instead).
func (ins *instrumenter) assemble(codeSec []byte) []byte {
	m := ins.m
	out := append([]byte(nil), wasmMagic...)

	if len(ins.extraTypes) > 0 || m.raw[secType] != nil {
		var entries []byte
		for _, t := range ins.extraTypes {
			entries = append(entries, 0x60, 0)
			entries = appendU32(entries, uint32(len(t.results)))
			entries = append(entries, t.results...)
		}
		out = appendSection(out, secType, appendToVector(m.raw[secType], len(ins.extraTypes), entries))
	}
	for _, id := range []byte{secImport, secFunction, secTable} {
		if raw, ok := m.raw[id]; ok {
			out = appendSection(out, id, raw)
		}
	}

	// Memory: max clamped to MaxMemoryPages.
	max := ins.p.MaxMemoryPages
	if m.memHasMax && m.memMax < max {
		max = m.memMax
	}
	mem := []byte{1, 1}
	mem = appendU32(mem, m.memMin)
	mem = appendU32(mem, max)
	out = appendSection(out, secMemory, mem)

	// Globals: $gas (mut i64 = 0), $depth (mut i32 = 0).
	globals := []byte{valI64, 1, opI64Const, 0, opEnd, valI32, 1, opI32Const, 0, opEnd}
	out = appendSection(out, secGlobal, appendToVector(m.raw[secGlobal], 2, globals))

	var exports []byte
	addExport := func(name string, kind byte, idx uint32) {
		exports = appendU32(exports, uint32(len(name)))
		exports = append(exports, name...)
		exports = append(exports, kind)
		exports = appendU32(exports, idx)
	}
	addExport(ExportGas, extGlobal, ins.gasGlobal)
	addExport(ExportDepth, extGlobal, ins.depthGlobal)
	extra := 2
	if m.start != nil {
		addExport(ExportStart, extFunc, *m.start)
		extra++
	}
	out = appendSection(out, secExport, appendToVector(m.raw[secExport], extra, exports))

	for _, id := range []byte{secElement, secDataCount} {
		if raw, ok := m.raw[id]; ok {
			out = appendSection(out, id, raw)
		}
	}
	if len(m.codes) > 0 {
		out = appendSection(out, secCode, codeSec)
	}
	if raw, ok := m.raw[secData]; ok {
		out = appendSection(out, secData, raw)
	}
	return out
}
