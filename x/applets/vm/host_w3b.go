package vm

import (
	"context"
	"math"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// registerHostModules instantiates the "w3b" and "wasi_snapshot_preview1"
// host modules in rt. Host functions find the event through ctx.
func registerHostModules(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(HostModule)
	add := func(b wazero.HostModuleBuilder, table map[string]sig, name string, fn api.GoModuleFunc) {
		s := table[name]
		b.NewFunctionBuilder().WithGoModuleFunction(fn, valueTypes(s.params), valueTypes(s.results)).Export(name)
	}
	for name, fn := range w3bFuncs {
		add(b, hostImports, name, fn)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return err
	}
	w := rt.NewHostModuleBuilder(WASIModule)
	for name, fn := range wasiFuncs {
		add(w, wasiImports, name, fn)
	}
	_, err := w.Instantiate(ctx)
	return err
}

func valueTypes(ts []byte) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t) // wasm encodings equal wazero's ValueType values
	}
	return out
}

// read copies n bytes at ptr out of guest memory or aborts the event.
func (cs *callState) read(mod api.Module, fn string, ptr, n uint32) []byte {
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		cs.fail(StatusTrap, "%s: pointer out of bounds (ptr=%d len=%d, memory is %d bytes)", fn, ptr, n, mod.Memory().Size())
	}
	return append([]byte(nil), b...)
}

func (cs *callState) write(mod api.Module, fn string, ptr uint32, data []byte) {
	if !mod.Memory().Write(ptr, data) {
		cs.fail(StatusTrap, "%s: pointer out of bounds (ptr=%d len=%d, memory is %d bytes)", fn, ptr, len(data), mod.Memory().Size())
	}
}

// copyIfFits implements the (ptr, cap) -> len convention: the length is
// always returned, the bytes are copied only when they fit.
func (cs *callState) copyIfFits(mod api.Module, fn string, ptr, cap uint32, data []byte) uint64 {
	cs.charge(cs.p.Host.Base, cs.p.Host.PerByte, uint64(len(data)))
	if uint64(len(data)) <= uint64(cap) && len(data) > 0 {
		cs.write(mod, fn, ptr, data)
	}
	return uint64(uint32(len(data)))
}

func (cs *callState) addLog(level int32, msg []byte) {
	max := uint64(cs.p.MaxLogBytes)
	if cs.logBytes+uint64(len(msg)) > max {
		msg = msg[:max-cs.logBytes]
		cs.logsTruncated = true
	}
	if len(msg) == 0 {
		return
	}
	cs.logBytes += uint64(len(msg))
	cs.logs = append(cs.logs, Log{Level: level, Message: msg})
}

func i32(v uint64) uint32 { return uint32(v) }

var w3bFuncs = map[string]api.GoModuleFunc{
	"log": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		n := i32(s[2])
		cs.charge(cs.p.Host.Base, cs.p.Host.PerByte, uint64(n))
		cs.addLog(int32(i32(s[0])), cs.read(mod, "log", i32(s[1]), n))
	},
	"event_device": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		s[0] = cs.copyIfFits(mod, "event_device", i32(s[0]), i32(s[1]), []byte(cs.event.Device))
	},
	"event_stream": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		s[0] = cs.event.Stream
	},
	"event_seq": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		s[0] = cs.event.Seq
	},
	"event_time": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		s[0] = uint64(cs.event.TimeMs)
	},
	"block_height": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		s[0] = uint64(cs.block.Height)
	},
	"block_time": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		s[0] = uint64(cs.block.TimeMs)
	},
	"config": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		s[0] = cs.copyIfFits(mod, "config", i32(s[0]), i32(s[1]), cs.input.Config)
	},
	"state_get": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		klen := i32(s[1])
		if klen > cs.p.MaxKeyBytes {
			cs.fail(StatusTrap, "state_get: key of %d bytes exceeds %d", klen, cs.p.MaxKeyBytes)
		}
		cs.charge(cs.p.Host.StateRead, cs.p.Host.StateReadPB, uint64(klen))
		key := cs.read(mod, "state_get", i32(s[0]), klen)
		v, found := cs.state.get(key)
		if !found {
			s[0] = uint64(uint32(0xffffffff)) // -1
			return
		}
		cs.charge(0, cs.p.Host.StateReadPB, uint64(len(v)))
		if uint64(len(v)) <= uint64(i32(s[3])) && len(v) > 0 {
			cs.write(mod, "state_get", i32(s[2]), v)
		}
		if len(v) > math.MaxInt32 {
			cs.fail(StatusTrap, "state_get: value too large")
		}
		s[0] = uint64(uint32(len(v)))
	},
	"state_set": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		klen, vlen := i32(s[1]), i32(s[3])
		if klen > cs.p.MaxKeyBytes || vlen > cs.p.MaxValueBytes {
			cs.fail(StatusTrap, "state_set: key (%d bytes, max %d) or value (%d bytes, max %d) too large", klen, cs.p.MaxKeyBytes, vlen, cs.p.MaxValueBytes)
		}
		cs.charge(cs.p.Host.StateWrite, cs.p.Host.StateWritePB, uint64(klen)+uint64(vlen))
		key := cs.read(mod, "state_set", i32(s[0]), klen)
		cs.state.set(key, cs.read(mod, "state_set", i32(s[2]), vlen))
	},
	"state_delete": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		klen := i32(s[1])
		if klen > cs.p.MaxKeyBytes {
			cs.fail(StatusTrap, "state_delete: key of %d bytes exceeds %d", klen, cs.p.MaxKeyBytes)
		}
		cs.charge(cs.p.Host.StateWrite, cs.p.Host.StateWritePB, uint64(klen))
		cs.state.delete(cs.read(mod, "state_delete", i32(s[0]), klen))
	},
	"emit": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		tlen, dlen := i32(s[1]), i32(s[3])
		if tlen > cs.p.MaxTopicBytes || dlen > cs.p.MaxOutputBytes {
			cs.fail(StatusTrap, "emit: topic (%d bytes, max %d) or data (%d bytes, max %d) too large", tlen, cs.p.MaxTopicBytes, dlen, cs.p.MaxOutputBytes)
		}
		if uint32(len(cs.outputs)) >= cs.p.MaxOutputsPerEvent {
			cs.fail(StatusTrap, "emit: more than %d outputs in one event", cs.p.MaxOutputsPerEvent)
		}
		cs.charge(cs.p.Host.Emit, cs.p.Host.EmitPB, uint64(tlen)+uint64(dlen))
		topic := cs.read(mod, "emit", i32(s[0]), tlen)
		cs.outputs = append(cs.outputs, Output{Topic: topic, Data: cs.read(mod, "emit", i32(s[2]), dlen)})
	},
}
