package vm

import (
	"context"
	"encoding/binary"

	"github.com/tetratelabs/wazero/api"
)

// Deterministic wasi_snapshot_preview1 subset. There is no filesystem, no
// arguments and no environment; clocks read the block time (plus virtual
// time advanced by sleeps); random_get reads the instance's consensus-seeded
// stream; stdout/stderr go to the event's bounded, gas-charged log;
// proc_exit aborts the event.

// WASI errno values used here.
const (
	errnoSuccess = 0
	errnoBadf    = 8
	errnoInval   = 28
	errnoSpipe   = 70
)

const (
	wasiClockRealtime  = 0
	wasiClockMonotonic = 1
)

// nowNs is the instance's clock: block time plus virtual sleep time. Both
// realtime and monotonic clocks read it, so time.Now() == block time until
// the applet sleeps.
func (cs *callState) nowNs() int64 { return cs.inst.blockTimeNs + cs.inst.sleptNs }

func (cs *callState) putU32(mod api.Module, fn string, ptr, v uint32) {
	if !mod.Memory().WriteUint32Le(ptr, v) {
		cs.fail(StatusTrap, "%s: pointer out of bounds (ptr=%d)", fn, ptr)
	}
}

func (cs *callState) putU64(mod api.Module, fn string, ptr uint32, v uint64) {
	if !mod.Memory().WriteUint64Le(ptr, v) {
		cs.fail(StatusTrap, "%s: pointer out of bounds (ptr=%d)", fn, ptr)
	}
}

// readArray reads count records of size bytes, checking the product
// against the memory size before it can overflow 32 bits.
func (cs *callState) readArray(mod api.Module, fn string, ptr, count, size uint32) []byte {
	if uint64(count)*uint64(size) > uint64(mod.Memory().Size()) {
		cs.fail(StatusTrap, "%s: pointer out of bounds (ptr=%d, %d records of %d bytes)", fn, ptr, count, size)
	}
	return cs.read(mod, fn, ptr, count*size)
}

// emptyList serves args_sizes_get and environ_sizes_get: zero entries.
func emptyList(name string) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		cs.putU32(mod, name, i32(s[0]), 0)
		cs.putU32(mod, name, i32(s[1]), 0)
		s[0] = errnoSuccess
	}
}

// constErrno serves calls that only return an errno (after charging).
func constErrno(errno uint64) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		s[0] = errno
	}
}

// stdioOr returns okErrno for fds 0-2 and EBADF for anything else.
func stdioOr(okErrno uint64) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		if i32(s[0]) <= 2 {
			s[0] = okErrno
		} else {
			s[0] = errnoBadf
		}
	}
}

var wasiFuncs = map[string]api.GoModuleFunc{
	"args_sizes_get":    emptyList("args_sizes_get"),
	"environ_sizes_get": emptyList("environ_sizes_get"),
	"args_get":          constErrno(errnoSuccess),
	"environ_get":       constErrno(errnoSuccess),
	"sched_yield":       constErrno(errnoSuccess),
	"fd_prestat_get":    constErrno(errnoBadf), // no preopened directories
	"fd_prestat_dir_name": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		s[0] = errnoBadf
	},
	"fd_close":            stdioOr(errnoSuccess),
	"fd_fdstat_set_flags": stdioOr(errnoSuccess),
	"fd_seek":             stdioOr(errnoSpipe),

	"clock_time_get": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		switch i32(s[0]) {
		case wasiClockRealtime, wasiClockMonotonic:
			cs.putU64(mod, "clock_time_get", i32(s[2]), uint64(cs.nowNs()))
			s[0] = errnoSuccess
		default:
			s[0] = errnoInval
		}
	},
	"clock_res_get": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		switch i32(s[0]) {
		case wasiClockRealtime, wasiClockMonotonic:
			cs.putU64(mod, "clock_res_get", i32(s[1]), 1)
			s[0] = errnoSuccess
		default:
			s[0] = errnoInval
		}
	},
	"random_get": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		n := i32(s[1])
		cs.charge(cs.p.Host.Base, cs.p.Host.PerByte, uint64(n))
		if _, ok := mod.Memory().Read(i32(s[0]), n); !ok {
			cs.fail(StatusTrap, "random_get: pointer out of bounds (ptr=%d len=%d)", i32(s[0]), n)
		}
		buf := make([]byte, n)
		cs.inst.rng.read(buf)
		cs.write(mod, "random_get", i32(s[0]), buf)
		s[0] = errnoSuccess
	},
	"fd_write": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		fd, iovs, iovsLen, nwritten := i32(s[0]), i32(s[1]), i32(s[2]), i32(s[3])
		cs.charge(cs.p.Host.Base, cs.p.Host.PerByte, 8*uint64(iovsLen))
		if fd != 1 && fd != 2 {
			s[0] = errnoBadf
			return
		}
		vec := cs.readArray(mod, "fd_write", iovs, iovsLen, 8)
		var msg []byte
		var total uint64
		for i := uint32(0); i < iovsLen; i++ {
			ptr := binary.LittleEndian.Uint32(vec[8*i:])
			n := binary.LittleEndian.Uint32(vec[8*i+4:])
			cs.charge(0, cs.p.Host.PerByte, uint64(n))
			b := cs.read(mod, "fd_write", ptr, n)
			total += uint64(n)
			if uint64(len(msg)) < uint64(cs.p.MaxLogBytes) {
				msg = append(msg, b...)
			}
		}
		level := LogLevelStdout
		if fd == 2 {
			level = LogLevelStderr
		}
		cs.addLog(level, msg)
		cs.putU32(mod, "fd_write", nwritten, uint32(total))
		s[0] = errnoSuccess
	},
	"fd_read": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		if i32(s[0]) != 0 {
			s[0] = errnoBadf
			return
		}
		cs.putU32(mod, "fd_read", i32(s[3]), 0) // stdin is always at EOF
		s[0] = errnoSuccess
	},
	"fd_fdstat_get": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.charge(cs.p.Host.Base, 0, 0)
		fd := i32(s[0])
		if fd > 2 {
			s[0] = errnoBadf
			return
		}
		// fdstat: filetype u8 (2 = character device), flags u16, rights_base u64, rights_inheriting u64
		var st [24]byte
		st[0] = 2
		if fd == 0 {
			binary.LittleEndian.PutUint64(st[8:], 1<<1) // fd_read
		} else {
			binary.LittleEndian.PutUint64(st[8:], 1<<6) // fd_write
		}
		cs.write(mod, "fd_fdstat_get", i32(s[1]), st[:])
		s[0] = errnoSuccess
	},
	"proc_exit": func(ctx context.Context, mod api.Module, s []uint64) {
		cs := stateOf(ctx)
		cs.fail(StatusTrap, "proc_exit(%d)", int32(i32(s[0])))
	},
	"poll_oneoff": pollOneoff,
}

