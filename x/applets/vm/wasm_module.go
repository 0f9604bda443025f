package vm

import "bytes"

// Section ids (wasm core spec, binary format).
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
)

// sectionOrder is the position of each non-custom section in a valid module
// (the data count section sits between element and code).
var sectionOrder = map[byte]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5, secGlobal: 6,
	secExport: 7, secStart: 8, secElement: 9, secDataCount: 10, secCode: 11, secData: 12,
}

const (
	valI32  = 0x7f
	valI64  = 0x7e
	valF32  = 0x7d
	valF64  = 0x7c
	valV128 = 0x7b
	refFunc = 0x70
	refExt  = 0x6f
)

const (
	extFunc   = 0
	extTable  = 1
	extMemory = 2
	extGlobal = 3
)

var wasmMagic = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

type funcType struct {
	params, results []byte
}

func (t funcType) equal(params, results []byte) bool {
	return bytes.Equal(t.params, params) && bytes.Equal(t.results, results)
}

type importEntry struct {
	module, name string
	kind         byte
	typeIdx      uint32
}

type exportEntry struct {
	name string
	kind byte
	idx  uint32
}

type codeEntry struct {
	numDecls  uint32 // number of (count, type) local declarations
	declsRaw  []byte // their encoding, copied verbatim
	numLocals uint32 // declared locals (excluding params)
	body      []byte // instructions, ending in 0x0b
}

// module is the parsed shape of a wasm binary: what the instrumenter needs to
// check and rewrite. Unchanged sections are kept as raw bytes.
type module struct {
	raw map[byte][]byte // section id -> content, for non-custom sections

	types        []funcType
	imports      []importEntry
	numImpFuncs  uint32
	funcs        []uint32 // type index per defined function
	numTables    uint32
	tableMin     uint32
	hasMemory    bool
	memMin       uint32
	memMax       uint32
	memHasMax    bool
	numGlobals   uint32
	exports      []exportEntry
	start        *uint32
	codes        []codeEntry
	numDataSegs  uint32
	hasDataCount bool
}

func (m *module) funcType(idx uint32) funcType {
	if idx < m.numImpFuncs {
		n := uint32(0)
		for _, im := range m.imports {
			if im.kind == extFunc {
				if n == idx {
					return m.types[im.typeIdx]
				}
				n++
			}
		}
	}
	return m.types[m.funcs[idx-m.numImpFuncs]]
}

func (m *module) numFuncs() uint32 { return m.numImpFuncs + uint32(len(m.funcs)) }

// parseModule splits the binary into sections and decodes the ones the
// instrumenter needs. It rejects every post-MVP construct we do not support
// at the type level (v128, reference-typed values, shared/64-bit memories,
// imported tables/memories/globals).
func parseModule(code []byte, p Params) (*module, error) {
	if len(code) < len(wasmMagic) || !bytes.Equal(code[:8], wasmMagic) {
		return nil, malformed("bad magic number or version (not a wasm v1 binary)")
	}
	m := &module{raw: map[byte][]byte{}}
	r := &reader{b: code, off: 8}
	last := 0
	for r.len() > 0 {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		content, err := r.bytes(size)
		if err != nil {
			return nil, malformed("section %d: %v", id, err)
		}
		if id == secCustom {
			sr := &reader{b: content}
			if _, err := sr.name(); err != nil {
				return nil, malformed("custom section name: %v", err)
			}
			continue // custom sections are dropped from the output
		}
		pos, ok := sectionOrder[id]
		if !ok {
			return nil, malformed("unknown section id %d", id)
		}
		if pos <= last {
			return nil, malformed("section %d out of order or duplicated", id)
		}
		last = pos
		m.raw[id] = content
		if err := m.parseSection(id, content, p); err != nil {
			return nil, err
		}
	}
	if len(m.funcs) != len(m.codes) {
		return nil, malformed("function and code section counts differ (%d != %d)", len(m.funcs), len(m.codes))
	}
	return m, nil
}

