package vm

// Function-body instrumentation.
//
// Segmenting rule (InstrumenterVersion 1). A function body is cut into
// metered segments; each segment's gas (the sum of its instructions' weights)
// is charged up front, at its first instruction, by
//   global.get $gas; i64.const cost; i64.sub; global.set $gas
// A new segment starts at:
//   - the function entry;
//   - the first instruction of every loop body (the loop head: reached on
//     every iteration, so it also CHECKS gas and traps when it is negative);
//   - the first instruction of an if's then-arm and of its else-arm;
//   - the instruction after a br_if whose target is a loop (the back-edge
//     is taken often; the fall-through is the loop exit).
// Everything else (block entry, call, call_indirect, br_if to a block, loads,
// ...) stays inside the current segment. Instructions after br, br_table,
// return and unreachable are dead until the end of their construct and cost 0.
// Two exact folds keep charges off hot paths:
//   - the code after the end of a block/loop/if runs at most once per entry
//     into that construct, so it is charged in the segment that contains the
//     construct's opening instruction (never after an end);
//   - for if/else, min(cost of then-arm's first segment, cost of else-arm's
//     first segment) is charged in the segment containing the if and only
//     the difference in each arm (the cheaper arm then has no charge).
// Consequence ("charge ahead"): when execution leaves a construct early (a
// branch to an outer label, return, a trap, a call that never returns) the
// rest of what was charged ahead is not refunded. This is deterministic and
// bounded by the size of the function body.
//
// Checks (trap when gas < 0) happen at loop heads, at the entry of every
// non-leaf function, in host functions, and right after each dynamic charge
// (memory.grow per page, bulk memory per byte). Between two checks execution
// is straight-line or leaf code, so the overdraft is bounded; the runtime
// also treats "gas < 0 at return" as out of gas. Loop-head and dynamic
// checks are branch-free (see checkTail); the entry check is an if.
//
// Call depth: every non-leaf function adds its frame weight
// W = 1 + (params+locals)/64 + len(body)/2048 to $depth at entry and traps
// when the total exceeds MaxCallDepth; the body is wrapped in a block with
// the function's result type so that every way out (falling off the end,
// return, br to the outermost label) reaches a single epilogue that restores
// $depth from a local saved at entry (return is rewritten to br to that
// block). Leaf functions (calls to imports
// only) neither check gas at entry nor count depth: they cannot recurse and
// add at most one bounded frame.
//
// NaN canonicalisation: after every instruction whose NaN result bits differ
// between engines/CPUs (float add/sub/mul/div/sqrt/min/max/ceil/floor/trunc/
// nearest, demote, promote) the value is replaced by the canonical NaN if it
// is a NaN: local.tee t; fN.const nan; local.get t; local.get t; fN.eq; select.

const (
	kFunc = iota
	kBlock
	kLoop
	kIf
	kElse
)

const (
	eSeg    = iota // charge a segment
	eLoop          // charge a segment and check
	eNaN32         // canonicalise an f32 result
	eNaN64         // canonicalise an f64 result
	eDyn           // dynamic charge of the i32 on top of the stack; arg = per-unit cost
	eReturn        // replace `return` by `br arg`
	eExit          // before the function's final end: close wrapper block, restore depth
)

// frame is an open control construct during the walk.
type frame struct {
	kind    uint8
	openSeg int // segment active at the opening instruction; -1 if dead there
	thenSeg int // if/else: first segment of the then-arm
	elseSeg int // if/else: first segment of the else-arm
}

// ifArms records an if/else for the min-hoisting fold.
type ifArms struct{ parent, then, els int }

type edit struct {
	off  int
	kind uint8
	arg  uint64
}

