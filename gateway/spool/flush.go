package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// run is the flusher: the only goroutine that writes segment files after
// Open. Appends encode records into s.buf under s.mu and wait; the flusher
// swaps the buffer out, writes it with one write and one fsync, and wakes
// every waiter the fsync covered. Appends arriving during an fsync gather
// in the next buffer, so the number of fsyncs per second — not items per
// second — is what disk latency bounds.
func (s *Spool) run() {
	defer close(s.done)
	var tick <-chan time.Time
	if s.opts.FlushInterval > 0 {
		t := time.NewTicker(s.opts.FlushInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		quit := false
		select {
		case <-s.kick:
		case <-tick:
		case <-s.quit:
			quit = true
		}
		for s.flushCycle(!quit) {
		}
		if quit {
			s.mu.Lock()
			s.stopped = true
			s.cond.Broadcast()
			s.mu.Unlock()
			return
		}
	}
}

// testHookBeforeWrite, set only by the crash test, lets a child process
// write part of a batch and kill itself: a write torn by SIGKILL, on cue.
var testHookBeforeWrite func(f *os.File, data []byte)

// flushCycle writes and fsyncs the buffered records, rotates the segment
// when it is full, plans compaction after a rotation and deletes segments
// whose deletion became safe. It reports whether another cycle should
// follow at once (carried-forward records must reach disk before the
// segment they came from can go).
func (s *Spool) flushCycle(window bool) (again bool) {
	s.mu.Lock()
	if s.err != nil || (len(s.buf) == 0 && !s.deleteReady()) {
		s.mu.Unlock()
		return false
	}
	if window && s.opts.GroupCommitWindow > 0 && s.batchWaiters > 0 && s.batchWaiters < s.target {
		// Let concurrent Appends join this fsync — until as many wait as
		// joined the last one, never keeping the oldest beyond the window.
		select {
		case <-s.full: // stale
		default:
		}
		if d := time.Until(s.firstWait.Add(s.opts.GroupCommitWindow)); d > 0 {
			s.mu.Unlock()
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-s.full:
			case <-s.quit:
			}
			t.Stop()
			s.mu.Lock()
		}
	}
	data := s.buf
	s.buf, s.spare = s.spare[:0], nil
	end := s.nextLSN
	s.inflightEnd = end
	s.target = max(1, s.batchWaiters)
	s.batchWaiters = 0
	nextNum := s.segs[len(s.segs)-1].num + 1
	s.mu.Unlock()

	var err error
	if len(data) > 0 {
		if testHookBeforeWrite != nil {
			testHookBeforeWrite(s.f, data)
		}
		if _, err = s.f.Write(data); err == nil {
			s.fsize += int64(len(data))
			if !s.opts.NoSync {
				err = s.f.Sync()
				s.fsyncs.Add(1)
			}
		}
		if err != nil {
			err = fmt.Errorf("spool: write: %w", err)
		}
	}
	// Rotate only after the fsync: a sealed segment is complete on disk, so
	// recovery treats damage in any segment but the last as corruption.
	var newF *os.File
	var newSeg *segment
	if err == nil && s.fsize >= s.opts.MaxSegmentBytes {
		newF, newSeg, err = s.createSegment(nextNum)
	}

	s.mu.Lock()
	if cap(data) <= 4*flushBytes { // don't pin a burst's buffer forever
		s.spare = data[:0]
	}
	if err != nil {
		// After a failed write or fsync the kernel may have dropped the
		// dirty pages; retrying could report durable what is not. Stop.
		s.err = err
		s.cond.Broadcast()
		s.mu.Unlock()
		return false
	}
	s.durableLSN = end
	var oldF *os.File
	if newSeg != nil {
		s.segs[len(s.segs)-1].end = end
		newSeg.start = end
		s.segs = append(s.segs, newSeg)
		oldF, s.f, s.fsize = s.f, newF, headerSize
		s.planCompaction()
	}
	ready := s.takeReadyDeletes()
	s.mu.Unlock()

	if oldF != nil {
		oldF.Close()
	}
	err = s.deleteSegments(ready)

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.err = err
	} else if len(ready) > 0 {
		// Deleted segments are a prefix of s.segs.
		s.segs = s.segs[len(ready):]
	}
	// Wake waiters only now, so that a Sync that returns has also seen the
	// deletions its flush made safe.
	s.cond.Broadcast()
	return s.err == nil && len(s.deletes) > 0 && (len(s.buf) > 0 || s.deleteReady())
}

