package vm

import (
	"context"
	"github.com/tetratelabs/wazero"
	"testing"
	"time"
)

func shapeModule(body []byte, nlocals int) []byte {
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
	decl := []byte{0}
	if nlocals > 0 {
		decl = append(appendU32([]byte{1}, uint32(nlocals)), valI64)
	}
	f0 := append(decl, body...)
	b2 := []byte{0, 0x41, 0, 0x0b}
	return g.section(out, secCode, [][]byte{append(appendU32(nil, uint32(len(f0))), f0...), append(appendU32(nil, uint32(len(b2))), b2...)})
}
func TestZZShapes(t *testing.T) {
	shapes := map[string]func() ([]byte, int){
		"2M const/drop": func() ([]byte, int) {
			b := []byte{}
			for i := 0; i < 1_000_000; i++ {
				b = append(b, 0x41, 0, 0x1a)
			}
			return append(b, 0x41, 0, 0x0b), 0
		},
		"1M br_table targets": func() ([]byte, int) {
			b := []byte{0x02, 0x40, 0x41, 0, 0x0e}
			b = appendU32(b, 1_000_000)
			for i := 0; i < 1_000_000; i++ {
				b = append(b, 0)
			}
			return append(b, 0, 0x0b, 0x41, 0, 0x0b), 0
		},
		"4000 live locals x 200 calls": func() ([]byte, int) {
			b := []byte{}
			for i := 0; i < 4000; i++ {
				b = append(b, 0x42, 1, 0x21)
				b = appendU32(b, uint32(i+1))
			}
			for c := 0; c < 200; c++ {
				b = append(b, 0x20, 0, 0x10, 0, 0x1a)
			}
			b = append(b, 0x42, 0)
			for i := 0; i < 4000; i++ {
				b = append(b, 0x20)
				b = appendU32(b, uint32(i+1))
				b = append(b, 0x7c)
			}
			return append(b, 0xa7, 0x0b), 4000
		},
		"300k calls": func() ([]byte, int) {
			b := []byte{}
			for i := 0; i < 300_000; i++ {
				b = append(b, 0x20, 0, 0x10, 0, 0x1a)
			}
			return append(b, 0x41, 0, 0x0b), 0
		},
		"100k locals tees live": func() ([]byte, int) {
			b := []byte{}
			for i := 0; i < 4000; i++ {
				b = append(b, 0x42, 1)
			}
			for i := 0; i < 3999; i++ {
				b = append(b, 0x7c)
			}
			return append(b, 0xa7, 0x0b), 0
		},
	}
	for name, f := range shapes {
		body, nl := f()
		out := shapeModule(body, nl)
		t0 := time.Now()
		m, err := Instrument(out, DefaultParams())
		ti := time.Since(t0)
		if err != nil {
			t.Logf("%s: %v", name, err)
			continue
		}
		rt := wazero.NewRuntimeWithConfig(context.Background(), wazeroConfig(EngineCompiler))
		t0 = time.Now()
		_, err = rt.CompileModule(context.Background(), m)
		t.Logf("%-30s size %8d instrument %v compile %v err=%v", name, len(out), ti, time.Since(t0), err)
	}
}
