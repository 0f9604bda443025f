package vm

import (
	"crypto/sha256"
	"fmt"
)

// CodeRef names an applet's code by the SHA-256 of its raw (uncompressed,
// uninstrumented) wasm. Load is called only when the engine has no compiled
// module for Hash; the engine checks the loaded bytes against Hash.
type CodeRef struct {
	Hash [32]byte
	Load func() ([]byte, error)
}

// CodeBytes is a CodeRef for code already in memory.
func CodeBytes(code []byte) CodeRef {
	return CodeRef{Hash: sha256.Sum256(code), Load: func() ([]byte, error) { return code, nil }}
}

// InstanceInput is the per applet-instance data of a block run.
type InstanceInput struct {
	ID          []byte // the instance's stable id; seeds its random stream
	Config      []byte // returned by w3b.config
	GasPerEvent uint64 // fresh gas for every event (<= Params.MaxGasPerEvent)
}

// BlockInfo is the consensus data of the block being executed.
type BlockInfo struct {
	Height int64
	TimeMs int64
	Seed   [32]byte // consensus randomness (e.g. derived from the block hash)
}

// Event is one verified sensor record delivered to an applet.
type Event struct {
	Device  string
	Stream  uint64
	Seq     uint64
	TimeMs  int64
	Payload []byte
}

// StateStore is the applet instance's key-value state, implemented by the
// keeper over its KV prefix. Different jobs get different stores; a store is
// used by one goroutine at a time.
type StateStore interface {
	Get(key []byte) (value []byte, found bool)
	Set(key, value []byte)
	Delete(key []byte)
}

// Status is the outcome of one event.
type Status uint8

const (
	StatusOK       Status = iota
	StatusOutOfGas        // gas ran out (GasUsed == GasPerEvent)
	StatusTrap            // wasm trap, host-call violation, proc_exit, call depth exceeded
	StatusError           // handle returned non-zero, or the code was rejected
)

func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusOutOfGas:
		return "out_of_gas"
	case StatusTrap:
		return "trap"
	case StatusError:
		return "error"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Log levels for stdout/stderr captured through wasi fd_write; w3b.log uses
// the applet's own (non-negative by convention) levels.
const (
	LogLevelStdout int32 = -1
	LogLevelStderr int32 = -2
)

type Log struct {
	Level   int32
	Message []byte
}

type Output struct {
	Topic []byte
	Data  []byte
}

// Write is one state change applied to the StateStore (Value nil = delete).
type Write struct {
	Key    []byte
	Value  []byte
	Delete bool
}

// EventResult is the consensus outcome of one event.
type EventResult struct {
	Status        Status
	GasUsed       uint64
	Error         string   // deterministic failure message ("" when ok)
	Logs          []Log    // kept for failed events too
	LogsTruncated bool     // MaxLogBytes was reached
	Outputs       []Output // only for ok events
	Writes        []Write  // applied writes, sorted by key; only for ok events
}

// BlockResult is the outcome of one applet instance in one block.
type BlockResult struct {
	Events  []EventResult
	GasUsed uint64
	Err     error // RunInstances only: the engine failed (not a consensus outcome)
}

// Job is one RunBlock invocation for RunInstances.
type Job struct {
	Code     CodeRef
	Instance InstanceInput
	Block    BlockInfo
	Events   []Event
	State    StateStore
}
