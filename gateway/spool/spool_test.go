package spool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func openT(t testing.TB, dir string, opts Options) *Spool {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func item(dev string, seq uint64) Record {
	return Record{Key: Key{dev, seq}, Data: payload(dev, seq), ReceivedAt: time.Unix(1700000000, int64(seq)*1000)}
}

// payload is deterministic per key so that recovery tests can check it.
func payload(dev string, seq uint64) []byte {
	n := 40 + int(seq%300)
	unit := fmt.Sprintf("%s/%d;", dev, seq)
	return bytes.Repeat([]byte(unit), n/len(unit)+1)[:n]
}

func mustAppend(t testing.TB, s *Spool, recs ...Record) []bool {
	t.Helper()
	added, err := s.Append(recs)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return added
}

func mustGet(t testing.TB, s *Spool, k Key) Record {
	t.Helper()
	r, ok := s.Get(k)
	if !ok {
		t.Fatalf("Get(%v): not found", k)
	}
	return r
}

func keysOf(recs []Record) []Key {
	ks := make([]Key, len(recs))
	for i, r := range recs {
		ks[i] = r.Key
	}
	return ks
}

func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, segPrefix+"*"+segSuffix))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	return m
}

// snapshot copies the spool's files: what a process killed at this instant
// would leave behind (the page cache, fsynced or not).
func snapshot(t testing.TB, dir string) string {
	t.Helper()
	dst := t.TempDir()
	for _, p := range segFiles(t, dir) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// recordOffsets lists the file offsets of the records in a segment.
func recordOffsets(t testing.TB, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int
	for off := headerSize; off < len(data); {
		_, n, bad := nextRecord(data[off:])
		if bad != "" {
			t.Fatalf("%s at %d: %s", path, off, bad)
		}
		offs = append(offs, off)
		off += n
	}
	return offs
}

func TestRoundTrip(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	defer s.Close()
	a, b, c, d := item("dev-a", 1), item("dev-a", 2), item("dev-b", 7), item("dev-c", 1)
	if added := mustAppend(t, s, a, b, c); !slices.Equal(added, []bool{true, true, true}) {
		t.Fatalf("added = %v", added)
	}
	r := mustGet(t, s, a.Key)
	if r.Status != Received || !bytes.Equal(r.Data, a.Data) || !r.ReceivedAt.Equal(a.ReceivedAt) || r.Updated.IsZero() {
		t.Fatalf("Get = %+v", r)
	}
	// Idempotent: a retried reading (same key, even other bytes) is not stored twice.
	dup := a
	dup.Data = []byte("other")
	if added := mustAppend(t, s, dup, d, d); !slices.Equal(added, []bool{false, true, false}) {
		t.Fatalf("added = %v, want [false true false]", added)
	}
	if r := mustGet(t, s, a.Key); !bytes.Equal(r.Data, a.Data) {
		t.Fatalf("duplicate overwrote data")
	}
	if n := s.PendingCount(); n != 4 {
		t.Fatalf("PendingCount = %d", n)
	}

	must(t, s.MarkSubmitted([]Key{a.Key, b.Key, c.Key, {"nobody", 1}}, "TX1"))
	if r := mustGet(t, s, b.Key); r.Status != Submitted || r.TxHash != "TX1" {
		t.Fatalf("after MarkSubmitted: %+v", r)
	}
	must(t, s.MarkSubmitted([]Key{b.Key}, "TX2")) // resubmission
	must(t, s.MarkCommitted([]Key{a.Key, b.Key}, 42, "TX2"))
	must(t, s.MarkRejected(c.Key, "bad_signature"))

	r = mustGet(t, s, b.Key)
	if r.Status != Committed || r.Height != 42 || r.TxHash != "TX2" || r.Data != nil {
		t.Fatalf("committed: %+v", r)
	}
	if r := mustGet(t, s, c.Key); r.Status != Rejected || r.Reason != "bad_signature" {
		t.Fatalf("rejected: %+v", r)
	}
	// Final is final.
	must(t, s.MarkRejected(a.Key, "late"))
	must(t, s.MarkSubmitted([]Key{c.Key}, "TX3"))
	if r := mustGet(t, s, a.Key); r.Status != Committed {
		t.Fatalf("final status overwritten: %+v", r)
	}
	if r := mustGet(t, s, c.Key); r.Status != Rejected {
		t.Fatalf("final status overwritten: %+v", r)
	}
	// Final items are retained (idempotent Append) but not pending.
	if added := mustAppend(t, s, a); added[0] {
		t.Fatal("re-append of a retained final item was stored")
	}
	p := s.Pending()
	if len(p) != 1 || p[0].Key != d.Key || s.PendingCount() != 1 {
		t.Fatalf("Pending = %v", keysOf(p))
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestValidation(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	defer s.Close()
	if _, err := s.Append([]Record{item("ok", 1), {Key: Key{"", 1}}}); err == nil {
		t.Fatal("empty device accepted")
	}
	if _, err := s.Append([]Record{{Key: Key{"d", 1}, Data: make([]byte, MaxDataBytes+1)}}); err == nil {
		t.Fatal("oversized data accepted")
	}
	if s.PendingCount() != 0 {
		t.Fatal("a rejected batch was partly stored")
	}
	if err := s.MarkRejected(Key{"d", 1}, strings.Repeat("x", MaxStringBytes+1)); err == nil {
		t.Fatal("oversized reason accepted")
	}
	if added, err := s.Append(nil); err != nil || len(added) != 0 {
		t.Fatal(added, err)
	}
}

func TestReopenKeepsStateAndOrder(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{})
	var recs []Record
	for i := range 50 {
		recs = append(recs, item(fmt.Sprintf("dev-%d", i%7), uint64(1000-i)))
	}
	mustAppend(t, s, recs...)
	must(t, s.MarkSubmitted(keysOf(recs[:30]), "TXA"))
	must(t, s.MarkCommitted(keysOf(recs[:10]), 7, "TXA"))
	must(t, s.MarkRejected(recs[10].Key, "stale_seq"))
	want := s.Pending()
	must(t, s.Close())
	if err := s.Sync(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Sync after Close: %v", err)
	}
	if _, err := s.Append(recs[:1]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}

	s = openT(t, dir, Options{})
	defer s.Close()
	got := s.Pending()
	if len(got) != 39 || !slices.Equal(keysOf(got), keysOf(want)) {
		t.Fatalf("Pending after reopen: %d items, order kept %v", len(got), slices.Equal(keysOf(got), keysOf(want)))
	}
	for i, r := range got {
		w := want[i]
		if r.Status != w.Status || r.TxHash != w.TxHash || !bytes.Equal(r.Data, w.Data) ||
			!r.ReceivedAt.Equal(w.ReceivedAt) || !r.Updated.Equal(w.Updated) {
			t.Fatalf("record %d: got %+v want %+v", i, r, w)
		}
	}
	if r := mustGet(t, s, recs[3].Key); r.Status != Committed || r.Height != 7 || r.TxHash != "TXA" {
		t.Fatalf("committed after reopen: %+v", r)
	}
	if r := mustGet(t, s, recs[10].Key); r.Status != Rejected || r.Reason != "stale_seq" {
		t.Fatalf("rejected after reopen: %+v", r)
	}
	if added := mustAppend(t, s, recs[3], recs[20], item("new", 1)); !slices.Equal(added, []bool{false, false, true}) {
		t.Fatalf("added after reopen = %v", added)
	}
}

// Transitions are lazy: not on disk until the next group commit, Sync or
// tick — and once fsynced they survive.
func TestLazyTransitions(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{FlushInterval: -1})
	defer s.Close()
	a, b := item("d", 1), item("d", 2)
	mustAppend(t, s, a, b)
	must(t, s.MarkCommitted([]Key{a.Key}, 5, "TX"))

	c := openT(t, snapshot(t, dir), Options{})
	if r := mustGet(t, c, a.Key); r.Status != Received {
		t.Fatalf("unsynced transition already on disk: %+v", r)
	}
	must(t, c.Close())

	mustAppend(t, s, item("d", 3)) // a group commit carries the transition along
	c = openT(t, snapshot(t, dir), Options{})
	if r := mustGet(t, c, a.Key); r.Status != Committed {
		t.Fatalf("transition not written by the next group commit: %+v", r)
	}
	must(t, c.Close())

	must(t, s.MarkRejected(b.Key, "x"))
	must(t, s.Sync())
	c = openT(t, snapshot(t, dir), Options{})
	if r := mustGet(t, c, b.Key); r.Status != Rejected {
		t.Fatalf("transition not written by Sync: %+v", r)
	}
	must(t, c.Close())
}

func TestPeriodicFlush(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{FlushInterval: 10 * time.Millisecond})
	defer s.Close()
	a := item("d", 1)
	mustAppend(t, s, a)
	must(t, s.MarkSubmitted([]Key{a.Key}, "TX"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := openT(t, snapshot(t, dir), Options{})
		r := mustGet(t, c, a.Key)
		must(t, c.Close())
		if r.Status == Submitted {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("transition never flushed by the ticker")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRetainFinal(t *testing.T) {
	s := openT(t, t.TempDir(), Options{RetainFinal: 2})
	defer s.Close()
	var recs []Record
	for i := range 5 {
		recs = append(recs, item("d", uint64(i)))
	}
	mustAppend(t, s, recs...)
	must(t, s.MarkCommitted(keysOf(recs[:3]), 1, "TX"))
	if _, ok := s.Get(recs[0].Key); ok {
		t.Fatal("oldest final item still retained")
	}
	for _, r := range recs[1:] {
		mustGet(t, s, r.Key)
	}
	// A forgotten final item is stored anew (the chain will reject the replay).
	if added := mustAppend(t, s, recs[0], recs[1]); !slices.Equal(added, []bool{true, false}) {
		t.Fatalf("added = %v", added)
	}
}

func TestEmptyAndLockedDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s := openT(t, dir, Options{})
	if got := segFiles(t, dir); len(got) != 1 {
		t.Fatalf("segments = %v", got)
	}
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open: %v", err)
	}
	must(t, s.Close())
	s = openT(t, dir, Options{})
	defer s.Close()
	if s.PendingCount() != 0 || s.Recovery().Records != 0 {
		t.Fatalf("empty spool reopened with %d pending", s.PendingCount())
	}
}

// writeSpool creates a closed spool with n items in one segment.
func writeSpool(t *testing.T, n int) (dir string, recs []Record) {
	dir = t.TempDir()
	s := openT(t, dir, Options{})
	for i := range n {
		recs = append(recs, item("dev", uint64(i+1)))
		mustAppend(t, s, recs[i]) // one record per item
	}
	must(t, s.Close())
	return dir, recs
}

func appendToFile(t *testing.T, path string, b []byte) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	_, err = f.Write(b)
	must(t, err)
	must(t, f.Close())
}

func TestTornTail(t *testing.T) {
	var full []byte
	full, start := beginRecord(nil)
	full = appendItemBody(full, 99, &Record{Key: Key{"dev", 1000}, Data: bytes.Repeat([]byte{0xa5}, 300), Status: Received})
	full = finishRecord(full, start)
	badCRC := slices.Clone(full)
	badCRC[len(badCRC)-1] ^= 0xff

	for name, tail := range map[string][]byte{
		"partial header":   full[:5],
		"partial body":     full[:len(full)-7],
		"bad crc last":     badCRC,
		"zeros":            make([]byte, 4096),
		"record and zeros": append(slices.Clone(full[:100]), make([]byte, 1000)...),
	} {
		t.Run(name, func(t *testing.T) {
			dir, recs := writeSpool(t, 20)
			seg := segFiles(t, dir)[0]
			fi, err := os.Stat(seg)
			must(t, err)
			appendToFile(t, seg, tail)

			s := openT(t, dir, Options{})
			rc := s.Recovery()
			if rc.TruncatedFile != seg || rc.TruncatedBytes != int64(len(tail)) || rc.TruncatedAt != fi.Size() {
				t.Fatalf("recovery = %+v, want %d bytes cut at %d", rc, len(tail), fi.Size())
			}
			if fi2, _ := os.Stat(seg); fi2.Size() != fi.Size() {
				t.Fatalf("file is %d bytes, want %d", fi2.Size(), fi.Size())
			}
			if s.PendingCount() != len(recs) {
				t.Fatalf("pending %d, want %d", s.PendingCount(), len(recs))
			}
			mustAppend(t, s, item("after", 1))
			must(t, s.Close())
			s = openT(t, dir, Options{})
			defer s.Close()
			if rc := s.Recovery(); rc.TruncatedBytes != 0 || s.PendingCount() != len(recs)+1 {
				t.Fatalf("second reopen: %+v, %d pending", rc, s.PendingCount())
			}
		})
	}
}

func TestCorruptMiddle(t *testing.T) {
	dir, _ := writeSpool(t, 20)
	seg := segFiles(t, dir)[0]
	offs := recordOffsets(t, seg)
	data, err := os.ReadFile(seg)
	must(t, err)
	bad := offs[10]
	data[bad+recordHeaderSize+3] ^= 0x01 // one bit in the body of record 10
	must(t, os.WriteFile(seg, data, 0o644))

	_, err = Open(dir, Options{})
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Segment != seg || ce.Offset != int64(bad) {
		t.Fatalf("Open = %v, want CorruptError at %s:%d", err, seg, bad)
	}
	if !strings.Contains(err.Error(), seg) || !strings.Contains(err.Error(), fmt.Sprint(bad)) {
		t.Fatalf("error does not name segment and offset: %v", err)
	}
	// Nothing was truncated: the operator decides.
	if fi, _ := os.Stat(seg); fi.Size() != int64(len(data)) {
		t.Fatal("corrupt segment was modified")
	}
}

// Damage at the end of a sealed segment is corruption, not a torn write:
// rotation happens only after the segment was fsynced.
func TestCorruptEndOfSealedSegment(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{MaxSegmentBytes: 1024})
	for i := range 30 {
		mustAppend(t, s, item("d", uint64(i)))
	}
	must(t, s.Close())
	segs := segFiles(t, dir)
	if len(segs) < 3 {
		t.Fatalf("expected rotation, have %v", segs)
	}
	offs := recordOffsets(t, segs[0])
	data, err := os.ReadFile(segs[0])
	must(t, err)
	data[len(data)-1] ^= 0x80
	must(t, os.WriteFile(segs[0], data, 0o644))
	_, err = Open(dir, Options{})
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Segment != segs[0] || ce.Offset != int64(offs[len(offs)-1]) {
		t.Fatalf("Open = %v", err)
	}
}

