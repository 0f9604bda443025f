//go:build !wasip1

package w3b

import (
	"sort"
	"strings"
)

// Event is a record as the native Host delivers it.
type Event struct {
	Device string
	Stream uint64
	Seq    uint64
	TimeMs int64
}

// Output is one Emit seen by the native Host.
type Output struct {
	Topic string
	Data  []byte
}

// LogLine is one Log seen by the native Host.
type LogLine struct {
	Level   Level
	Message string
}

// Host runs an applet's handler natively, with the chain's semantics for
// state (a failed event's writes and outputs are discarded), for unit tests
// of applet logic.
type Host struct {
	State   map[string][]byte
	Cfg     []byte
	Height  int64
	TimeMs  int64
	Outputs []Output
	Logs    []LogLine

	event   Event
	pending map[string][]byte // this event's writes; nil value: deleted
	emitted []Output
}

// NewHost returns a host with empty state and the given config.
func NewHost(config []byte) *Host {
	return &Host{State: map[string][]byte{}, Cfg: config}
}

var current *Host

// Deliver runs the registered handler on one record, as the chain would.
func (h *Host) Deliver(ev Event, payload []byte) error {
	current = h
	h.event, h.pending, h.emitted = ev, map[string][]byte{}, nil
	defer func() { current = nil }()
	if dispatch(payload) != 0 {
		msg := "handler failed"
		if n := len(h.Logs); n > 0 {
			msg = h.Logs[n-1].Message
		}
		return &failure{msg}
	}
	keys := make([]string, 0, len(h.pending))
	for k := range h.pending {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := h.pending[k]; v != nil {
			h.State[k] = v
		} else {
			delete(h.State, k)
		}
	}
	h.Outputs = append(h.Outputs, h.emitted...)
	return nil
}

type failure struct{ msg string }

func (f *failure) Error() string { return "w3b: event failed: " + f.msg }

func host() *Host {
	if current == nil {
		panic("w3b: called outside Host.Deliver (natively, applets run through a w3b.Host)")
	}
	return current
}

// Log records a log line.
func Log(level Level, msg string) {
	h := host()
	h.Logs = append(h.Logs, LogLine{Level: level, Message: strings.Clone(msg)})
}

// DeviceID is the device of the current record.
func DeviceID() string { return host().event.Device }

// StreamID is the stream of the current record.
func StreamID() uint64 { return host().event.Stream }

// Seq is the sequence number of the current record.
func Seq() uint64 { return host().event.Seq }

// EventTime is the current record's timestamp in ms.
func EventTime() int64 { return host().event.TimeMs }

// BlockHeight is the host's block height.
func BlockHeight() int64 { return host().Height }

// BlockTime is the host's block time in ms.
func BlockTime() int64 { return host().TimeMs }

// Config is the host's config.
func Config() []byte { return host().Cfg }

// Get reads state, seeing this event's own writes first.
func Get(key string) ([]byte, bool) {
	h := host()
	if v, ok := h.pending[key]; ok {
		return v, v != nil
	}
	v, ok := h.State[key]
	return v, ok
}

// Set writes state for this event.
func Set(key string, value []byte) { host().pending[key] = append([]byte{}, value...) }

// Delete removes key for this event.
func Delete(key string) { host().pending[key] = nil }

// Emit records an output for this event.
func Emit(topic string, data []byte) {
	h := host()
	h.emitted = append(h.emitted, Output{Topic: topic, Data: append([]byte{}, data...)})
}
