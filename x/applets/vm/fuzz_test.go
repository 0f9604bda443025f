package vm

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
)

var fuzzRuntime struct {
	once sync.Once
	rt   wazero.Runtime
}

// FuzzInstrument: Instrument must never panic, must be deterministic, and
// whenever it accepts a module its output must compile in wazero.
//
//	go test ./x/applets/vm -run '^$' -fuzz FuzzInstrument -fuzztime 60s
func FuzzInstrument(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.wasm"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	p := DefaultParams()
	p.MaxCodeBytes = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Instrument(data, p)
		if err != nil {
			if !isValidationError(err) && err.Error() == "" {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		again, err := Instrument(data, p)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatal("Instrument is not deterministic")
		}
		fuzzRuntime.once.Do(func() {
			fuzzRuntime.rt = wazero.NewRuntimeWithConfig(context.Background(),
				wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(wazeroFeatures))
		})
		cm, err := fuzzRuntime.rt.CompileModule(context.Background(), out)
		if err != nil {
			t.Fatalf("instrumented output does not compile: %v", err)
		}
		_ = cm.Close(context.Background())
	})
}