func TestUnknownVersion(t *testing.T) {
	dir, _ := writeSpool(t, 3)
	seg := segFiles(t, dir)[0]
	data, err := os.ReadFile(seg)
	must(t, err)
	binary.LittleEndian.PutUint32(data[8:], 99)
	must(t, os.WriteFile(seg, data, 0o644))
	_, err = Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "unsupported spool format version 99") || !strings.Contains(err.Error(), seg) {
		t.Fatalf("Open = %v", err)
	}

	copy(data, "GARBAGE!")
	must(t, os.WriteFile(seg, data, 0o644))
	if _, err = Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "not a spool segment") {
		t.Fatalf("Open = %v", err)
	}
}

func TestMissingSegment(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{MaxSegmentBytes: 512})
	for i := range 20 {
		mustAppend(t, s, item("d", uint64(i)))
	}
	must(t, s.Close())
	segs := segFiles(t, dir)
	must(t, os.Remove(segs[1]))
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("Open = %v", err)
	}
}

func TestLeftoverTempSegmentRemoved(t *testing.T) {
	dir, recs := writeSpool(t, 3)
	tmp := filepath.Join(dir, segName(2)+tmpSuffix)
	must(t, os.WriteFile(tmp, []byte("half a hea"), 0o644))
	s := openT(t, dir, Options{})
	defer s.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatal("temp segment left behind")
	}
	if s.PendingCount() != len(recs) {
		t.Fatal("items lost")
	}
}