// bodyWalker instruments one function body.
type bodyWalker struct {
	ins       *instrumenter
	code      *codeEntry
	body      []byte
	numParams uint32
	numLocals uint32 // declared (not params)
	results   []byte

	segCost []uint64
	edits   []edit
	ifs     []ifArms
	leaf    bool
	hasLoop bool
	hasDyn  bool
	usesF32 bool
	usesF64 bool

	// compile-complexity counters (see Params.MaxFuncComplexity)
	nBlocks, nLoops, nBrTargets, nCalls uint64
}

// complexity is the function's compile-cost measure u.
func (w *bodyWalker) complexity() uint64 {
	return w.nBlocks + 2*w.nLoops + w.nBrTargets/8 + w.nCalls/16
}

func (w *bodyWalker) checkComplexity() error {
	if u := w.complexity(); u > uint64(w.ins.p.MaxFuncComplexity) {
		return limit("control-flow complexity over %d (split the function)", w.ins.p.MaxFuncComplexity)
	}
	return nil
}

func (w *bodyWalker) newSeg(off int, kind uint8) int {
	w.segCost = append(w.segCost, 0)
	idx := len(w.segCost) - 1
	w.edits = append(w.edits, edit{off: off, kind: kind, arg: uint64(idx)})
	return idx
}

