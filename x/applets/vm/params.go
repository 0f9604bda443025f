package vm

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// InstrumenterVersion identifies the instrumentation rules (segmenting, gas
// table semantics, NaN canonicalisation, depth accounting). Bump it whenever
// Instrument's output for some input changes: instrumented code and compiled
// caches are keyed by it, and a chain upgrade must switch it at a fixed height.
const InstrumenterVersion = 1

// GasTable holds the per-instruction weights the instrumenter bakes into the
// code. Every executed instruction costs its weight; structural markers
// (block, else, end) cost nothing. See README.md for the opcode classes.
type GasTable struct {
	Base          uint32 // every instruction not listed below (arith, const, local/global, compare, convert, select, drop, nop, unreachable)
	Branch        uint32 // br, br_if, br_table, if, return
	Call          uint32 // call (to a wasm function or a host import)
	CallIndirect  uint32 // call_indirect
	Load          uint32 // *.load*
	Store         uint32 // *.store*
	DivRem        uint32 // i32/i64 div_s, div_u, rem_s, rem_u
	FloatArith    uint32 // float ops that are NaN-canonicalised (add, sub, mul, min, max, ceil, floor, trunc, nearest, demote, promote)
	FloatDivSqrt  uint32 // f32/f64 div and sqrt (also canonicalised)
	LoopIteration uint32 // charged at every loop head, i.e. per iteration (must be >= 1)
	MemoryGrow    uint32 // static part of memory.grow
	GrowPerPage   uint32 // dynamic part of memory.grow, per requested page (charged even if the grow fails)
	Bulk          uint32 // static part of memory.copy/fill/init, table.copy/init
	BulkPerByte   uint32 // dynamic part of the bulk ops, per byte (memory) or element (table)
	MemorySize    uint32 // memory.size, data.drop, elem.drop
}

// HostGas holds the gas charged by host functions: Base per call plus PerByte
// per byte moved across the boundary (both directions).
type HostGas struct {
	Base         uint64 // any w3b or wasi call not listed below
	PerByte      uint64 // bytes copied in or out (payload copy, config, device, random, fd_write, log)
	StateRead    uint64 // state_get base
	StateReadPB  uint64 // state_get per byte of key and returned value
	StateWrite   uint64 // state_set / state_delete base
	StateWritePB uint64 // state_set / state_delete per byte of key and value
	Emit         uint64 // emit base
	EmitPB       uint64 // emit per byte of topic and data
	Instantiate  uint64 // creating a module instance (charged to the event that needs it)
	InstPerPage  uint64 // per initial memory page of a new instance
}

// Params are the consensus parameters of the VM. Every node of a chain must
// use identical Params; changing them is a governance / upgrade decision.
type Params struct {
	MaxCodeBytes     uint32 // raw (uncompressed) wasm size limit
	MaxMemoryPages   uint32 // linear memory cap (64 KiB pages); the module's max is clamped to it
	MaxTableElements uint32 // table size cap (tables cannot grow: table.grow is rejected)
	MaxCallDepth     uint32 // call-depth budget in frame units (see frameWeight); must be < 1900
	MaxLocals        uint32 // params + locals per function
	MaxFunctions     uint32 // defined + imported functions

	// Compile-time DoS bounds. wazero's compiler is superlinear (about
	// quadratic) in the control flow of a single function, so each function
	// gets a complexity u = blocks + ifs + br_ifs + 2*loops +
	// br_table targets/8 + calls/16, and u per function and the sum of u²
	// over the module are capped (see README for the measurements).
	MaxFuncComplexity uint32
	MaxCodeComplexity uint64

	Gas  GasTable
	Host HostGas

	MaxKeyBytes        uint32 // state key
	MaxValueBytes      uint32 // state value
	MaxTopicBytes      uint32 // emit topic
	MaxOutputBytes     uint32 // emit data
	MaxOutputsPerEvent uint32
	MaxLogBytes        uint32 // per event, w3b.log + stdout/stderr together; excess is dropped (still charged)
	MaxGasPerEvent     uint64 // upper bound accepted for InstanceInput.GasPerEvent
}

// interpreterFrameCeiling is wazero's interpreter call-stack limit (frames);
// the depth budget must stay below it so both engines trap at the same point.
const interpreterFrameCeiling = 2000

