package vm

import (
	"fmt"
	"sort"
	"strings"
)

// Module names of the host ABI.
const (
	HostModule = "w3b"
	WASIModule = "wasi_snapshot_preview1"
)

// Names of the applet's required exports and of the exports the
// instrumenter adds (the "w3b_" prefix is reserved for the latter).
const (
	ExportMemory     = "memory"
	ExportAlloc      = "alloc"
	ExportHandle     = "handle"
	ExportInitialize = "_initialize" // Go (and other) reactors: run once per new instance
	ExportGas        = "w3b_gas"     // mutable i64: gas left; the host sets/reads it
	ExportDepth      = "w3b_depth"   // mutable i32: call-depth units in use
	ExportStart      = "w3b_start"   // the module's start function, moved out of instantiation
	reservedPrefix   = "w3b_"
)

type sig struct{ params, results []byte }

var (
	sigI32 = []byte{valI32}
	sigI64 = []byte{valI64}
)

func params(ts ...byte) []byte { return ts }

// hostImports are the w3b functions applets may import, with their types.
var hostImports = map[string]sig{
	"log":          {params(valI32, valI32, valI32), nil},
	"event_device": {params(valI32, valI32), sigI32},
	"event_stream": {nil, sigI64},
	"event_seq":    {nil, sigI64},
	"event_time":   {nil, sigI64},
	"block_height": {nil, sigI64},
	"block_time":   {nil, sigI64},
	"config":       {params(valI32, valI32), sigI32},
	"state_get":    {params(valI32, valI32, valI32, valI32), sigI32},
	"state_set":    {params(valI32, valI32, valI32, valI32), nil},
	"state_delete": {params(valI32, valI32), nil},
	"emit":         {params(valI32, valI32, valI32, valI32), nil},
}

// wasiImports is the deterministic wasi_snapshot_preview1 subset: exactly the
// functions a Go 1.26 GOOS=wasip1 c-shared module imports (measured:
// sched_yield, proc_exit, args_*, environ_*, clock_time_get, fd_write,
// random_get, poll_oneoff, fd_close, fd_read, fd_fdstat_get,
// fd_fdstat_set_flags, fd_prestat_get, fd_prestat_dir_name) plus
// clock_res_get and fd_seek, which the Go syscall package also binds.
var wasiImports = map[string]sig{
	"args_get":            {params(valI32, valI32), sigI32},
	"args_sizes_get":      {params(valI32, valI32), sigI32},
	"environ_get":         {params(valI32, valI32), sigI32},
	"environ_sizes_get":   {params(valI32, valI32), sigI32},
	"clock_time_get":      {params(valI32, valI64, valI32), sigI32},
	"clock_res_get":       {params(valI32, valI32), sigI32},
	"random_get":          {params(valI32, valI32), sigI32},
	"fd_write":            {params(valI32, valI32, valI32, valI32), sigI32},
	"fd_read":             {params(valI32, valI32, valI32, valI32), sigI32},
	"fd_close":            {params(valI32), sigI32},
	"fd_fdstat_get":       {params(valI32, valI32), sigI32},
	"fd_fdstat_set_flags": {params(valI32, valI32), sigI32},
	"fd_prestat_get":      {params(valI32, valI32), sigI32},
	"fd_prestat_dir_name": {params(valI32, valI32, valI32), sigI32},
	"fd_seek":             {params(valI32, valI64, valI32, valI32), sigI32},
	"proc_exit":           {params(valI32), nil},
	"sched_yield":         {nil, sigI32},
	"poll_oneoff":         {params(valI32, valI32, valI32, valI32), sigI32},
}

func disallowedImport(module, name, why string) error {
	return fmt.Errorf("%w %q.%q: %s", ErrDisallowedImport, module, name, why)
}

func allowedNames(m map[string]sig) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkImports enforces the import allow-list and the exact signatures.
func (m *module) checkImports() error {
	for _, im := range m.imports {
		var table map[string]sig
		switch im.module {
		case HostModule:
			table = hostImports
		case WASIModule:
			table = wasiImports
		default:
			return disallowedImport(im.module, im.name, "only modules \""+HostModule+"\" and \""+WASIModule+"\" may be imported")
		}
		want, ok := table[im.name]
		if !ok {
			return disallowedImport(im.module, im.name, "not provided (allowed: "+allowedNames(table)+")")
		}
		if !m.types[im.typeIdx].equal(want.params, want.results) {
			return disallowedImport(im.module, im.name, fmt.Sprintf("wrong signature %s, want %s",
				sigString(m.types[im.typeIdx].params, m.types[im.typeIdx].results), sigString(want.params, want.results)))
		}
	}
	return nil
}

func sigString(params, results []byte) string {
	name := func(ts []byte) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = map[byte]string{valI32: "i32", valI64: "i64", valF32: "f32", valF64: "f64"}[t]
		}
		return "(" + strings.Join(s, ",") + ")"
	}
	return name(params) + "->" + name(results)
}

// exportInfo is what the runtime needs to know about a module's exports.
type exportInfo struct {
	hasInitialize bool
}

// checkExports enforces the applet ABI: memory, alloc and handle with the
// right types, optional _initialize () -> (), no reserved names.
func (m *module) checkExports() (exportInfo, error) {
	var info exportInfo
	found := map[string]bool{}
	for _, e := range m.exports {
		if strings.HasPrefix(e.name, reservedPrefix) {
			return info, fmt.Errorf("%w: export %q uses the reserved prefix %q", ErrBadExport, e.name, reservedPrefix)
		}
		switch e.kind {
		case extFunc:
			if e.idx >= m.numFuncs() {
				return info, malformed("export %q: function index out of range", e.name)
			}
		case extTable:
			if e.idx >= m.numTables {
				return info, malformed("export %q: table index out of range", e.name)
			}
		case extMemory:
			if e.idx != 0 || !m.hasMemory {
				return info, malformed("export %q: memory index out of range", e.name)
			}
		case extGlobal:
			if e.idx >= m.numGlobals {
				return info, malformed("export %q: global index out of range", e.name)
			}
		default:
			return info, malformed("export %q: unknown kind %d", e.name, e.kind)
		}
		var want *sig
		switch e.name {
		case ExportMemory:
			if e.kind != extMemory {
				return info, fmt.Errorf("%w: %q must be a memory", ErrBadExport, e.name)
			}
		case ExportAlloc:
			want = &sig{sigI32, sigI32}
		case ExportHandle:
			want = &sig{params(valI32, valI32), sigI32}
		case ExportInitialize:
			want = &sig{nil, nil}
			info.hasInitialize = true
		}
		if want != nil {
			if e.kind != extFunc {
				return info, fmt.Errorf("%w: %q must be a function", ErrBadExport, e.name)
			}
			if t := m.funcType(e.idx); !t.equal(want.params, want.results) {
				return info, fmt.Errorf("%w: %q has type %s, want %s", ErrBadExport, e.name,
					sigString(t.params, t.results), sigString(want.params, want.results))
			}
		}
		found[e.name] = true
	}
	for _, name := range []string{ExportMemory, ExportAlloc, ExportHandle} {
		if !found[name] {
			return info, fmt.Errorf("%w: missing required export %q", ErrBadExport, name)
		}
	}
	return info, nil
}