func (m *module) parseSection(id byte, content []byte, p Params) error {
	r := &reader{b: content}
	var err error
	switch id {
	case secType:
		err = m.parseTypes(r)
	case secImport:
		err = m.parseImports(r)
	case secFunction:
		err = m.parseFunctions(r, p)
	case secTable:
		err = m.parseTables(r, p)
	case secMemory:
		err = m.parseMemory(r, p)
	case secGlobal:
		err = m.parseGlobals(r)
	case secExport:
		err = m.parseExports(r)
	case secStart:
		var idx uint32
		if idx, err = r.u32(); err == nil {
			m.start = &idx
		}
	case secElement:
		// Kept verbatim; wazero validates segments and their function indices.
		// We only need to know nothing refers to globals we add (element
		// offsets may use global.get, bounded by the original global count,
		// which wazero checks against the original module at upload).
		return nil
	case secCode:
		err = m.parseCode(r, p)
	case secData:
		var n uint32
		if n, err = r.count(1); err == nil {
			m.numDataSegs = n
		}
		return err // segments kept verbatim
	case secDataCount:
		m.hasDataCount = true
		_, err = r.u32()
	}
	if err == nil && r.len() != 0 {
		err = malformed("section %d has %d trailing bytes", id, r.len())
	}
	return err
}

func readValType(r *reader) (byte, error) {
	t, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch t {
	case valI32, valI64, valF32, valF64:
		return t, nil
	case valV128:
		return 0, unsupported("v128 value type (SIMD is not allowed)")
	case refFunc, refExt:
		return 0, unsupported("reference-typed value (reference types are not allowed)")
	}
	return 0, malformed("invalid value type 0x%02x", t)
}