// deleteReady reports whether the oldest scheduled deletion may proceed.
// Caller holds mu.
func (s *Spool) deleteReady() bool {
	return len(s.deletes) > 0 && s.deletes[0].needLSN <= s.durableLSN
}

func (s *Spool) takeReadyDeletes() []*segment {
	n := 0
	for n < len(s.deletes) && s.deletes[n].needLSN <= s.durableLSN {
		n++
	}
	ready := s.deletes[:n:n]
	s.deletes = s.deletes[n:]
	return ready
}

// deleteSegments removes segments oldest first. Between removals the
// directory is fsynced: deletions must reach disk in order, or a crash
// could leave an old segment without the newer one that finalized its
// items — resurrecting them.
func (s *Spool) deleteSegments(segs []*segment) error {
	for i, seg := range segs {
		if err := os.Remove(seg.path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("spool: removing compacted segment: %w", err)
		}
		if i < len(segs)-1 {
			if err := s.syncDir(); err != nil {
				return err
			}
		}
	}
	return nil
}

// planCompaction schedules the deletion of old segments. Caller holds mu.
//
// Rule: segments are deleted oldest first only, and a segment goes only
// when no non-final item has its current state in it. Deleting a prefix of
// the log is what makes deletion safe: every record about an item lies at
// or after its latest item record, so removing a prefix can drop an item
// entirely but never keep a non-final record while dropping the later
// record that finalized it.
//
// Non-final items must not pin the log forever, so the oldest segments'
// live items are carried forward: their state is copied into the active
// segment as fresh item records (same ordinal, so receive order survives
// a restart), and the old segments go once the copies are fsynced. The
// longest prefix of sealed segments is carried whose live bytes are at
// most half of its bytes: a compaction never writes more than it frees,
// so carrying costs at most one extra write per byte appended (amortized),
// and it cannot churn when most items are pending — the chain is
// unreachable, say; the log then grows with the backlog, as it must.
// Items of the newest sealed segment are not carried: they are usually
// still in flight and about to be committed.
//
// A scheduled deletion waits until everything encoded at planning time is
// fsynced: the carried copies, and every transition that made the
// segment's items final.
func (s *Spool) planCompaction() {
	sealed := s.segs[:len(s.segs)-1]
	for len(sealed) > 0 && sealed[0].deleting {
		sealed = sealed[1:]
	}
	if len(sealed) == 0 {
		return
	}
	// Live bytes per sealed segment.
	live := make([]uint64, len(sealed))
	for e := s.head; e != nil; e = e.next {
		if e.lsn < sealed[len(sealed)-1].end {
			j := sort.Search(len(sealed), func(j int) bool { return sealed[j].end > e.lsn })
			live[j] += e.end - e.lsn
		}
	}
	best := -1
	var liveSum, total uint64
	for j, seg := range sealed {
		liveSum += live[j]
		total += seg.end - seg.start
		if 2*liveSum <= total && (j < len(sealed)-1 || live[j] == 0) {
			best = j
		}
	}
	if best < 0 {
		return
	}
	limit := sealed[best].end
	for e := s.head; e != nil; e = e.next { // receive order
		if e.lsn < limit {
			s.writeItem(e)
		}
	}
	for _, seg := range sealed[:best+1] {
		seg.deleting = true
		seg.needLSN = s.nextLSN
		s.deletes = append(s.deletes, seg)
	}
}

// createSegment makes segment num: header written and fsynced under a
// temporary name, renamed into place, directory fsynced — so a segment
// file either is complete with its header or does not exist.
func (s *Spool) createSegment(num uint64) (*os.File, *segment, error) {
	path := filepath.Join(s.dir, segName(num))
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	fail := func(err error) (*os.File, *segment, error) {
		f.Close()
		os.Remove(tmp)
		return nil, nil, fmt.Errorf("spool: creating segment: %w", err)
	}
	if _, err := f.Write(encodeHeader(num)); err != nil {
		return fail(err)
	}
	if !s.opts.NoSync {
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	if err := s.syncDir(); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, &segment{num: num, path: path}, nil
}

func (s *Spool) syncDir() error {
	if s.opts.NoSync {
		return nil
	}
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("spool: fsync dir: %w", err)
	}
	return nil
}
