// Package gateway is the node's service endpoint for devices: an embedded
// MQTT broker (3.1.1 and 5) and an HTTP server that take device-signed
// envelopes, check them early with the chain's own rules, spool them durably
// before acknowledging receipt, batch them into MsgPublish transactions, and
// tell each device when its reading is committed or why it was rejected.
//
// Data path:
//
//	MQTT w3b/v1/streams/<stream>/devices/<device> | POST /v1/envelopes
//	  -> Checker (signature, device, project, seq, size: x/streams reason codes)
//	  -> spool.Append (fsync; only then PUBACK / 202)
//	  -> lane (device hash) -> batch (size, window) -> submitter (unordered txs,
//	     several in flight per lane, each envelope with its after_seq)
//	  -> block watcher (tx results: per-envelope verdicts; out_of_order sent again)
//	  -> ack on w3b/v1/acks/<device>, HTTP status, metrics
//
// Nothing is lost: after a crash the spool's pending envelopes are submitted
// again; the chain rejects the ones already committed as stale_seq, and the
// gateway reports those committed once it has found the same envelope on chain.
package gateway
