// Package spool is the gateway's durable inbox: every device-signed reading
// (envelope) is written and fsynced here before the gateway acknowledges
// it, and stays here until the chain has committed or rejected it. After a
// crash — SIGKILL at any instant included — Open rebuilds the state and
// Pending lists what to resubmit; the chain's per-device sequence check
// discards resubmissions of readings that did make it.
//
// It depends on the standard library only (no Cosmos SDK).
//
// # Durability contract
//
//   - Append returns after the items are fsynced. Concurrent Appends share
//     one write and one fsync (group commit), so throughput is bounded by
//     fsyncs per second times the batch size, not by fsync latency.
//   - State transitions (MarkSubmitted, MarkCommitted, MarkRejected) are
//     applied in memory at once and written lazily: with the next group
//     commit, Sync, Close, or within Options.FlushInterval. A crash may lose
//     the latest ones; the items are then merely resubmitted. A transition
//     that was fsynced survives, and an item whose final state was fsynced
//     is never resurrected as pending.
//   - After a failed write or fsync the Spool refuses further work (the
//     kernel may have dropped the unwritten pages; retrying could claim
//     durability falsely). Reopen it.
//
// # On-disk format (version 1)
//
// A spool directory holds a LOCK file (flock, one process at a time) and
// segment files seg-<20-digit number>.log, numbered consecutively. A
// segment is created as seg-N.log.tmp, its header fsynced, renamed into
// place and the directory fsynced; a leftover .tmp file is deleted by Open.
//
//	segment header, 24 bytes:
//	  magic "W3BDSPOL" | version u32 LE (=1) | segment number u64 LE | crc32c(bytes 0..20) u32 LE
//	records, back to back:
//	  body length u32 LE | crc32c(length bytes ‖ body) u32 LE | body
//
// CRC32C is the Castagnoli polynomial. A body starts with its type;
// integers are (u)varints, strings and bytes are uvarint-length-prefixed,
// times are Unix nanoseconds (0 for the zero time):
//
//	1 item        ordinal, device, seq, received, updated, status u8, tx hash, height, reason, data
//	2 submitted   updated, tx hash,          n, n × (device, seq)
//	3 committed   updated, height, tx hash,  n, n × (device, seq)
//	4 rejected    updated, reason,           n, n × (device, seq)
//
// An item record carries an item's full state: Append writes one, and so
// does compaction when it carries a pending item forward. Replay applies
// records in log order; the latest item record of a key replaces any
// earlier state, and a transition applies to a known, non-final key only
// (exactly the rule Mark calls follow). The ordinal is the receive order,
// kept across carry-forwards, so Pending is in receive order after a
// restart too.
//
// # Recovery
//
// Open replays all segments oldest first. A record that is incomplete,
// has an implausible length or fails its CRC is:
//
//   - a torn tail, cut off (file truncated, fsynced; see Recovery), if it is
//     in the last segment and no valid record starts anywhere after it — a
//     crash interrupts only the final write, so nothing valid follows;
//   - otherwise corruption of fsynced data: replay stops and Open returns a
//     *CorruptError naming the segment file and byte offset, modifying
//     nothing. Dropping what follows would silently lose acknowledged
//     readings, so that is left to an operator.
//
// A segment header with another version fails Open with "unsupported spool
// format version N"; a gap in segment numbers fails Open too (replaying
// across a missing segment could resurrect final items).
//
// # Compaction
//
// Segments rotate at Options.MaxSegmentBytes, after the full one has been
// fsynced. Segments are deleted oldest first only, and only when none of
// their items is still pending (every record about an item follows its
// latest item record, so dropping a prefix of the log never separates a
// pending record from the later record that finalized it). Pending items
// in old segments are carried forward — rewritten into the active segment —
// for the longest prefix of sealed segments whose live bytes are at most
// half its size, excluding the newest sealed segment's items (usually still
// in flight). A deletion happens only after the carried copies and all
// transitions written before it are fsynced (planCompaction, flush.go).
package spool
