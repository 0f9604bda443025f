package vm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// instance is one live module instance of an applet (see the lifecycle rule
// in doc.go).
type instance struct {
	mod         api.Module
	mem         api.Memory
	gas         api.MutableGlobal
	depth       api.MutableGlobal
	alloc       api.Function
	handle      api.Function
	rng         *randStream
	sleptNs     int64 // virtual time advanced by wasi poll_oneoff sleeps
	blockTimeNs int64
}

// abort is how host functions stop the wasm call: they record it in the
// callState and panic with it; wazero unwinds and returns an error.
type abort struct {
	status Status
	msg    string
}

func (a *abort) Error() string { return a.msg }

// callState is the per-event context host functions reach through ctx.
type callState struct {
	p       *Params
	inst    *instance
	event   *Event
	block   *BlockInfo
	input   *InstanceInput
	state   *overlay
	failure *abort

	logs          []Log
	logBytes      uint64
	logsTruncated bool
	outputs       []Output
}

type callStateKey struct{}

func stateOf(ctx context.Context) *callState {
	cs, _ := ctx.Value(callStateKey{}).(*callState)
	if cs == nil {
		panic(errors.New("vm: host function called outside an event"))
	}
	return cs
}

func (cs *callState) fail(status Status, format string, args ...any) {
	a := &abort{status: status, msg: fmt.Sprintf(format, args...)}
	cs.failure = a
	panic(a)
}

// charge subtracts host gas from the instance's gas global and aborts the
// event when it runs out.
func (cs *callState) charge(base, perByte, n uint64) {
	cost := base
	if perByte != 0 {
		if n > math.MaxInt64/perByte {
			cost = math.MaxInt64
		} else {
			cost += perByte * n
		}
	}
	if cost > math.MaxInt64/2 {
		cost = math.MaxInt64 / 2
	}
	g := int64(cs.inst.gas.Get()) - int64(cost)
	cs.inst.gas.Set(uint64(g))
	if g < 0 {
		cs.fail(StatusOutOfGas, "out of gas")
	}
}

// blockRun executes the events of one applet instance in one block.
type blockRun struct {
	e     *Engine
	p     *Params
	code  *compiledCode
	input *InstanceInput
	block *BlockInfo
	store StateStore
	inst  *instance
}

var instanceConfig = wazero.NewModuleConfig().WithName("").WithStartFunctions()

// RunBlock runs events (in the given order) through one applet instance.
// The error is reserved for engine failures (code not loadable, context
// cancelled): the caller must not commit anything then. Every consensus
// outcome, including invalid code, is reported in BlockResult.
func (e *Engine) RunBlock(ctx context.Context, code CodeRef, in InstanceInput, block BlockInfo, events []Event, state StateStore) (BlockResult, error) {
	var res BlockResult
	if in.GasPerEvent > e.cfg.Params.MaxGasPerEvent {
		return res, fmt.Errorf("vm: GasPerEvent %d exceeds MaxGasPerEvent %d", in.GasPerEvent, e.cfg.Params.MaxGasPerEvent)
	}
	c, err := e.acquire(ctx, code)
	if err != nil {
		if !isValidationError(err) {
			return res, err
		}
		res.Events = make([]EventResult, len(events))
		for i := range res.Events {
			res.Events[i] = EventResult{Status: StatusError, Error: "code rejected: " + err.Error()}
		}
		return res, nil
	}
	defer e.release(c)

	run := &blockRun{e: e, p: &e.cfg.Params, code: c, input: &in, block: &block, store: state}
	defer run.discard(ctx)
	res.Events = make([]EventResult, len(events))
	for i := range events {
		if err := ctx.Err(); err != nil {
			return BlockResult{}, err
		}
		r := run.event(ctx, i, &events[i])
		res.Events[i] = r
		res.GasUsed += r.GasUsed
	}
	return res, nil
}

func (run *blockRun) discard(ctx context.Context) {
	if run.inst != nil {
		_ = run.inst.mod.Close(ctx)
		run.inst = nil
	}
}

// event runs one event and turns whatever happened into an EventResult.
func (run *blockRun) event(ctx context.Context, index int, ev *Event) EventResult {
	limit := run.input.GasPerEvent
	cs := &callState{p: run.p, event: ev, block: run.block, input: run.input, state: newOverlay(run.store)}
	ctx = context.WithValue(ctx, callStateKey{}, cs)

	var res EventResult
	status, msg, gasLeft := run.execute(ctx, cs, index, ev)
	if status == StatusOK && gasLeft < 0 {
		status, msg = StatusOutOfGas, "out of gas"
	}
	res.Status, res.Error = status, msg
	if status == StatusOutOfGas || gasLeft < 0 {
		res.GasUsed = limit
	} else {
		res.GasUsed = limit - uint64(gasLeft)
	}
	res.Logs, res.LogsTruncated = cs.logs, cs.logsTruncated
	if status == StatusOK {
		res.Outputs = cs.outputs
		res.Writes = cs.state.commit()
	} else {
		// Lifecycle rule: a failed event discards the instance.
		run.discard(ctx)
	}
	return res
}

