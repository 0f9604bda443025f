package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	segPrefix = "seg-"
	segSuffix = ".log"
	tmpSuffix = ".tmp"
)

func segName(num uint64) string { return fmt.Sprintf("%s%020d%s", segPrefix, num, segSuffix) }

// recover replays the segments in dir into s and leaves the last one open
// for appending. Called by Open before the flusher starts.
func (s *Spool) recover() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	var nums []uint64
	for _, de := range ents {
		name := de.Name()
		if strings.HasSuffix(name, tmpSuffix) {
			// A segment being created when the process died: it was never
			// renamed into place, so nothing in it was acknowledged.
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil {
				return fmt.Errorf("spool: %w", err)
			}
			continue
		}
		if !strings.HasPrefix(name, segPrefix) || !strings.HasSuffix(name, segSuffix) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, segPrefix), segSuffix), 10, 64)
		if err != nil || name != segName(n) {
			return fmt.Errorf("spool: unexpected file %s in %s", name, s.dir)
		}
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	for i := 1; i < len(nums); i++ {
		// Segments are only ever deleted oldest first, so a gap means a file
		// went missing; replaying across it could resurrect final items.
		if nums[i] != nums[i-1]+1 {
			return fmt.Errorf("spool: segment %s missing from %s (have %s and %s)",
				segName(nums[i-1]+1), s.dir, segName(nums[i-1]), segName(nums[i]))
		}
	}

	if len(nums) == 0 {
		f, seg, err := s.createSegment(1)
		if err != nil {
			return err
		}
		s.f, s.fsize, s.segs = f, headerSize, []*segment{seg}
		return nil
	}

	for i, num := range nums {
		seg := &segment{num: num, path: filepath.Join(s.dir, segName(num)), start: s.nextLSN}
		last := i == len(nums)-1
		if err := s.replaySegment(seg, last); err != nil {
			return err
		}
		seg.end = s.nextLSN
		s.segs = append(s.segs, seg)
	}
	s.recovery.Segments = len(nums)
	s.durableLSN = s.nextLSN
	s.sortPending()
	return nil
}

// replaySegment applies one segment's records. For the last segment it also
// cuts off a torn tail, fsyncs the file and keeps it open as the active
// segment.
//
// A bad record (incomplete, implausible length, checksum mismatch) is a torn
// tail only when it is in the last segment and no valid record follows it:
// a crash interrupts the final write, so nothing valid can come after the
// damage. Anything else is damage to data that was fsynced — possibly
// acknowledged — and is reported as a *CorruptError rather than dropped.
// (The one undetectable case: damage to the very last record of the last
// segment looks exactly like a torn write and is cut off.)
func (s *Spool) replaySegment(seg *segment, last bool) error {
	data, err := os.ReadFile(seg.path)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	num, err := decodeHeader(data)
	if err != nil {
		if errors.Is(err, errUnsupportedVersion) {
			return fmt.Errorf("spool: segment %s: %w", seg.path, err)
		}
		return &CorruptError{Segment: seg.path, Offset: 0, Reason: err.Error()}
	}
	if num != seg.num {
		return &CorruptError{Segment: seg.path, Offset: 12, Reason: fmt.Sprintf("header names segment %d", num)}
	}
	off := headerSize
	for off < len(data) {
		body, n, bad := nextRecord(data[off:])
		if bad != "" {
			if last && !validRecordAfter(data, off+1) {
				return s.truncateTail(seg, off, int64(len(data)))
			}
			return &CorruptError{Segment: seg.path, Offset: int64(off), Reason: bad}
		}
		if err := s.replayRecord(body, s.nextLSN, s.nextLSN+uint64(n)); err != nil {
			return &CorruptError{Segment: seg.path, Offset: int64(off), Reason: err.Error()}
		}
		s.nextLSN += uint64(n)
		s.recovery.Records++
		off += n
	}
	if last {
		return s.openActive(seg, int64(len(data)))
	}
	return nil
}

// validRecordAfter reports whether a valid record starts anywhere in
// data[from:]. A torn tail holds at most the prefix of one write, so this
// scan is short in the case it exists for.
func validRecordAfter(data []byte, from int) bool {
	for p := from; p+recordHeaderSize < len(data); p++ {
		if _, _, bad := nextRecord(data[p:]); bad == "" {
			return true
		}
	}
	return false
}

func (s *Spool) truncateTail(seg *segment, off int, size int64) error {
	s.recovery.TruncatedFile = seg.path
	s.recovery.TruncatedAt = int64(off)
	s.recovery.TruncatedBytes = size - int64(off)
	if err := os.Truncate(seg.path, int64(off)); err != nil {
		return fmt.Errorf("spool: truncating torn tail: %w", err)
	}
	return s.openActive(seg, int64(off))
}

// openActive opens the last segment for appending and fsyncs it: the
// previous process may have written records it never fsynced (it died
// first); they are in the page cache, replayed, and about to be treated as
// durable — by a duplicate Append or by compaction — so make them so.
func (s *Spool) openActive(seg *segment, size int64) error {
	f, err := os.OpenFile(seg.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if !s.opts.NoSync {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("spool: %w", err)
		}
	}
	s.f, s.fsize = f, size
	return nil
}

// replayRecord applies one record body at LSN range lsn..end.
func (s *Spool) replayRecord(body []byte, lsn, end uint64) error {
	typ := body[0]
	switch typ {
	case recItem:
		ord, rec, err := decodeItem(body[1:])
		if err != nil {
			return err
		}
		// The latest item record of a key wins: it is either the first
		// record of a (re-)appended item or a carry-forward of its state.
		if old := s.items[rec.Key]; old != nil {
			if !old.final {
				s.removePending(old)
			}
			delete(s.items, rec.Key)
		}
		e := &entry{rec: rec, ordinal: ord, lsn: lsn, end: end}
		s.items[rec.Key] = e
		if rec.Status.Final() {
			s.pushFinal(e)
		} else {
			s.pushPending(e)
		}
		s.nextOrdinal = max(s.nextOrdinal, ord+1)
	case recSubmitted, recCommitted, recRejected:
		t, err := decodeTransition(typ, body[1:])
		if err != nil {
			return err
		}
		for _, k := range t.keys {
			s.applyTransition(&t, k)
		}
	default:
		return fmt.Errorf("unknown record type %d", typ)
	}
	return nil
}
