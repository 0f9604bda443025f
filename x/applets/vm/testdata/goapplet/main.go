// A minimal Go applet (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared).
// Each event stores what the Go runtime sees of time and randomness, so the
// tests can check that they are deterministic and equal to block time.
package main

import (
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"time"
	"unsafe"
)

//go:wasmimport w3b state_set
func stateSet(kptr unsafe.Pointer, klen int32, vptr unsafe.Pointer, vlen int32)

//go:wasmimport w3b block_time
func blockTime() int64

var payload []byte // kept alive between alloc and handle

//go:wasmexport alloc
func alloc(n int32) int32 {
	payload = make([]byte, n+1) // +1: a valid pointer even for empty payloads
	return int32(uintptr(unsafe.Pointer(&payload[0])))
}

func put(key string, val []byte) {
	k := []byte(key)
	if len(val) == 0 {
		val = []byte{0}
	}
	stateSet(unsafe.Pointer(&k[0]), int32(len(k)), unsafe.Pointer(&val[0]), int32(len(val)))
}

func i64(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }

//go:wasmexport handle
func handle(ptr, n int32) int32 {
	put("payload", payload[:n])
	put("time_ns", i64(time.Now().UnixNano()))
	put("block_ms", i64(blockTime()))
	var cr [16]byte
	if _, err := crand.Read(cr[:]); err != nil {
		return 1
	}
	put("crypto", cr[:])
	put("math", i64(rand.Int63()))
	fmt.Println("hello from go", n)

	// The scheduler and timers work on virtual time.
	ch := make(chan int64)
	go func() {
		time.Sleep(10 * time.Millisecond)
		ch <- time.Now().UnixNano()
	}()
	put("after_sleep_ns", i64(<-ch))
	return 0
}

// bench is a CPU workload for BenchmarkMeteringGo: sorting, hashing, maps,
// floats and string formatting, i.e. typical Go runtime-heavy code.
//
//go:wasmexport bench
func bench(n int32) int64 {
	x := uint32(12345)
	ints := make([]int, n)
	m := make(map[string]int, n)
	var f float64
	for i := range ints {
		x = x*1103515245 + 12345
		ints[i] = int(x >> 8)
		m[strconv.Itoa(ints[i]%997)] += i
		f += math.Sqrt(float64(ints[i])) / float64(i+1)
	}
	sort.Ints(ints)
	buf := make([]byte, 8*len(ints))
	for i, v := range ints {
		binary.LittleEndian.PutUint64(buf[8*i:], uint64(v))
	}
	sum := sha256.Sum256(buf)
	return int64(binary.LittleEndian.Uint64(sum[:])) ^ int64(len(m)) ^ int64(math.Float64bits(f))
}

func main() {}
