//go:build wasip1

package w3b

import "unsafe"

//go:wasmimport w3b log
func hostLog(level int32, ptr unsafe.Pointer, n int32)

//go:wasmimport w3b event_device
func hostEventDevice(ptr unsafe.Pointer, capacity int32) int32

//go:wasmimport w3b event_stream
func hostEventStream() int64

//go:wasmimport w3b event_seq
func hostEventSeq() int64

//go:wasmimport w3b event_time
func hostEventTime() int64

//go:wasmimport w3b block_height
func hostBlockHeight() int64

//go:wasmimport w3b block_time
func hostBlockTime() int64

//go:wasmimport w3b config
func hostConfig(ptr unsafe.Pointer, capacity int32) int32

//go:wasmimport w3b state_get
func hostStateGet(kptr unsafe.Pointer, klen int32, vptr unsafe.Pointer, vcap int32) int32

//go:wasmimport w3b state_set
func hostStateSet(kptr unsafe.Pointer, klen int32, vptr unsafe.Pointer, vlen int32)

//go:wasmimport w3b state_delete
func hostStateDelete(kptr unsafe.Pointer, klen int32)

//go:wasmimport w3b emit
func hostEmit(tptr unsafe.Pointer, tlen int32, dptr unsafe.Pointer, dlen int32)

// inbound holds buffers handed out by alloc until handle takes them, so the
// garbage collector keeps them while the host writes into them.
var inbound = map[int32][]byte{}

//go:wasmexport alloc
func alloc(size int32) int32 {
	buf := make([]byte, size+1) // +1: a real address even for empty payloads
	ptr := int32(uintptr(unsafe.Pointer(&buf[0])))
	inbound[ptr] = buf
	return ptr
}

//go:wasmexport handle
func handle(ptr, n int32) int32 {
	buf, ok := inbound[ptr]
	if !ok {
		Log(LevelError, "w3b: handle called with a pointer alloc did not return")
		return 1
	}
	delete(inbound, ptr)
	return dispatch(buf[:n])
}

func bytesPtr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

func strPtr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

// readSized calls a copy-if-fits host function, growing the buffer once if
// the first guess was too small.
func readSized(call func(ptr unsafe.Pointer, capacity int32) int32, guess int) ([]byte, bool) {
	buf := make([]byte, guess)
	n := call(bytesPtr(buf), int32(len(buf)))
	if n < 0 {
		return nil, false
	}
	if int(n) > len(buf) {
		buf = make([]byte, n)
		n = call(bytesPtr(buf), int32(len(buf)))
	}
	return buf[:n], true
}

// Log writes a line to the instance's log (w3bd q applets logs).
func Log(level Level, msg string) { hostLog(int32(level), strPtr(msg), int32(len(msg))) }

// DeviceID is the id of the device that signed the current record, or
// "applet:<id>" for an output of another instance.
func DeviceID() string {
	b, _ := readSized(func(p unsafe.Pointer, c int32) int32 { return hostEventDevice(p, c) }, 64)
	return string(b)
}

// StreamID is the stream of the current record.
func StreamID() uint64 { return uint64(hostEventStream()) }

// Seq is the device's sequence number of the current record.
func Seq() uint64 { return uint64(hostEventSeq()) }

// EventTime is the current record's timestamp, ms since the Unix epoch.
func EventTime() int64 { return hostEventTime() }

// BlockHeight is the height of the block being executed.
func BlockHeight() int64 { return hostBlockHeight() }

// BlockTime is the time of the block being executed, ms since the Unix epoch.
func BlockTime() int64 { return hostBlockTime() }

// Config is the instance's config blob.
func Config() []byte {
	b, _ := readSized(func(p unsafe.Pointer, c int32) int32 { return hostConfig(p, c) }, 256)
	return b
}

// Get reads the instance's state at key.
func Get(key string) ([]byte, bool) {
	return readSized(func(p unsafe.Pointer, c int32) int32 {
		return hostStateGet(strPtr(key), int32(len(key)), p, c)
	}, 64)
}

// Set writes the instance's state at key (kept only if the event succeeds).
func Set(key string, value []byte) {
	hostStateSet(strPtr(key), int32(len(key)), bytesPtr(value), int32(len(value)))
}

// Delete removes key from the instance's state.
func Delete(key string) { hostStateDelete(strPtr(key), int32(len(key))) }

// Emit appends (topic, data) to the instance's output stream.
func Emit(topic string, data []byte) {
	hostEmit(strPtr(topic), int32(len(topic)), bytesPtr(data), int32(len(data)))
}