func TestCompaction(t *testing.T) {
	dir := t.TempDir()
	opts := Options{MaxSegmentBytes: 2048, RetainFinal: -1}
	s := openT(t, dir, opts)
	var stuck []Record
	seq := uint64(0)
	maxSegs := 0
	for round := range 40 {
		var batch []Record
		for range 10 {
			seq++
			batch = append(batch, item("dev", seq))
		}
		mustAppend(t, s, batch...)
		if round%8 == 0 {
			stuck = append(stuck, batch[0]) // never committed
			batch = batch[1:]
		}
		must(t, s.MarkSubmitted(keysOf(batch), "TX"))
		must(t, s.MarkCommitted(keysOf(batch), int64(round), "TX"))
		must(t, s.Sync())
		maxSegs = max(maxSegs, len(segFiles(t, dir)))
	}
	must(t, s.Sync()) // carried-forward items reach disk; their old segments go
	segs := segFiles(t, dir)
	if first := segs[0]; first == filepath.Join(dir, segName(1)) {
		t.Fatalf("no segment was ever deleted: %v", segs)
	}
	// ~40 segments were written; only the newest few may remain.
	if len(segs) > 4 || maxSegs > 5 {
		t.Fatalf("%d segments remain (max %d seen): compaction does not keep up", len(segs), maxSegs)
	}
	want := s.Pending()
	if !slices.Equal(keysOf(want), keysOf(stuck)) {
		t.Fatalf("pending %v, want %v", keysOf(want), keysOf(stuck))
	}
	must(t, s.Close())

	s = openT(t, dir, opts)
	defer s.Close()
	got := s.Pending()
	if !slices.Equal(keysOf(got), keysOf(stuck)) {
		t.Fatalf("after reopen pending %v, want %v (receive order)", keysOf(got), keysOf(stuck))
	}
	for i, r := range got {
		if !bytes.Equal(r.Data, stuck[i].Data) || r.Status != Received {
			t.Fatalf("carried item %v damaged: %+v", r.Key, r)
		}
	}
	// Nothing final came back.
	if s.PendingCount() != len(stuck) {
		t.Fatal("final items resurrected")
	}
}