// walk decodes the body, validates what the instrumenter relies on and
// records the edits.
func (w *bodyWalker) walk() error {
	ins := w.ins
	m := ins.m
	weights := &ins.weights
	r := &reader{b: w.body}
	ctl := make([]frame, 1, 16)
	ctl[0] = frame{kind: kFunc}
	w.segCost = append(w.segCost, 0) // segment 0: function entry (charged by the prologue)
	cur := 0
	dead := false
	w.leaf = true
	numLocalsTotal := uint64(w.numParams) + uint64(w.numLocals)

	for len(ctl) > 0 {
		start := r.off
		op, err := r.byte()
		if err != nil {
			return err
		}
		var info opInfo
		if op == 0xfc {
			sub, err := r.u32()
			if err != nil {
				return err
			}
			fi, ok := fcOps[sub]
			if !ok {
				if sub >= 15 && sub <= 17 {
					return unsupported("reference-types instruction 0xfc %d (table.grow/size/fill)", sub)
				}
				return unsupported("instruction 0xfc %d", sub)
			}
			info = fi
			if err := w.fcImmediates(r, sub); err != nil {
				return err
			}
			if info.gas == gBulk {
				w.hasDyn = true
				if ins.p.Gas.BulkPerByte > 0 {
					w.edits = append(w.edits, edit{off: start, kind: eDyn, arg: uint64(ins.p.Gas.BulkPerByte)})
				}
			}
		} else {
			info = ops[op]
			if !info.valid {
				return unsupported("%s 0x%02x at body offset %d", rejectReason(op), op, start)
			}
			switch info.imm {
			case immNone:
			case immBlock:
				if err := w.blockType(r); err != nil {
					return err
				}
			case immLabel:
				l, err := r.u32()
				if err != nil {
					return err
				}
				if l >= uint32(len(ctl)) {
					return malformed("branch depth %d out of range", l)
				}
				if op == 0x0d {
					w.nBlocks++
				}
				if op == 0x0d && ctl[len(ctl)-1-int(l)].kind == kLoop {
					if !dead {
						w.segCost[cur] += weights[info.gas]
					}
					cur = w.newSeg(r.off, eSeg)
					dead = false
					continue
				}
			case immBrTable:
				n, err := r.count(1)
				if err != nil {
					return err
				}
				w.nBrTargets += uint64(n) + 1
				for i := uint32(0); i <= n; i++ {
					l, err := r.u32()
					if err != nil {
						return err
					}
					if l >= uint32(len(ctl)) {
						return malformed("br_table depth %d out of range", l)
					}
				}
			case immFunc:
				idx, err := r.u32()
				if err != nil {
					return err
				}
				if idx >= m.numFuncs() {
					return malformed("call to function %d out of range", idx)
				}
				w.nCalls++
				if idx >= m.numImpFuncs {
					w.leaf = false
				}
			case immCallInd:
				t, err := r.u32()
				if err != nil {
					return err
				}
				if t >= ins.origTypes {
					return malformed("call_indirect type %d out of range", t)
				}
				tbl, err := r.u32()
				if err != nil {
					return err
				}
				if tbl != 0 || m.numTables == 0 {
					return malformed("call_indirect table %d out of range", tbl)
				}
				w.nCalls++
				w.leaf = false
			case immLocal:
				idx, err := r.u32()
				if err != nil {
					return err
				}
				if uint64(idx) >= numLocalsTotal {
					return malformed("local %d out of range", idx)
				}
			case immGlobal:
				idx, err := r.u32()
				if err != nil {
					return err
				}
				// The instrumenter appends $gas and $depth; code must not reach them.
				if idx >= m.numGlobals {
					return malformed("global %d out of range", idx)
				}
			case immMemArg:
				align, err := r.u32()
				if err != nil {
					return err
				}
				if align >= 64 {
					return unsupported("multi-memory memarg")
				}
				if _, err := r.u32(); err != nil {
					return err
				}
			case immMemIdx:
				b, err := r.byte()
				if err != nil {
					return err
				}
				if b != 0 {
					return unsupported("memory index %d (multi-memory)", b)
				}
				if op == 0x40 {
					w.hasDyn = true
					if ins.p.Gas.GrowPerPage > 0 {
						w.edits = append(w.edits, edit{off: start, kind: eDyn, arg: uint64(ins.p.Gas.GrowPerPage)})
					}
				}
			case immI32:
				if _, err := r.sleb(32); err != nil {
					return err
				}
			case immI64:
				if _, err := r.sleb(64); err != nil {
					return err
				}
			case immF32:
				if err := r.skipN(4); err != nil {
					return err
				}
			case immF64:
				if err := r.skipN(8); err != nil {
					return err
				}
			}
		}
		if !dead {
			w.segCost[cur] += weights[info.gas]
		}
		if op == 0x02 || op == 0x03 || op == 0x04 {
			// Checked as the counters grow, so nesting depth (and the
			// walker's memory) stays bounded by MaxFuncComplexity.
			if err := w.checkComplexity(); err != nil {
				return err
			}
		}

		switch op {
		case 0x00, 0x0c, 0x0e: // unreachable, br, br_table
			dead = true
		case 0x0f: // return (left alone in dead code: never executed, still valid)
			if !dead {
				w.edits = append(w.edits, edit{off: start, kind: eReturn, arg: uint64(len(ctl) - 1)})
			}
			dead = true
		case 0x02: // block: entered by fall-through only, same segment
			w.nBlocks++
			ctl = append(ctl, frame{kind: kBlock, openSeg: live(cur, dead)})
		case 0x03: // loop
			w.nLoops++
			ctl = append(ctl, frame{kind: kLoop, openSeg: live(cur, dead)})
			w.hasLoop = true
			cur = w.newSeg(r.off, eLoop)
			w.segCost[cur] += weights[gLoop] // the per-iteration cost lives at the head
			dead = false
		case 0x04: // if
			w.nBlocks++
			f := frame{kind: kIf, openSeg: live(cur, dead)}
			cur = w.newSeg(r.off, eSeg)
			f.thenSeg = cur
			ctl = append(ctl, f)
			dead = false
		case 0x05: // else
			f := &ctl[len(ctl)-1]
			if f.kind != kIf {
				return malformed("else without if")
			}
			f.kind = kElse
			cur = w.newSeg(r.off, eSeg)
			f.elseSeg = cur
			dead = false
		case 0x0b: // end
			f := ctl[len(ctl)-1]
			ctl = ctl[:len(ctl)-1]
			if len(ctl) == 0 {
				if r.off != len(w.body) {
					return malformed("instructions after the function's final end")
				}
				w.edits = append(w.edits, edit{off: start, kind: eExit})
				break
			}
			if f.kind == kElse && f.openSeg >= 0 { // recorded at end: innermost first
				w.ifs = append(w.ifs, ifArms{parent: f.openSeg, then: f.thenSeg, els: f.elseSeg})
			}
			// What follows runs at most once per entry into the construct:
			// charge it where the construct was entered.
			if f.openSeg >= 0 {
				cur, dead = f.openSeg, false
			} else {
				dead = true
			}
		default:
			switch info.nan {
			case valF32:
				w.usesF32 = true
				w.edits = append(w.edits, edit{off: r.off, kind: eNaN32})
			case valF64:
				w.usesF64 = true
				w.edits = append(w.edits, edit{off: r.off, kind: eNaN64})
			}
		}
	}
	// Hoist the cheaper if/else arm into the parent, innermost first (an
	// inner if's parent may be an outer arm whose cost then includes it).
	// Every hoist keeps each path's total unchanged.
	for _, a := range w.ifs {
		h := min(w.segCost[a.then], w.segCost[a.els])
		w.segCost[a.parent] += h
		w.segCost[a.then] -= h
		w.segCost[a.els] -= h
	}
	return nil
}

