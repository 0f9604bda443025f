package vm

import (
	"context"
	"github.com/tetratelabs/wazero"
	"testing"
	"time"
)

func nestModule(n int, flat bool) []byte {
	body := []byte{0}
	for i := 0; i < n; i++ {
		body = append(body, 0x02, 0x40)
		if flat {
			body = append(body, 0x0b)
		}
	}
	if !flat {
		for i := 0; i < n; i++ {
			body = append(body, 0x0b)
		}
	}
	body = append(body, 0x41, 0, 0x0b)
	g := &modGen{}
	out := append([]byte(nil), wasmMagic...)
	out = g.section(out, secType, [][]byte{{0x60, 1, valI32, 1, valI32}, {0x60, 2, valI32, valI32, 1, valI32}})
	out = g.section(out, secFunction, [][]byte{{0}, {1}})
	out = g.section(out, secMemory, [][]byte{{0, 1}})
	exp := func(name string, kind byte, idx uint32) []byte {
		e := appendU32(nil, uint32(len(name)))
		e = append(e, name...)
		return appendU32(append(e, kind), idx)
	}
	out = g.section(out, secExport, [][]byte{exp("alloc", 0, 0), exp("handle", 0, 1), exp("memory", 2, 0)})
	b2 := []byte{0, 0x41, 0, 0x0b}
	return g.section(out, secCode, [][]byte{append(appendU32(nil, uint32(len(body))), body...), append(appendU32(nil, uint32(len(b2))), b2...)})
}
func TestZZNesting(t *testing.T) {
	for _, c := range []struct {
		n    int
		flat bool
	}{{2000, false}, {5000, false}, {20000, false}, {20000, true}, {200000, true}} {
		out := nestModule(c.n, c.flat)
		m, _ := Instrument(out, DefaultParams())
		for name, code := range map[string][]byte{"plain": out, "metered": m} {
			rt := wazero.NewRuntimeWithConfig(context.Background(), wazeroConfig(EngineCompiler))
			t0 := time.Now()
			_, err := rt.CompileModule(context.Background(), code)
			t.Logf("n=%d flat=%v %s compile %v err=%v", c.n, c.flat, name, time.Since(t0), err)
		}
	}
}