// pollOneoff: fd subscriptions complete at once with EBADF; otherwise the
// earliest clock subscription fires after advancing the virtual clock to
// its deadline (a sleep costs no wall time and is fully deterministic).
func pollOneoff(ctx context.Context, mod api.Module, s []uint64) {
	cs := stateOf(ctx)
	in, out, nsubs, neventsPtr := i32(s[0]), i32(s[1]), i32(s[2]), i32(s[3])
	cs.charge(cs.p.Host.Base, cs.p.Host.PerByte, 48*uint64(nsubs))
	if nsubs == 0 {
		s[0] = errnoInval
		return
	}
	subs := cs.readArray(mod, "poll_oneoff", in, nsubs, 48)
	now := cs.nowNs()
	type ev struct {
		userdata uint64
		errno    uint16
		typ      byte
	}
	var fdEvents, clockEvents []ev
	earliest := int64(-1)
	deadlines := make([]int64, nsubs)
	for i := uint32(0); i < nsubs; i++ {
		sub := subs[48*i : 48*i+48]
		userdata := binary.LittleEndian.Uint64(sub[0:])
		switch tag := sub[8]; tag {
		case 0: // clock
			timeout := int64(binary.LittleEndian.Uint64(sub[24:]))
			flags := binary.LittleEndian.Uint16(sub[40:])
			deadline := now + timeout
			if flags&1 != 0 { // absolute time
				deadline = timeout
			}
			if deadline < now || timeout < 0 {
				deadline = now
			}
			deadlines[i] = deadline
			if earliest < 0 || deadline < earliest {
				earliest = deadline
			}
		case 1, 2: // fd_read, fd_write
			deadlines[i] = -1
			fdEvents = append(fdEvents, ev{userdata, errnoBadf, tag})
		default:
			s[0] = errnoInval
			return
		}
	}
	events := fdEvents
	if len(events) == 0 {
		cs.inst.sleptNs += earliest - now
		for i := uint32(0); i < nsubs; i++ {
			if deadlines[i] >= 0 && deadlines[i] <= earliest {
				clockEvents = append(clockEvents, ev{binary.LittleEndian.Uint64(subs[48*i:]), errnoSuccess, 0})
			}
		}
		events = clockEvents
	}
	buf := make([]byte, 32*len(events))
	for i, e := range events {
		binary.LittleEndian.PutUint64(buf[32*i:], e.userdata)
		binary.LittleEndian.PutUint16(buf[32*i+8:], e.errno)
		buf[32*i+10] = e.typ
	}
	cs.write(mod, "poll_oneoff", out, buf)
	cs.putU32(mod, "poll_oneoff", neventsPtr, uint32(len(events)))
	s[0] = errnoSuccess
}