// live returns the segment index, or -1 when the code is dead.
func live(seg int, dead bool) int {
	if dead {
		return -1
	}
	return seg
}

func (w *bodyWalker) blockType(r *reader) error {
	c, err := r.byte()
	if err != nil {
		return err
	}
	switch c {
	case 0x40, valI32, valI64, valF32, valF64:
		return nil
	case valV128:
		return unsupported("v128 block type (SIMD)")
	case refFunc, refExt:
		return unsupported("reference-typed block type")
	}
	r.off--
	idx, err := r.sleb(33)
	if err != nil {
		return err
	}
	if idx < 0 || idx >= int64(w.ins.origTypes) {
		return malformed("block type index %d out of range", idx)
	}
	return nil
}

func (w *bodyWalker) fcImmediates(r *reader, sub uint32) error {
	m := w.ins.m
	zero := func(what string) error {
		b, err := r.byte()
		if err != nil {
			return err
		}
		if b != 0 {
			return unsupported("%s index %d (multi-memory / multi-table)", what, b)
		}
		return nil
	}
	switch sub {
	case 8: // memory.init data 0
		if _, err := r.u32(); err != nil {
			return err
		}
		return zero("memory")
	case 9: // data.drop
		_, err := r.u32()
		return err
	case 10: // memory.copy 0 0
		if err := zero("memory"); err != nil {
			return err
		}
		return zero("memory")
	case 11: // memory.fill 0
		return zero("memory")
	case 12: // table.init elem table
		if _, err := r.u32(); err != nil {
			return err
		}
		t, err := r.u32()
		if err != nil {
			return err
		}
		if t != 0 || m.numTables == 0 {
			return malformed("table.init table %d out of range", t)
		}
	case 13: // elem.drop
		_, err := r.u32()
		return err
	case 14: // table.copy dst src
		for i := 0; i < 2; i++ {
			t, err := r.u32()
			if err != nil {
				return err
			}
			if t != 0 || m.numTables == 0 {
				return malformed("table.copy table %d out of range", t)
			}
		}
	}
	return nil
}

// frameWeight is the function's cost in call-depth units. It grows with the
// number of locals and the body size (an upper bound on the values the
// compiler may spill), so that MaxCallDepth units bound the native stack of
// the compiler engine as well as the interpreter's frame count.
func (w *bodyWalker) frameWeight() uint64 {
	wt := 1 + (uint64(w.numParams)+uint64(w.numLocals))/64 + uint64(len(w.body))/2048
	if max := uint64(w.ins.p.MaxCallDepth) + 1; wt > max {
		wt = max
	}
	return wt
}

