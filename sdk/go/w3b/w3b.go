// Package w3b is the Go SDK for w3bd applets: typed helpers over the host ABI
// (module "w3b", documented in x/applets/README.md).
//
// An applet registers a handler and has an empty main:
//
//	func init() { w3b.Handle(onReading) }
//	func main() {}
//
//	func onReading(payload []byte) error { ... }
//
// Build it as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o applet.wasm .
//
// Under GOOS=wasip1 the functions call the chain's host; on any other
// platform they act on an in-memory Host (see NewHost), so applet logic is
// unit-tested with ordinary `go test`.
package w3b

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Level is a log level.
type Level int32

// Log levels an applet uses with Log.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// Handler processes one record's payload. A non-nil error fails the event:
// its state writes and outputs are discarded and the error is logged.
type Handler func(payload []byte) error

var handler Handler

// Handle registers the applet's handler; call it from init.
func Handle(h Handler) { handler = h }

// dispatch runs the handler: 0 success, 1 failure (as the ABI's handle returns).
func dispatch(payload []byte) int32 {
	if handler == nil {
		Log(LevelError, "w3b: no handler registered (call w3b.Handle in init)")
		return 1
	}
	if err := handler(payload); err != nil {
		Log(LevelError, err.Error())
		return 1
	}
	return 0
}

// Logf logs a formatted message.
func Logf(level Level, format string, args ...any) { Log(level, fmt.Sprintf(format, args...)) }

// ConfigJSON decodes the instance's config (set at instantiation) into v.
func ConfigJSON(v any) error {
	cfg := Config()
	if len(cfg) == 0 {
		return errors.New("w3b: the instance has no config")
	}
	return json.Unmarshal(cfg, v)
}

// GetJSON decodes the value at key into v; false if the key is absent.
func GetJSON(key string, v any) (bool, error) {
	b, ok := Get(key)
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(b, v)
}

// SetJSON stores v as JSON at key.
func SetJSON(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	Set(key, b)
	return nil
}

// GetFloat64 reads a float stored by SetFloat64.
func GetFloat64(key string) (float64, bool) {
	b, ok := Get(key)
	if !ok || len(b) != 8 {
		return 0, false
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b)), true
}

// SetFloat64 stores f as 8 big-endian bytes (its IEEE 754 bits).
func SetFloat64(key string, f float64) {
	Set(key, binary.BigEndian.AppendUint64(nil, math.Float64bits(f)))
}

// EmitJSON emits v as JSON under topic.
func EmitJSON(topic string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	Emit(topic, b)
	return nil
}
