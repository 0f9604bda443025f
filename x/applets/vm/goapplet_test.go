package vm

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

var goApplet struct {
	once sync.Once
	code []byte
	err  error
	out  string
}

// buildGoApplet compiles testdata/goapplet as a wasip1 reactor once per test
// binary; it skips when the go tool is unavailable or in -short mode.
func buildGoApplet(t testing.TB) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("building a Go wasip1 applet is slow; skipped in -short mode")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: this test compiles a Go wasip1 applet with it; it runs wherever Go is installed (CI always)")
	}
	goApplet.once.Do(func() {
		dir, err := os.MkdirTemp("", "w3b-goapplet")
		if err != nil {
			goApplet.err = err
			return
		}
		defer os.RemoveAll(dir)
		src, _ := filepath.Abs(filepath.Join("testdata", "goapplet"))
		out := filepath.Join(dir, "applet.wasm")
		cmd := exec.Command(goBin, "build", "-buildmode=c-shared", "-o", out, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOWORK=off", "GOFLAGS=-mod=mod")
		b, err := cmd.CombinedOutput()
		goApplet.out = string(b)
		if err != nil {
			goApplet.err = err
			return
		}
		goApplet.code, goApplet.err = os.ReadFile(out)
	})
	if goApplet.err != nil {
		t.Fatalf("building the Go applet: %v\n%s", goApplet.err, goApplet.out)
	}
	return goApplet.code
}

func TestGoAppletDeterministic(t *testing.T) {
	code := buildGoApplet(t)
	if err := Validate(code, DefaultParams()); err != nil {
		t.Fatalf("a Go wasip1 reactor must pass validation: %v", err)
	}
	const gas = 200_000_000
	events := []Event{ev("first"), ev("second")}
	var dumps []string
	var results []BlockResult
	for _, kind := range engineKinds {
		e := newTestEngine(t, kind, nil)
		for run := 0; run < 2; run++ {
			store := newMemStore()
			res := runBlock(t, e, code, gas, store, events...)
			for i, r := range res.Events {
				expectStatus(t, r, StatusOK, "")
				if len(r.Logs) == 0 || !strings.Contains(string(r.Logs[0].Message), "hello from go") {
					t.Fatalf("event %d: stdout not captured: %+v", i, r.Logs)
				}
			}
			blockNs := uint64(testBlock.TimeMs) * 1_000_000
			if got := binary.LittleEndian.Uint64(store.m["time_ns"]); got < blockNs || got > blockNs+uint64(1e9) {
				t.Fatalf("time.Now() = %d, block time = %d", got, blockNs)
			}
			if got := binary.LittleEndian.Uint64(store.m["block_ms"]); got != uint64(testBlock.TimeMs) {
				t.Fatalf("block_time = %d", got)
			}
			if bytes.Equal(store.m["crypto"], make([]byte, 16)) {
				t.Fatal("crypto/rand returned zeros")
			}
			dumps = append(dumps, store.dump())
			results = append(results, res)
		}
	}
	for i := 1; i < len(dumps); i++ {
		if dumps[i] != dumps[0] {
			t.Fatalf("state differs between runs/engines:\n%q\n%q", dumps[0], dumps[i])
		}
		if !reflect.DeepEqual(results[i], results[0]) {
			t.Fatalf("results differ between runs/engines:\n%+v\n%+v", results[0], results[i])
		}
	}
	t.Logf("gas: first event %d (includes instantiation + Go runtime init), second %d",
		results[0].Events[0].GasUsed, results[0].Events[1].GasUsed)
}

func TestGoAppletFirstEventTimeIsBlockTime(t *testing.T) {
	code := buildGoApplet(t)
	e := newTestEngine(t, EngineCompiler, nil)
	store := newMemStore()
	res := runBlock(t, e, code, 200_000_000, store, ev("x"))
	expectStatus(t, res.Events[0], StatusOK, "")
	// The runtime's first time.Now in a fresh instance, before any sleep.
	if got, want := binary.LittleEndian.Uint64(store.m["time_ns"]), uint64(testBlock.TimeMs)*1_000_000; got != want {
		t.Fatalf("time.Now() = %d, want block time %d", got, want)
	}
	if got, want := binary.LittleEndian.Uint64(store.m["after_sleep_ns"]), uint64(testBlock.TimeMs)*1_000_000+10_000_000; got < want {
		t.Fatalf("after a 10ms sleep time is %d, want >= %d", got, want)
	}
}