func readValTypes(r *reader) ([]byte, error) {
	n, err := r.count(1)
	if err != nil {
		return nil, err
	}
	out := make([]byte, n)
	for i := range out {
		if out[i], err = readValType(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (m *module) parseTypes(r *reader) error {
	n, err := r.count(3)
	if err != nil {
		return err
	}
	m.types = make([]funcType, n)
	for i := range m.types {
		form, err := r.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return unsupported("type form 0x%02x (only function types are allowed)", form)
		}
		if m.types[i].params, err = readValTypes(r); err != nil {
			return err
		}
		if m.types[i].results, err = readValTypes(r); err != nil {
			return err
		}
	}
	return nil
}

func (m *module) parseImports(r *reader) error {
	n, err := r.count(4)
	if err != nil {
		return err
	}
	m.imports = make([]importEntry, n)
	for i := range m.imports {
		im := &m.imports[i]
		if im.module, err = r.name(); err != nil {
			return err
		}
		if im.name, err = r.name(); err != nil {
			return err
		}
		if im.kind, err = r.byte(); err != nil {
			return err
		}
		if im.kind != extFunc {
			return disallowedImport(im.module, im.name, "only function imports are allowed")
		}
		if im.typeIdx, err = r.u32(); err != nil {
			return err
		}
		if im.typeIdx >= uint32(len(m.types)) {
			return malformed("import %s.%s: type index %d out of range", im.module, im.name, im.typeIdx)
		}
		m.numImpFuncs++
	}
	return nil
}

func (m *module) parseFunctions(r *reader, p Params) error {
	n, err := r.count(1)
	if err != nil {
		return err
	}
	if uint64(n)+uint64(m.numImpFuncs) > uint64(p.MaxFunctions) {
		return limit("%d functions (max %d)", uint64(n)+uint64(m.numImpFuncs), p.MaxFunctions)
	}
	m.funcs = make([]uint32, n)
	for i := range m.funcs {
		if m.funcs[i], err = r.u32(); err != nil {
			return err
		}
		if m.funcs[i] >= uint32(len(m.types)) {
			return malformed("function %d: type index out of range", i)
		}
	}
	return nil
}

func readLimits(r *reader) (min, max uint32, hasMax bool, err error) {
	flag, err := r.byte()
	if err != nil {
		return
	}
	switch flag {
	case 0x00:
	case 0x01:
		hasMax = true
	case 0x02, 0x03:
		err = unsupported("shared memory (threads are not allowed)")
		return
	default:
		err = unsupported("limits flag 0x%02x (memory64 and other extensions are not allowed)", flag)
		return
	}
	if min, err = r.u32(); err != nil || !hasMax {
		return
	}
	max, err = r.u32()
	if err == nil && max < min {
		err = malformed("limits max %d < min %d", max, min)
	}
	return
}

func (m *module) parseTables(r *reader, p Params) error {
	n, err := r.count(3)
	if err != nil {
		return err
	}
	if n > 1 {
		return unsupported("%d tables (at most one is allowed)", n)
	}
	m.numTables = n
	if n == 0 {
		return nil
	}
	t, err := r.byte()
	if err != nil {
		return err
	}
	if t != refFunc {
		return unsupported("table element type 0x%02x (only funcref)", t)
	}
	min, _, _, err := readLimits(r)
	if err != nil {
		return err
	}
	if min > p.MaxTableElements {
		return limit("table of %d elements (max %d)", min, p.MaxTableElements)
	}
	m.tableMin = min
	return nil
}

func (m *module) parseMemory(r *reader, p Params) error {
	n, err := r.count(2)
	if err != nil {
		return err
	}
	if n > 1 {
		return unsupported("%d memories (multi-memory is not allowed)", n)
	}
	if n == 0 {
		return nil
	}
	m.hasMemory = true
	if m.memMin, m.memMax, m.memHasMax, err = readLimits(r); err != nil {
		return err
	}
	if m.memMin > p.MaxMemoryPages {
		return limit("initial memory of %d pages (max %d)", m.memMin, p.MaxMemoryPages)
	}
	return nil
}

// skipConstExpr skips an MVP constant expression (t.const or global.get).
func skipConstExpr(r *reader, numGlobals uint32) error {
	op, err := r.byte()
	if err != nil {
		return err
	}
	switch op {
	case 0x41:
		_, err = r.sleb(32)
	case 0x42:
		_, err = r.sleb(64)
	case 0x43:
		err = r.skipN(4)
	case 0x44:
		err = r.skipN(8)
	case 0x23:
		var idx uint32
		if idx, err = r.u32(); err == nil && idx >= numGlobals {
			err = malformed("constant expression refers to global %d (only %d defined before)", idx, numGlobals)
		}
	default:
		return unsupported("constant expression opcode 0x%02x", op)
	}
	if err != nil {
		return err
	}
	end, err := r.byte()
	if err != nil {
		return err
	}
	if end != 0x0b {
		return unsupported("extended constant expression (opcode 0x%02x)", end)
	}
	return nil
}

func (m *module) parseGlobals(r *reader) error {
	n, err := r.count(4)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := readValType(r); err != nil {
			return err
		}
		mut, err := r.byte()
		if err != nil {
			return err
		}
		if mut > 1 {
			return malformed("global mutability 0x%02x", mut)
		}
		if err := skipConstExpr(r, i); err != nil {
			return err
		}
	}
	m.numGlobals = n
	return nil
}

func (m *module) parseExports(r *reader) error {
	n, err := r.count(3)
	if err != nil {
		return err
	}
	m.exports = make([]exportEntry, n)
	seen := make(map[string]bool, n)
	for i := range m.exports {
		e := &m.exports[i]
		if e.name, err = r.name(); err != nil {
			return err
		}
		if seen[e.name] {
			return malformed("duplicate export %q", e.name)
		}
		seen[e.name] = true
		if e.kind, err = r.byte(); err != nil {
			return err
		}
		if e.idx, err = r.u32(); err != nil {
			return err
		}
	}
	return nil
}

func (m *module) parseCode(r *reader, p Params) error {
	n, err := r.count(2)
	if err != nil {
		return err
	}
	m.codes = make([]codeEntry, n)
	for i := range m.codes {
		size, err := r.u32()
		if err != nil {
			return err
		}
		content, err := r.bytes(size)
		if err != nil {
			return err
		}
		cr := &reader{b: content}
		c := &m.codes[i]
		if c.numDecls, err = cr.count(2); err != nil {
			return err
		}
		declStart := cr.off
		var total uint64
		for j := uint32(0); j < c.numDecls; j++ {
			cnt, err := cr.u32()
			if err != nil {
				return err
			}
			if _, err := readValType(cr); err != nil {
				return err
			}
			total += uint64(cnt)
			if total > uint64(p.MaxLocals) {
				return limit("function %d declares more than %d locals", i, p.MaxLocals)
			}
		}
		c.declsRaw = content[declStart:cr.off]
		c.numLocals = uint32(total)
		c.body = content[cr.off:]
		if len(c.body) == 0 || c.body[len(c.body)-1] != 0x0b {
			return malformed("function %d body does not end with 'end'", i)
		}
	}
	return nil
}
