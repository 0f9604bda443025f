// Package vm is w3bd's SDK-free applet execution engine: it validates and
// instruments developers' WebAssembly ("applets") and runs them over
// verified sensor records, deterministically and metered by gas, on wazero.
//
// # Pipeline
//
//	Validate / Instrument  upload-time check + rewrite (pure, versioned by InstrumenterVersion)
//	Engine                 compile once per code hash (memory LRU + optional disk cache)
//	Engine.RunBlock        one applet instance, one block, events in record order
//	Engine.RunInstances    many instances in a bounded worker pool, results in job order
//
// The instrumentation rules (segments, checks, call depth, NaN
// canonicalisation) are documented in instrument_body.go and README.md.
//
// # Consensus rules of execution
//
// Everything below is part of consensus: changing it changes gas and
// results, so it may only change together with InstrumenterVersion or a
// chain upgrade.
//
// Instance lifecycle. For each (block, applet instance) RunBlock starts with
// no module instance. Events are processed strictly in the order given
// (record order). The first event that finds no live instance creates one:
// it pays Host.Instantiate + Host.InstPerPage * (initial memory pages) and
// then the metered execution of the module's start function (moved to the
// w3b_start export) and of _initialize (Go reactors), all out of that
// event's GasPerEvent, followed by its own alloc + handle. The instance is
// then reused for the following events of the block. After ANY failed event
// (out of gas, trap, handle returning non-zero, host-call violation) the
// instance is discarded, so the next event creates a fresh one (and pays
// for it again). The instance is always discarded at the end of RunBlock:
// nothing survives across blocks except the StateStore.
//
// Per event: the gas global is set to GasPerEvent (minus the instantiation
// cost when the event creates the instance); the payload is copied into
// memory obtained from alloc(len) (charged Host.Base + Host.PerByte*len);
// handle(ptr, len) runs. GasUsed = GasPerEvent - gas left, or GasPerEvent
// when the event ran out of gas (gas left < 0 at any point, including after
// handle returns). State writes go to an overlay that is applied to the
// StateStore, in key order, only if the event succeeds; outputs are kept
// only on success; logs are kept in every case (bounded by MaxLogBytes).
// Failure messages are deterministic: wazero stack traces are stripped.
//
// Determinism of the environment: wasi clocks read the block time (plus
// virtual time advanced by poll_oneoff sleeps); random_get reads a SHA-256
// counter stream keyed by (block seed, instance id, index of the event that
// created the instance); there are no args, no environment, no files;
// proc_exit aborts the event. NaN results are canonicalised, so float bits
// are identical on every CPU and in both wazero engines.
//
// # Errors
//
// RunBlock's error return means the engine could not run the block (code
// not loadable or not compilable, context cancelled): it is not a consensus
// outcome and the caller must discard the StateStore's writes. Code rejected
// by the instrumenter (e.g. after a parameter change) is a consensus outcome:
// every event fails with StatusError and uses no gas.
package vm