// Opcodes used in emitted code.
const (
	opUnreachable = 0x00
	opBlock       = 0x02
	opIf          = 0x04
	opEnd         = 0x0b
	opBr          = 0x0c
	opSelect      = 0x1b
	opLocalGet    = 0x20
	opLocalTee    = 0x22
	opGlobalGet   = 0x23
	opGlobalSet   = 0x24
	opI32Const    = 0x41
	opI64Const    = 0x42
	opF32Const    = 0x43
	opF64Const    = 0x44
	opI32GtS      = 0x4a
	opI64LtS      = 0x53
	opF32Eq       = 0x5b
	opF64Eq       = 0x61
	opI32Add      = 0x6a
	opI32Or       = 0x72
	opI64Sub      = 0x7d
	opI64Mul      = 0x7e
	opI64ExtendU  = 0xad
	opI64ShrS     = 0x87
	opI32WrapI64  = 0xa7
	opI32Load8U   = 0x2d
	opDrop        = 0x1a
)

// emitter holds the scratch local indices of one function.
type emitter struct {
	gas, depth             uint32 // global indices
	tI64, tI32, tF32, tF64 uint32 // scratch locals
	tDepth                 uint32 // non-leaf functions: $depth at entry, restored on exit
}

func (e *emitter) charge(b []byte, cost uint64) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, e.gas)
	b = append(b, opI64Const)
	b = appendS64(b, int64(cost))
	b = append(b, opI64Sub, opGlobalSet)
	return appendU32(b, e.gas)
}

// checkTail expects the new gas value on the stack: stores it and traps if
// it is negative. The trap is branch-free, so it adds no basic block (wazero's
// compiler is superlinear in blocks per function): gas >> 63 is 0 or -1,
// used as the address of a 1-byte load at offset 1, which is in bounds
// (memory has at least one page) or beyond 4 GiB. wazero v1.12.0 keeps such
// dropped loads (they may trap); TestInfiniteLoopStoppedByGas would hang on a
// wazero upgrade that started eliminating them.
func (e *emitter) checkTail(b []byte) []byte {
	b = append(b, opLocalTee)
	b = appendU32(b, e.tI64)
	b = append(b, opGlobalSet)
	b = appendU32(b, e.gas)
	b = append(b, opLocalGet)
	b = appendU32(b, e.tI64)
	return append(b, opI64Const, 63, opI64ShrS, opI32WrapI64, opI32Load8U, 0, 1, opDrop)
}

func (e *emitter) chargeCheck(b []byte, cost uint64) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, e.gas)
	if cost > 0 {
		b = append(b, opI64Const)
		b = appendS64(b, int64(cost))
		b = append(b, opI64Sub)
	}
	return e.checkTail(b)
}

func (e *emitter) dynamic(b []byte, perUnit uint64) []byte {
	b = append(b, opLocalTee)
	b = appendU32(b, e.tI32)
	b = append(b, opGlobalGet)
	b = appendU32(b, e.gas)
	b = append(b, opLocalGet)
	b = appendU32(b, e.tI32)
	b = append(b, opI64ExtendU)
	if perUnit != 1 {
		b = append(b, opI64Const)
		b = appendS64(b, int64(perUnit))
		b = append(b, opI64Mul)
	}
	b = append(b, opI64Sub)
	return e.checkTail(b)
}

var (
	canonNaN32 = []byte{0x00, 0x00, 0xc0, 0x7f}                         // 0x7fc00000
	canonNaN64 = []byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x7f} // 0x7ff8000000000000
)

func (e *emitter) nan(b []byte, t uint32, constOp byte, nan []byte, eqOp byte) []byte {
	b = append(b, opLocalTee)
	b = appendU32(b, t)
	b = append(b, constOp)
	b = append(b, nan...)
	b = append(b, opLocalGet)
	b = appendU32(b, t)
	b = append(b, opLocalGet)
	b = appendU32(b, t)
	return append(b, eqOp, opSelect)
}