// execute returns the event status, its message and the gas left.
func (run *blockRun) execute(ctx context.Context, cs *callState, index int, ev *Event) (Status, string, int64) {
	gas := int64(run.input.GasPerEvent)
	if run.inst == nil {
		cost := run.p.Host.Instantiate + run.p.Host.InstPerPage*uint64(run.code.info.initialPages)
		if cost > uint64(gas) {
			return StatusOutOfGas, "out of gas", -1
		}
		gas -= int64(cost)
		inst, err := run.instantiate(ctx, index)
		if err != nil {
			return StatusTrap, "instantiate: " + firstLine(err), gas
		}
		run.inst = inst
		cs.inst = inst
		inst.gas.Set(uint64(gas))
		for _, name := range run.initFuncs() {
			if err := run.call(ctx, inst.mod.ExportedFunction(name), nil); err != nil {
				st, msg := cs.classify(err)
				return st, name + ": " + msg, int64(inst.gas.Get())
			}
		}
	} else {
		cs.inst = run.inst
		run.inst.gas.Set(uint64(gas))
	}
	inst := run.inst

	// alloc(len) -> ptr, then copy the payload (charged as a host call).
	stack := []uint64{uint64(uint32(len(ev.Payload)))}
	if len(ev.Payload) > math.MaxInt32 {
		return StatusError, "payload too large", int64(inst.gas.Get())
	}
	if err := run.call(ctx, inst.alloc, stack); err != nil {
		st, msg := cs.classify(err)
		return st, "alloc: " + msg, int64(inst.gas.Get())
	}
	ptr := uint32(stack[0])
	if st, msg, ok := run.copyPayload(cs, ptr, ev.Payload); !ok {
		return st, msg, int64(inst.gas.Get())
	}

	stack = []uint64{uint64(ptr), uint64(uint32(len(ev.Payload)))}
	if err := run.call(ctx, inst.handle, stack); err != nil {
		st, msg := cs.classify(err)
		return st, msg, int64(inst.gas.Get())
	}
	left := int64(inst.gas.Get())
	if left < 0 {
		return StatusOutOfGas, "out of gas", left
	}
	if rc := int32(uint32(stack[0])); rc != 0 {
		return StatusError, fmt.Sprintf("handle returned %d", rc), left
	}
	return StatusOK, "", left
}

// copyPayload charges and writes the payload where alloc said.
func (run *blockRun) copyPayload(cs *callState, ptr uint32, payload []byte) (st Status, msg string, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			a, isAbort := r.(*abort)
			if !isAbort {
				panic(r)
			}
			st, msg, ok = a.status, a.msg, false
		}
	}()
	cs.charge(run.p.Host.Base, run.p.Host.PerByte, uint64(len(payload)))
	if len(payload) > 0 && !run.inst.mem.Write(ptr, payload) {
		cs.fail(StatusTrap, "alloc returned out-of-bounds pointer %d for %d bytes (memory is %d bytes)", ptr, len(payload), run.inst.mem.Size())
	}
	return StatusOK, "", true
}

func (run *blockRun) initFuncs() []string {
	var names []string
	if run.code.info.hasStart {
		names = append(names, ExportStart)
	}
	if run.code.info.hasInitialize {
		names = append(names, ExportInitialize)
	}
	return names
}

func (run *blockRun) instantiate(ctx context.Context, eventIndex int) (*instance, error) {
	mod, err := run.e.rt.InstantiateModule(ctx, run.code.mod, instanceConfig)
	if err != nil {
		return nil, err
	}
	inst := &instance{
		mod:         mod,
		mem:         mod.Memory(),
		alloc:       mod.ExportedFunction(ExportAlloc),
		handle:      mod.ExportedFunction(ExportHandle),
		rng:         newRandStream(run.block.Seed, run.input.ID, eventIndex),
		blockTimeNs: run.block.TimeMs * 1_000_000,
	}
	var ok1, ok2 bool
	inst.gas, ok1 = mod.ExportedGlobal(ExportGas).(api.MutableGlobal)
	inst.depth, ok2 = mod.ExportedGlobal(ExportDepth).(api.MutableGlobal)
	if !ok1 || !ok2 || inst.mem == nil || inst.alloc == nil || inst.handle == nil {
		_ = mod.Close(ctx)
		return nil, errors.New("instrumented module lacks its exports")
	}
	return inst, nil
}

// call invokes an exported function from the top of the call stack.
func (run *blockRun) call(ctx context.Context, fn api.Function, stack []uint64) error {
	run.inst.depth.Set(0)
	if stack == nil {
		stack = []uint64{}
	}
	return fn.CallWithStack(ctx, stack)
}

// classify turns a failed call into a deterministic status and message.
// wazero's messages carry engine-specific stack traces: only the first line
// ("wasm error: ...") is kept.
func (cs *callState) classify(err error) (Status, string) {
	if cs.failure != nil {
		return cs.failure.status, cs.failure.msg
	}
	if int64(cs.inst.gas.Get()) < 0 {
		return StatusOutOfGas, "out of gas"
	}
	if uint32(cs.inst.depth.Get()) > cs.p.MaxCallDepth {
		return StatusTrap, "call depth limit exceeded"
	}
	return StatusTrap, firstLine(err)
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
