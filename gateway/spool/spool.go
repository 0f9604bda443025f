package spool

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Key identifies an item: a device's sequence number is unique per device,
// so (device, seq) names one reading across retries and restarts.
type Key struct {
	Device string
	Seq    uint64
}

func (k Key) String() string { return fmt.Sprintf("%s/%d", k.Device, k.Seq) }

// Status is where an item is in its lifecycle:
// Received → (Submitted)* → Committed | Rejected.
type Status uint8

const (
	Received  Status = iota + 1 // durable in the spool, not yet in a transaction
	Submitted                   // broadcast in a transaction (TxHash), outcome unknown
	Committed                   // final: included in a block (Height, TxHash)
	Rejected                    // final: refused (Reason); will not be retried
)

// Final reports whether s is an end state. Final items leave Pending and
// may be forgotten; non-final ones are resubmitted after a restart.
func (s Status) Final() bool { return s == Committed || s == Rejected }

func (s Status) String() string {
	switch s {
	case Received:
		return "received"
	case Submitted:
		return "submitted"
	case Committed:
		return "committed"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Record is an item and its state.
//
// On Append only Key, Data and ReceivedAt are read; the spool sets the rest.
// Data returned by Get and Pending is shared with the spool and must not be
// modified. Data is released when an item becomes final (the chain holds the
// envelope then), so Get of a final item returns its status without Data.
type Record struct {
	Key        Key
	Data       []byte    // opaque: the protobuf-encoded envelope
	ReceivedAt time.Time // when the gateway received it (caller's clock)
	Status     Status
	TxHash     string // Submitted, Committed
	Height     int64  // Committed
	Reason     string // Rejected
	Updated    time.Time
}

// Options tune a Spool. The zero value gives the defaults.
type Options struct {
	// MaxSegmentBytes rotates the log to a new segment file once the active
	// one reaches this size (default 64 MiB). Only whole segments are
	// reclaimed, so this is the granularity of disk reuse.
	MaxSegmentBytes int64

	// GroupCommitWindow is the longest an Append waits for others to join
	// its fsync (default 2ms; negative: never wait). Appends arriving while
	// an fsync is in progress always share the next one; the window only
	// adds a wait, measured from the oldest waiting Append, while fewer
	// Appends wait than joined the previous fsync — so a lone caller, or
	// callers that all already arrived, are not held back, and under load
	// (fsync longer than the window) it adds nothing.
	GroupCommitWindow time.Duration

	// RetainFinal is how many final items stay queryable by Get, oldest
	// finalized forgotten first (default 100k; negative: none).
	RetainFinal int

	// FlushInterval bounds how long a lazily written state transition stays
	// unsynced when no Append or Sync comes along (default 1s; negative:
	// only the next group commit, Sync or Close writes it).
	FlushInterval time.Duration

	// NoSync skips fsync. Tests and benchmarks only: a crash of the machine
	// (not just of the process) can then lose acknowledged items.
	NoSync bool
}

const (
	defaultMaxSegmentBytes   = 64 << 20
	defaultGroupCommitWindow = 2 * time.Millisecond
	defaultRetainFinal       = 100_000
	defaultFlushInterval     = time.Second

	// flushBytes makes Mark calls kick the flusher rather than let lazily
	// written transitions pile up in memory until the next tick.
	flushBytes = 1 << 20
)

func (o Options) withDefaults() Options {
	if o.MaxSegmentBytes <= 0 {
		o.MaxSegmentBytes = defaultMaxSegmentBytes
	}
	if o.GroupCommitWindow == 0 {
		o.GroupCommitWindow = defaultGroupCommitWindow
	}
	if o.RetainFinal == 0 {
		o.RetainFinal = defaultRetainFinal
	} else if o.RetainFinal < 0 {
		o.RetainFinal = 0
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = defaultFlushInterval
	}
	return o
}

var (
	// ErrClosed is returned by calls on a closed Spool.
	ErrClosed = errors.New("spool: closed")
)

// CorruptError reports a damaged record found by Open: a record that fails
// its checksum (or does not decode) anywhere but in the torn tail of the
// last segment. Replay stops there and Open fails rather than silently drop
// acknowledged items that follow it; an operator decides (truncating the
// segment at Offset discards everything after it, in that segment and —
// they then have no predecessor to follow — in the segments after it).
type CorruptError struct {
	Segment string // file path
	Offset  int64  // byte offset of the bad record in the file
	Reason  string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("spool: corrupt segment %s at offset %d: %s", e.Segment, e.Offset, e.Reason)
}

// Recovery describes what Open found.
type Recovery struct {
	Segments       int    // segment files replayed
	Records        int    // records replayed
	TruncatedFile  string // segment whose torn tail was cut off, if any
	TruncatedAt    int64  // its new length
	TruncatedBytes int64  // bytes cut off
}

// entry is the in-memory state of one item.
type entry struct {
	rec     Record
	ordinal uint64 // receive order, persisted, kept by carry-forward
	// lsn..end is the log range of the item record holding its full state.
	// Compaction uses lsn to find the segment a non-final item lives in; an
	// Append of a duplicate waits for end to be durable before it returns,
	// so a duplicate is never acknowledged ahead of the original's fsync.
	lsn, end   uint64
	prev, next *entry // pending list, receive order
	final      bool   // in the finals queue
}

// segment is a log file. LSNs (log sequence numbers) count record bytes
// across segments, headers excluded; they are not stored — replay
// recomputes them — they only order records within one process.
type segment struct {
	num        uint64
	path       string
	start, end uint64 // LSN range; end is valid once sealed
	deleting   bool   // scheduled for deletion once durableLSN >= needLSN
	needLSN    uint64
}

// Spool is a durable, crash-safe queue of device readings awaiting
// inclusion in the chain. All methods are safe for concurrent use.
type Spool struct {
	dir  string
	opts Options
	lock *os.File

	mu   sync.Mutex
	cond sync.Cond // durableLSN advanced, err set, or flusher stopped

	items       map[Key]*entry
	head, tail  *entry // non-final items in receive order
	npending    int
	finals      []*entry // final items, oldest finalized first
	finalsHead  int
	nextOrdinal uint64

	buf, spare []byte // encoded records not yet written; spare is reused
	nextLSN    uint64 // LSN after the last encoded record
	durableLSN uint64 // everything below is written and fsynced
	// Group commit bookkeeping: waiters whose records are in buf (not in
	// the batch being written, which ends at inflightEnd), when the first
	// of them arrived, and how many the previous batch had (the flusher
	// stops waiting for more once as many have come).
	batchWaiters int
	firstWait    time.Time
	target       int
	inflightEnd  uint64
	full         chan struct{}
	segs         []*segment // oldest first; the last is the active one
	deletes      []*segment // scheduled deletions, in segment order
	err          error      // sticky: after a failed write or fsync nothing is trusted
	closed       bool
	stopped      bool // flusher has exited

	kick chan struct{}
	quit chan struct{}
	done chan struct{}

	// Owned by the flusher goroutine (and Open before it starts).
	f     *os.File
	fsize int64

	recovery Recovery
	fsyncs   atomic.Int64 // for benchmarks: items per fsync
}

// Open opens the spool in dir, creating it if needed. It replays every
// segment to rebuild the index, cuts off a torn last record (a crash mid
// write), fsyncs what it kept, and deletes segments that hold only final
// items. It fails with a *CorruptError for damage elsewhere, and with a
// clear message for a segment of an unknown format version. A spool
// directory is locked against a second concurrent Open (flock).
func Open(dir string, opts Options) (*Spool, error) {
	s := &Spool{
		dir:   dir,
		opts:  opts.withDefaults(),
		items: make(map[Key]*entry),
		kick:  make(chan struct{}, 1),
		full:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	s.cond.L = &s.mu
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s.lock = lock
	if err := s.recover(); err != nil {
		s.closeFiles()
		return nil, err
	}
	// Compact now, before anything new is written: write carried-forward
	// items, fsync, delete what the previous run left deletable.
	s.planCompaction()
	for s.flushCycle(false) {
	}
	if s.err != nil {
		s.closeFiles()
		return nil, s.err
	}
	go s.run()
	return s, nil
}

func (s *Spool) closeFiles() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	if s.lock != nil {
		unlockDir(s.lock)
		s.lock = nil
	}
}

// Recovery reports what Open found and repaired.
func (s *Spool) Recovery() Recovery { return s.recovery }

func (s *Spool) usable() error {
	if s.closed {
		return ErrClosed
	}
	return s.err
}

func validateKey(k Key) error {
	if k.Device == "" {
		return errors.New("empty device id")
	}
	if len(k.Device) > MaxDeviceBytes {
		return fmt.Errorf("device id longer than %d bytes", MaxDeviceBytes)
	}
	return nil
}

// Append stores items and returns once they are durable (written and
// fsynced), so the caller may acknowledge them. Concurrent Appends share
// one fsync (group commit). added[i] reports whether items[i] was new; an
// item whose key is already present — non-final, or final and still
// retained — is left as it is (idempotent retry), but Append still waits
// until that earlier copy is durable. A key that became final and was
// forgotten is stored anew; the chain then rejects it as a replay.
// Only Key, Data and ReceivedAt of each item are used; Data is copied.
func (s *Spool) Append(items []Record) (added []bool, err error) {
	for i := range items {
		if err := validateKey(items[i].Key); err != nil {
			return nil, fmt.Errorf("spool: item %d: %w", i, err)
		}
		if len(items[i].Data) > MaxDataBytes {
			return nil, fmt.Errorf("spool: item %d: data longer than %d bytes", i, MaxDataBytes)
		}
	}
	added = make([]bool, len(items))
	if len(items) == 0 {
		return added, nil
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	var need uint64
	for i := range items {
		it := &items[i]
		if e := s.items[it.Key]; e != nil {
			need = max(need, e.end)
			continue
		}
		e := &entry{
			rec: Record{
				Key:        it.Key,
				Data:       append([]byte(nil), it.Data...),
				ReceivedAt: it.ReceivedAt,
				Status:     Received,
				Updated:    now,
			},
			ordinal: s.nextOrdinal,
		}
		s.nextOrdinal++
		s.writeItem(e)
		s.items[it.Key] = e
		s.pushPending(e)
		added[i] = true
		need = e.end
	}
	if err := s.waitDurable(need); err != nil {
		return nil, err
	}
	return added, nil
}

// writeItem encodes e's full state at the end of the log. Caller holds mu.
func (s *Spool) writeItem(e *entry) {
	var start int
	s.buf, start = beginRecord(s.buf)
	s.buf = appendItemBody(s.buf, e.ordinal, &e.rec)
	s.buf = finishRecord(s.buf, start)
	e.lsn = s.nextLSN
	s.nextLSN += uint64(len(s.buf) - start)
	e.end = s.nextLSN
}

// waitDurable blocks until the log up to need is fsynced. Caller holds mu.
func (s *Spool) waitDurable(need uint64) error {
	if need <= s.durableLSN {
		return nil
	}
	if need > s.inflightEnd {
		if s.batchWaiters == 0 {
			s.firstWait = time.Now()
		}
		s.batchWaiters++
		if s.batchWaiters >= s.target {
			select {
			case s.full <- struct{}{}:
			default:
			}
		}
	}
	s.kickFlusher()
	for s.durableLSN < need && s.err == nil && !s.stopped {
		s.cond.Wait()
	}
	if s.durableLSN >= need {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	return ErrClosed
}

func (s *Spool) kickFlusher() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// MarkSubmitted records that keys were broadcast in transaction txHash
// (again, with a new hash, on resubmission). Like all transitions it is
// written lazily: it reaches disk with the next group commit, Sync, Close
// or FlushInterval tick. Losing it in a crash is harmless — the item is
// still pending and is resubmitted; the chain's replay check sorts it out.
// Keys that are unknown or already final are skipped: the chain is the
// source of truth, and a final state is never overwritten.
func (s *Spool) MarkSubmitted(keys []Key, txHash string) error {
	return s.mark(&transition{status: Submitted, txHash: txHash}, keys)
}

// MarkCommitted records that keys were included at height in txHash. The
// items become final: they leave Pending and their Data is released. See
// MarkSubmitted for durability and skipped keys.
func (s *Spool) MarkCommitted(keys []Key, height int64, txHash string) error {
	return s.mark(&transition{status: Committed, height: height, txHash: txHash}, keys)
}

// MarkRejected records that key was refused for reason; the item becomes
// final and is not resubmitted. See MarkSubmitted for durability.
func (s *Spool) MarkRejected(key Key, reason string) error {
	return s.mark(&transition{status: Rejected, reason: reason}, []Key{key})
}

func (s *Spool) mark(t *transition, keys []Key) error {
	if len(t.txHash) > MaxStringBytes || len(t.reason) > MaxStringBytes {
		return fmt.Errorf("spool: tx hash or reason longer than %d bytes", MaxStringBytes)
	}
	t.updated = time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	// Apply and encode in chunks of at most transitionChunk bytes of keys.
	var start, nkeys int
	var keyBytes []byte
	flush := func() {
		if nkeys == 0 {
			return
		}
		s.buf, start = beginRecord(s.buf)
		s.buf = appendTransitionHead(s.buf, t, nkeys)
		s.buf = append(s.buf, keyBytes...)
		s.buf = finishRecord(s.buf, start)
		s.nextLSN += uint64(len(s.buf) - start)
		nkeys, keyBytes = 0, keyBytes[:0]
	}
	for _, k := range keys {
		if !s.applyTransition(t, k) {
			continue
		}
		keyBytes = appendKey(keyBytes, k)
		nkeys++
		if len(keyBytes) >= transitionChunk {
			flush()
		}
	}
	flush()
	if len(s.buf) >= flushBytes {
		s.kickFlusher()
	}
	return nil
}

// applyTransition moves k's item to t's state if it is known and not
// final. Shared by Mark calls and replay, so both follow the same rules.
func (s *Spool) applyTransition(t *transition, k Key) bool {
	e := s.items[k]
	if e == nil || e.rec.Status.Final() {
		return false
	}
	e.rec.Status = t.status
	e.rec.Updated = t.updated
	switch t.status {
	case Submitted:
		e.rec.TxHash = t.txHash
	case Committed:
		e.rec.TxHash, e.rec.Height = t.txHash, t.height
	case Rejected:
		e.rec.Reason = t.reason
	}
	if t.status.Final() {
		s.removePending(e)
		s.pushFinal(e)
	}
	return true
}

func (s *Spool) pushPending(e *entry) {
	e.prev, e.next = s.tail, nil
	if s.tail != nil {
		s.tail.next = e
	} else {
		s.head = e
	}
	s.tail = e
	s.npending++
}

func (s *Spool) removePending(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
	s.npending--
}

// pushFinal queues a final item for Get and forgets the oldest finalized
// beyond RetainFinal. Its Data is dropped now: memory is for pending items.
func (s *Spool) pushFinal(e *entry) {
	e.rec.Data = nil
	e.final = true
	s.finals = append(s.finals, e)
	for len(s.finals)-s.finalsHead > s.opts.RetainFinal {
		old := s.finals[s.finalsHead]
		s.finals[s.finalsHead] = nil
		s.finalsHead++
		if s.items[old.rec.Key] == old {
			delete(s.items, old.rec.Key)
		}
	}
	if s.finalsHead > 1024 && s.finalsHead*2 > len(s.finals) {
		n := copy(s.finals, s.finals[s.finalsHead:])
		clear(s.finals[n:])
		s.finals = s.finals[:n]
		s.finalsHead = 0
	}
}

// Get returns the item's record: always for non-final items, for final
// ones while retained (see Options.RetainFinal).
func (s *Spool) Get(k Key) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.items[k]
	if e == nil {
		return Record{}, false
	}
	return e.rec, true
}

// Pending returns the non-final items in receive order — the order in which
// to resubmit them, since the chain refuses a device's seq at or below one
// it already accepted.
func (s *Spool) Pending() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, 0, s.npending)
	for e := s.head; e != nil; e = e.next {
		out = append(out, e.rec)
	}
	return out
}

// PendingCount returns the number of non-final items.
func (s *Spool) PendingCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.npending
}

// Sync writes and fsyncs everything recorded so far, lazily written
// transitions included.
func (s *Spool) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if err := s.waitDurable(s.nextLSN); err != nil {
		return err
	}
	return s.err
}

// Close flushes and fsyncs everything, then releases the directory. Get,
// Pending and PendingCount keep answering from memory afterwards.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	close(s.quit)
	<-s.done
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if s.f != nil {
		if cerr := s.f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("spool: %w", cerr)
		}
		s.f = nil
	}
	s.closeFiles()
	return err
}

// sortPending orders the pending list by ordinal. Needed once after
// replay: a carried-forward item appears in the log after items received
// later than it.
func (s *Spool) sortPending() {
	es := make([]*entry, 0, s.npending)
	for e := s.head; e != nil; e = e.next {
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool { return es[i].ordinal < es[j].ordinal })
	s.head, s.tail, s.npending = nil, nil, 0
	for _, e := range es {
		s.pushPending(e)
	}
}
