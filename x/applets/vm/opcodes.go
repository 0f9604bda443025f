package vm

// Immediate encodings of the instructions the walker understands.
const (
	immNone    = iota
	immBlock   // block type: 0x40, a value type or an s33 type index
	immLabel   // u32 label depth
	immBrTable // vec(u32) + default u32
	immFunc    // u32 function index
	immCallInd // u32 type index + u32 table index
	immLocal   // u32 local index
	immGlobal  // u32 global index
	immMemArg  // u32 align + u32 offset
	immMemIdx  // single 0x00 byte (memory.size / memory.grow)
	immI32     // s32
	immI64     // s64
	immF32     // 4 bytes
	immF64     // 8 bytes
)

// Gas classes: which GasTable field an instruction is charged.
const (
	gFree = iota // block, else, end: structural, no cost
	gBase
	gBranch
	gCall
	gCallInd
	gLoad
	gStore
	gDivRem
	gFloat
	gFloatDiv
	gLoop
	gGrow
	gBulk
	gMemSize
	numGasClasses
)

type opInfo struct {
	valid bool
	imm   uint8
	gas   uint8
	nan   byte // valF32/valF64: the result must be NaN-canonicalised
}

// ops describes every single-byte opcode accepted by the instrumenter
// (the MVP plus sign-extension). Anything not here is rejected.
var ops [256]opInfo

// fcOps describes the 0xFC-prefixed instructions we accept: the saturating
// float->int conversions and bulk memory. Reference-type table operations
// (table.grow/size/fill) are rejected.
var fcOps = map[uint32]opInfo{}

func init() {
	set := func(lo, hi int, imm, gas uint8, nan byte) {
		for op := lo; op <= hi; op++ {
			ops[op] = opInfo{valid: true, imm: imm, gas: gas, nan: nan}
		}
	}
	set(0x00, 0x01, immNone, gBase, 0) // unreachable, nop
	set(0x02, 0x02, immBlock, gFree, 0)
	set(0x03, 0x03, immBlock, gLoop, 0)
	set(0x04, 0x04, immBlock, gBranch, 0)
	set(0x05, 0x05, immNone, gFree, 0) // else
	set(0x0b, 0x0b, immNone, gFree, 0) // end
	set(0x0c, 0x0d, immLabel, gBranch, 0)
	set(0x0e, 0x0e, immBrTable, gBranch, 0)
	set(0x0f, 0x0f, immNone, gBranch, 0) // return
	set(0x10, 0x10, immFunc, gCall, 0)
	set(0x11, 0x11, immCallInd, gCallInd, 0)
	set(0x1a, 0x1b, immNone, gBase, 0) // drop, select
	set(0x20, 0x22, immLocal, gBase, 0)
	set(0x23, 0x24, immGlobal, gBase, 0)
	set(0x28, 0x35, immMemArg, gLoad, 0)
	set(0x36, 0x3e, immMemArg, gStore, 0)
	set(0x3f, 0x3f, immMemIdx, gMemSize, 0)
	set(0x40, 0x40, immMemIdx, gGrow, 0)
	set(0x41, 0x41, immI32, gBase, 0)
	set(0x42, 0x42, immI64, gBase, 0)
	set(0x43, 0x43, immF32, gBase, 0)
	set(0x44, 0x44, immF64, gBase, 0)
	set(0x45, 0x66, immNone, gBase, 0) // comparisons (NaN-insensitive results)
	set(0x67, 0x8a, immNone, gBase, 0) // integer arithmetic
	set(0x6d, 0x70, immNone, gDivRem, 0)
	set(0x7f, 0x82, immNone, gDivRem, 0)
	// f32: abs, neg, copysign only move the sign bit: deterministic, not canonicalised.
	set(0x8b, 0x8c, immNone, gBase, 0)
	set(0x8d, 0x97, immNone, gFloat, valF32) // ceil floor trunc nearest sqrt add sub mul div min max
	set(0x91, 0x91, immNone, gFloatDiv, valF32)
	set(0x95, 0x95, immNone, gFloatDiv, valF32)
	set(0x98, 0x98, immNone, gBase, 0)
	set(0x99, 0x9a, immNone, gBase, 0)
	set(0x9b, 0xa5, immNone, gFloat, valF64)
	set(0x9f, 0x9f, immNone, gFloatDiv, valF64)
	set(0xa3, 0xa3, immNone, gFloatDiv, valF64)
	set(0xa6, 0xa6, immNone, gBase, 0)
	set(0xa7, 0xbf, immNone, gBase, 0)       // conversions, reinterprets
	set(0xb6, 0xb6, immNone, gFloat, valF32) // f32.demote_f64
	set(0xbb, 0xbb, immNone, gFloat, valF64) // f64.promote_f32
	set(0xc0, 0xc4, immNone, gBase, 0)       // sign extension

	for sub := uint32(0); sub <= 7; sub++ { // trunc_sat: NaN -> 0, deterministic
		fcOps[sub] = opInfo{valid: true, gas: gBase}
	}
	fcOps[8] = opInfo{valid: true, gas: gBulk}     // memory.init
	fcOps[9] = opInfo{valid: true, gas: gMemSize}  // data.drop
	fcOps[10] = opInfo{valid: true, gas: gBulk}    // memory.copy
	fcOps[11] = opInfo{valid: true, gas: gBulk}    // memory.fill
	fcOps[12] = opInfo{valid: true, gas: gBulk}    // table.init
	fcOps[13] = opInfo{valid: true, gas: gMemSize} // elem.drop
	fcOps[14] = opInfo{valid: true, gas: gBulk}    // table.copy
}

// rejectReason explains why an unknown single-byte opcode is refused.
func rejectReason(op byte) string {
	switch {
	case op == 0xfd:
		return "SIMD instruction (0xfd prefix)"
	case op == 0xfe:
		return "threads/atomics instruction (0xfe prefix)"
	case op == 0xfb:
		return "GC instruction (0xfb prefix)"
	case op >= 0x06 && op <= 0x0a, op == 0x18, op == 0x19:
		return "exception-handling instruction"
	case op >= 0x12 && op <= 0x15:
		return "tail-call / function-reference instruction"
	case op == 0x1c, op == 0x25, op == 0x26, op >= 0xd0 && op <= 0xd6:
		return "reference-types instruction"
	}
	return "unknown opcode"
}

// gasWeights maps gas classes to the configured weights.
func gasWeights(g GasTable) [numGasClasses]uint64 {
	var w [numGasClasses]uint64
	w[gFree] = 0
	w[gBase] = uint64(g.Base)
	w[gBranch] = uint64(g.Branch)
	w[gCall] = uint64(g.Call)
	w[gCallInd] = uint64(g.CallIndirect)
	w[gLoad] = uint64(g.Load)
	w[gStore] = uint64(g.Store)
	w[gDivRem] = uint64(g.DivRem)
	w[gFloat] = uint64(g.FloatArith)
	w[gFloatDiv] = uint64(g.FloatDivSqrt)
	w[gLoop] = uint64(g.LoopIteration)
	w[gGrow] = uint64(g.MemoryGrow)
	w[gBulk] = uint64(g.Bulk)
	w[gMemSize] = uint64(g.MemorySize)
	return w
}