// Compaction also runs at Open, e.g. after items were finalized and the
// process restarted before the next rotation.
func TestCompactionAtOpen(t *testing.T) {
	dir := t.TempDir()
	opts := Options{MaxSegmentBytes: 1024}
	s := openT(t, dir, opts)
	var recs []Record
	for i := range 60 {
		recs = append(recs, item("d", uint64(i)))
		mustAppend(t, s, recs[i])
	}
	nsegs := len(segFiles(t, dir))
	must(t, s.MarkCommitted(keysOf(recs[1:]), 1, "TX")) // recs[0] stays, in segment 1
	must(t, s.Close())

	s = openT(t, dir, opts)
	must(t, s.Sync())
	if got := len(segFiles(t, dir)); got > 2 || nsegs < 4 {
		t.Fatalf("%d of %d segments remain after reopen", got, nsegs)
	}
	if p := s.Pending(); len(p) != 1 || p[0].Key != recs[0].Key {
		t.Fatalf("pending = %v", keysOf(p))
	}
	must(t, s.Close())
	s = openT(t, dir, opts)
	defer s.Close()
	if p := s.Pending(); len(p) != 1 || !bytes.Equal(p[0].Data, recs[0].Data) {
		t.Fatalf("pending after second reopen = %v", keysOf(p))
	}
}