// DefaultParams returns the parameters documented in README.md.
func DefaultParams() Params {
	return Params{
		MaxCodeBytes:     8 << 20,
		MaxMemoryPages:   512, // 32 MiB
		MaxTableElements: 1 << 17,
		MaxCallDepth:     1024,
		MaxLocals:        4096,
		MaxFunctions:     100_000,
		// A 2.9 MB Go 1.26 wasip1 module: max u = 1122, sum u² = 1.05e7.
		MaxFuncComplexity: 4096,
		MaxCodeComplexity: 1 << 26,
		Gas: GasTable{
			Base: 1, Branch: 2, Call: 5, CallIndirect: 10, Load: 2, Store: 2,
			DivRem: 8, FloatArith: 2, FloatDivSqrt: 8, LoopIteration: 1,
			MemoryGrow: 100, GrowPerPage: 1000, Bulk: 10, BulkPerByte: 1, MemorySize: 1,
		},
		Host: HostGas{
			Base: 100, PerByte: 1,
			StateRead: 1000, StateReadPB: 3,
			StateWrite: 2000, StateWritePB: 30,
			Emit: 1000, EmitPB: 10,
			Instantiate: 50_000, InstPerPage: 1000,
		},
		MaxKeyBytes:        256,
		MaxValueBytes:      64 << 10,
		MaxTopicBytes:      128,
		MaxOutputBytes:     64 << 10,
		MaxOutputsPerEvent: 64,
		MaxLogBytes:        8 << 10,
		MaxGasPerEvent:     1 << 40,
	}
}

// Validate checks that the parameters are usable.
func (p Params) Validate() error {
	switch {
	case p.MaxCodeBytes == 0:
		return fmt.Errorf("vm params: MaxCodeBytes must be > 0")
	case p.MaxMemoryPages == 0 || p.MaxMemoryPages > 65536:
		return fmt.Errorf("vm params: MaxMemoryPages must be in [1, 65536]")
	case p.MaxCallDepth == 0 || p.MaxCallDepth >= interpreterFrameCeiling-100:
		return fmt.Errorf("vm params: MaxCallDepth must be in [1, %d)", interpreterFrameCeiling-100)
	case p.MaxLocals == 0 || p.MaxLocals > 50_000:
		return fmt.Errorf("vm params: MaxLocals must be in [1, 50000]")
	case p.MaxFunctions == 0:
		return fmt.Errorf("vm params: MaxFunctions must be > 0")
	case p.MaxFuncComplexity == 0 || p.MaxCodeComplexity == 0:
		return fmt.Errorf("vm params: MaxFuncComplexity and MaxCodeComplexity must be > 0")
	case p.Gas.LoopIteration == 0:
		return fmt.Errorf("vm params: Gas.LoopIteration must be >= 1 (loops must cost gas)")
	case p.MaxGasPerEvent == 0 || p.MaxGasPerEvent > 1<<62:
		return fmt.Errorf("vm params: MaxGasPerEvent must be in [1, 2^62]")
	}
	return nil
}

// InstrumentDigest digests InstrumenterVersion and every parameter that
// changes Instrument's output: key stored instrumented code by
// (code hash, digest).
func (p Params) InstrumentDigest() [32]byte {
	var b []byte
	put := func(v uint64) { b = binary.BigEndian.AppendUint64(b, v) }
	put(InstrumenterVersion)
	put(uint64(p.MaxCodeBytes))
	put(uint64(p.MaxMemoryPages))
	put(uint64(p.MaxTableElements))
	put(uint64(p.MaxCallDepth))
	put(uint64(p.MaxLocals))
	put(uint64(p.MaxFunctions))
	put(uint64(p.MaxFuncComplexity))
	put(p.MaxCodeComplexity)
	g := p.Gas
	for _, v := range []uint32{g.Base, g.Branch, g.Call, g.CallIndirect, g.Load, g.Store, g.DivRem,
		g.FloatArith, g.FloatDivSqrt, g.LoopIteration, g.MemoryGrow, g.GrowPerPage, g.Bulk, g.BulkPerByte, g.MemorySize} {
		put(uint64(v))
	}
	return sha256.Sum256(b)
}