// emit produces the instrumented code entry (locals + body) for the function.
func (w *bodyWalker) emit(out []byte) []byte {
	ins := w.ins
	e := emitter{gas: ins.gasGlobal, depth: ins.depthGlobal}
	next := w.numParams + w.numLocals
	var extra []byte // types of the scratch locals, in index order
	if !w.leaf || w.hasLoop || w.hasDyn {
		e.tI64, next, extra = next, next+1, append(extra, valI64)
	}
	if !w.leaf {
		e.tDepth, next, extra = next, next+1, append(extra, valI32)
	}
	if w.hasDyn {
		e.tI32, next, extra = next, next+1, append(extra, valI32)
	}
	if w.usesF32 {
		e.tF32, next, extra = next, next+1, append(extra, valF32)
	}
	if w.usesF64 {
		e.tF64, extra = next, append(extra, valF64)
	}

	b := make([]byte, 0, len(w.body)+len(w.body)/2+64)
	b = appendU32(b, w.code.numDecls+uint32(len(extra)))
	b = append(b, w.code.declsRaw...)
	for _, t := range extra {
		b = append(b, 1, t)
	}

	weight := w.frameWeight()
	if w.leaf {
		if w.segCost[0] > 0 {
			b = e.charge(b, w.segCost[0])
		}
	} else {
		// gas -= seg0; old := depth; depth = old + W;
		// trap if gas < 0 or old > max - W (signed: W may exceed max); block (results)
		b = append(b, opGlobalGet)
		b = appendU32(b, e.gas)
		b = append(b, opI64Const)
		b = appendS64(b, int64(w.segCost[0]))
		b = append(b, opI64Sub, opLocalTee)
		b = appendU32(b, e.tI64)
		b = append(b, opGlobalSet)
		b = appendU32(b, e.gas)
		b = append(b, opGlobalGet)
		b = appendU32(b, e.depth)
		b = append(b, opLocalTee)
		b = appendU32(b, e.tDepth)
		b = append(b, opI32Const)
		b = appendS64(b, int64(weight))
		b = append(b, opI32Add, opGlobalSet)
		b = appendU32(b, e.depth)
		b = append(b, opLocalGet)
		b = appendU32(b, e.tI64)
		b = append(b, opI64Const, 0, opI64LtS, opLocalGet)
		b = appendU32(b, e.tDepth)
		b = append(b, opI32Const)
		b = appendS64(b, int64(ins.p.MaxCallDepth)-int64(weight))
		b = append(b, opI32GtS, opI32Or, opIf, 0x40, opUnreachable, opEnd)
		b = append(b, opBlock)
		b = ins.appendBlockType(b, w.results)
	}

	last := 0
	for _, ed := range w.edits {
		b = append(b, w.body[last:ed.off]...)
		last = ed.off
		switch ed.kind {
		case eSeg:
			if c := w.segCost[ed.arg]; c > 0 {
				b = e.charge(b, c)
			}
		case eLoop:
			b = e.chargeCheck(b, w.segCost[ed.arg])
		case eNaN32:
			b = e.nan(b, e.tF32, opF32Const, canonNaN32, opF32Eq)
		case eNaN64:
			b = e.nan(b, e.tF64, opF64Const, canonNaN64, opF64Eq)
		case eDyn:
			b = e.dynamic(b, ed.arg)
		case eReturn:
			if !w.leaf {
				b = append(b, opBr)
				b = appendU32(b, uint32(ed.arg))
				last = ed.off + 1
			}
		case eExit:
			if !w.leaf {
				// Close the wrapper block and restore $depth from entry.
				b = append(b, opEnd, opLocalGet)
				b = appendU32(b, e.tDepth)
				b = append(b, opGlobalSet)
				b = appendU32(b, e.depth)
			}
		}
	}
	b = append(b, w.body[last:]...)
	out = appendU32(out, uint32(len(b)))
	return append(out, b...)
}