func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	opts := Options{MaxSegmentBytes: 32 << 10, FlushInterval: 5 * time.Millisecond}
	s := openT(t, dir, opts)
	const writers, perWriter = 8, 150
	acked := make(chan Key, writers*perWriter)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			dev := fmt.Sprintf("w%d", w)
			for i := 0; i < perWriter; {
				n := 1 + rand.IntN(4)
				var batch []Record
				for j := 0; j < n && i < perWriter; j++ {
					i++
					batch = append(batch, item(dev, uint64(i)))
				}
				added, err := s.Append(batch)
				if err != nil {
					t.Error(err)
					return
				}
				for j, ok := range added {
					if !ok {
						t.Errorf("fresh key %v reported duplicate", batch[j].Key)
					}
					acked <- batch[j].Key
				}
				if rand.IntN(3) == 0 { // a retry of an acknowledged item
					if added, err := s.Append(batch[:1]); err != nil || added[0] {
						t.Errorf("retry: %v %v", added, err)
					}
				}
			}
		})
	}
	check := func(err error) {
		if err != nil {
			t.Error(err)
		}
	}
	stop := make(chan struct{})
	var marker sync.WaitGroup
	marker.Go(func() { // the submitter: marks what the writers acknowledged
		var keys []Key
		for h := int64(1); ; h++ {
			select {
			case k := <-acked:
				keys = append(keys, k)
				continue
			case <-stop:
			case <-time.After(time.Millisecond):
			}
			if len(keys) > 0 {
				check(s.MarkSubmitted(keys, fmt.Sprint("TX", h)))
				half := keys[:len(keys)/2]
				check(s.MarkCommitted(half, h, fmt.Sprint("TX", h)))
				if len(keys) > 2 {
					check(s.MarkRejected(keys[len(keys)-1], "stale_seq"))
				}
				keys = keys[:0]
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	})
	marker.Go(func() { // readers
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, r := range s.Pending() {
				if r.Status.Final() {
					t.Errorf("final item %v in Pending", r.Key)
				}
				s.Get(r.Key)
			}
			s.PendingCount()
			check(s.Sync())
		}
	})
	wg.Wait()
	time.Sleep(20 * time.Millisecond)
	close(stop)
	marker.Wait()
	for len(acked) > 0 { // keys the marker did not take stay received
		<-acked
	}

	states := map[Key]Record{}
	for w := range writers {
		for i := 1; i <= perWriter; i++ {
			k := Key{fmt.Sprintf("w%d", w), uint64(i)}
			states[k] = mustGet(t, s, k)
		}
	}
	must(t, s.Close())
	s = openT(t, dir, opts)
	defer s.Close()
	for k, want := range states {
		got, ok := s.Get(k)
		if !ok {
			// Only final items may be compacted away.
			if !want.Status.Final() {
				t.Fatalf("%v (%v) lost", k, want.Status)
			}
			continue
		}
		if got.Status != want.Status || got.TxHash != want.TxHash || got.Height != want.Height || got.Reason != want.Reason {
			t.Fatalf("%v: got %+v, want %+v", k, got, want)
		}
	}
}

// Concurrent Appends must share fsyncs, or fsync latency bounds throughput.
func TestGroupCommit(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	defer s.Close()
	const callers, each = 32, 20
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				if _, err := s.Append([]Record{item(fmt.Sprint("c", c), uint64(i))}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	n := s.fsyncs.Load()
	t.Logf("%d Appends, %d fsyncs", callers*each, n)
	if n == 0 || n > callers*each/4 {
		t.Fatalf("%d fsyncs for %d concurrent Appends", n, callers*each)
	}
}

// After a failed write the spool refuses work instead of claiming
// durability it may not have.
func TestWriteErrorIsSticky(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	mustAppend(t, s, item("d", 1))
	s.mu.Lock()
	s.f.Close() // the next write fails
	s.mu.Unlock()
	if _, err := s.Append([]Record{item("d", 2)}); err == nil || !strings.Contains(err.Error(), "write") {
		t.Fatalf("Append after write failure: %v", err)
	}
	if err := s.MarkSubmitted([]Key{{"d", 1}}, "TX"); err == nil {
		t.Fatal("MarkSubmitted after write failure succeeded")
	}
	if err := s.Sync(); err == nil {
		t.Fatal("Sync after write failure succeeded")
	}
	if err := s.Close(); err == nil {
		t.Fatal("Close after write failure reported no error")
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}
