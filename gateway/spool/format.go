package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// On-disk format, version 1. See the package documentation for the layout.
const (
	formatVersion = 1

	// headerSize is the fixed size of a segment header:
	// magic[8] | version u32 | segment number u64 | crc32c(bytes 0..20) u32.
	headerSize = 24

	// recordHeaderSize is the framing in front of every record body:
	// body length u32 | crc32c(length bytes ‖ body) u32.
	recordHeaderSize = 8

	// maxBody bounds a record body. A length prefix above it is treated as
	// damage rather than as an allocation request, so a flipped high bit in a
	// length cannot make recovery read (or trust) megabytes of garbage.
	maxBody = 32 << 20

	// Limits on item fields, chosen so that any valid item fits in maxBody.
	MaxDataBytes   = 16 << 20 // Record.Data
	MaxDeviceBytes = 1024     // Key.Device
	MaxStringBytes = 4096     // Record.TxHash and Record.Reason

	// transitionChunk caps the body of one transition record; a Mark call
	// with more keys writes several records (each is applied on its own at
	// replay, which is fine: they are independent per key).
	transitionChunk = 256 << 10
)

var magic = [8]byte{'W', '3', 'B', 'D', 'S', 'P', 'O', 'L'}

// castagnoli is CRC32C: hardware accelerated on amd64/arm64 and better at
// detecting the burst errors of torn sectors than IEEE CRC32.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Record body types.
const (
	recItem      byte = 1 // full state of one item (an Append, or a compaction carry-forward)
	recSubmitted byte = 2 // keys → Submitted(tx hash)
	recCommitted byte = 3 // keys → Committed(height, tx hash)
	recRejected  byte = 4 // keys → Rejected(reason)
)

func encodeHeader(segNum uint64) []byte {
	h := make([]byte, headerSize)
	copy(h, magic[:])
	binary.LittleEndian.PutUint32(h[8:], formatVersion)
	binary.LittleEndian.PutUint64(h[12:], segNum)
	binary.LittleEndian.PutUint32(h[20:], crc32.Checksum(h[:20], castagnoli))
	return h
}

// errUnsupportedVersion is wrapped by Open's error when a segment was
// written by an incompatible (newer) format version.
var errUnsupportedVersion = errors.New("unsupported spool format version")

// decodeHeader checks a segment header. The version is checked before the
// header CRC so that a future format with a different header layout is
// reported as "unsupported version", not as damage.
func decodeHeader(h []byte) (segNum uint64, err error) {
	if len(h) < headerSize {
		return 0, fmt.Errorf("segment header truncated (%d of %d bytes)", len(h), headerSize)
	}
	if [8]byte(h[:8]) != magic {
		return 0, fmt.Errorf("not a spool segment (bad magic %q)", h[:8])
	}
	if v := binary.LittleEndian.Uint32(h[8:]); v != formatVersion {
		return 0, fmt.Errorf("%w %d (this build reads version %d); open it with the gateway release that wrote it", errUnsupportedVersion, v, formatVersion)
	}
	if binary.LittleEndian.Uint32(h[20:]) != crc32.Checksum(h[:20], castagnoli) {
		return 0, errors.New("segment header checksum mismatch")
	}
	return binary.LittleEndian.Uint64(h[12:]), nil
}

// beginRecord reserves the record framing; finishRecord fills it in once the
// body has been appended after it.
func beginRecord(buf []byte) ([]byte, int) {
	start := len(buf)
	return append(buf, 0, 0, 0, 0, 0, 0, 0, 0), start
}

func finishRecord(buf []byte, start int) []byte {
	body := buf[start+recordHeaderSize:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(body)))
	c := crc32.Update(0, castagnoli, buf[start:start+4])
	c = crc32.Update(c, castagnoli, body)
	binary.LittleEndian.PutUint32(buf[start+4:], c)
	return buf
}

// nextRecord frames the record at the start of b. It returns the body and
// the total framed size, or a reason why no valid record starts at b.
func nextRecord(b []byte) (body []byte, n int, bad string) {
	if len(b) < recordHeaderSize {
		return nil, 0, "incomplete record header"
	}
	l := binary.LittleEndian.Uint32(b)
	if l == 0 || l > maxBody {
		return nil, 0, fmt.Sprintf("implausible record length %d", l)
	}
	if uint64(len(b)-recordHeaderSize) < uint64(l) {
		return nil, 0, fmt.Sprintf("record length %d runs past end of file", l)
	}
	c := crc32.Update(0, castagnoli, b[:4])
	c = crc32.Update(c, castagnoli, b[recordHeaderSize:recordHeaderSize+int(l)])
	if c != binary.LittleEndian.Uint32(b[4:]) {
		return nil, 0, "record checksum mismatch"
	}
	return b[recordHeaderSize : recordHeaderSize+int(l)], recordHeaderSize + int(l), ""
}

// timeNano encodes a time as Unix nanoseconds; 0 stands for the zero time.
func timeNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func nanoTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendKey(b []byte, k Key) []byte {
	b = appendString(b, k.Device)
	return binary.AppendUvarint(b, k.Seq)
}

// appendItemBody encodes the full state of an item. Carry-forward records
// use the same body as appends so that replay needs only one rule: the
// latest item record of a key replaces whatever state came before it.
func appendItemBody(b []byte, ordinal uint64, r *Record) []byte {
	b = append(b, recItem)
	b = binary.AppendUvarint(b, ordinal)
	b = appendKey(b, r.Key)
	b = binary.AppendVarint(b, timeNano(r.ReceivedAt))
	b = binary.AppendVarint(b, timeNano(r.Updated))
	b = append(b, byte(r.Status))
	b = appendString(b, r.TxHash)
	b = binary.AppendVarint(b, r.Height)
	b = appendString(b, r.Reason)
	b = binary.AppendUvarint(b, uint64(len(r.Data)))
	return append(b, r.Data...)
}

// transition is a decoded state-change record.
type transition struct {
	status  Status
	updated time.Time
	txHash  string
	height  int64
	reason  string
	keys    []Key
}

// appendTransitionHead encodes everything of a transition body but its keys.
func appendTransitionHead(b []byte, t *transition, nkeys int) []byte {
	switch t.status {
	case Submitted:
		b = append(b, recSubmitted)
	case Committed:
		b = append(b, recCommitted)
	case Rejected:
		b = append(b, recRejected)
	default:
		panic("spool: no record type for status " + t.status.String())
	}
	b = binary.AppendVarint(b, timeNano(t.updated))
	switch t.status {
	case Submitted:
		b = appendString(b, t.txHash)
	case Committed:
		b = binary.AppendVarint(b, t.height)
		b = appendString(b, t.txHash)
	case Rejected:
		b = appendString(b, t.reason)
	}
	return binary.AppendUvarint(b, uint64(nkeys))
}

// decoder reads a record body; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("malformed %s", what)
	}
}

func (d *decoder) byte(what string) byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail(what)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(what string, max int) []byte {
	l := d.uvarint(what)
	if d.err != nil {
		return nil
	}
	if l > uint64(max) || l > uint64(len(d.b)) {
		d.fail(what)
		return nil
	}
	v := d.b[:l]
	d.b = d.b[l:]
	return v
}

func (d *decoder) key() Key {
	dev := d.bytes("device id", MaxDeviceBytes)
	return Key{Device: string(dev), Seq: d.uvarint("seq")}
}

func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	return d.err
}

// decodeItem decodes an item body (after the type byte). Data is copied out
// of the segment buffer so that the buffer can be released after replay.
func decodeItem(b []byte) (ordinal uint64, r Record, err error) {
	d := decoder{b: b}
	ordinal = d.uvarint("ordinal")
	r.Key = d.key()
	r.ReceivedAt = nanoTime(d.varint("receive time"))
	r.Updated = nanoTime(d.varint("update time"))
	r.Status = Status(d.byte("status"))
	r.TxHash = string(d.bytes("tx hash", MaxStringBytes))
	r.Height = d.varint("height")
	r.Reason = string(d.bytes("reason", MaxStringBytes))
	if data := d.bytes("data", MaxDataBytes); len(data) > 0 {
		r.Data = append([]byte(nil), data...)
	}
	if err := d.done(); err != nil {
		return 0, Record{}, err
	}
	if r.Status < Received || r.Status > Rejected {
		return 0, Record{}, fmt.Errorf("invalid status %d", r.Status)
	}
	return ordinal, r, nil
}

func decodeTransition(typ byte, b []byte) (t transition, err error) {
	d := decoder{b: b}
	switch typ {
	case recSubmitted:
		t.status = Submitted
	case recCommitted:
		t.status = Committed
	case recRejected:
		t.status = Rejected
	}
	t.updated = nanoTime(d.varint("update time"))
	switch t.status {
	case Submitted:
		t.txHash = string(d.bytes("tx hash", MaxStringBytes))
	case Committed:
		t.height = d.varint("height")
		t.txHash = string(d.bytes("tx hash", MaxStringBytes))
	case Rejected:
		t.reason = string(d.bytes("reason", MaxStringBytes))
	}
	n := d.uvarint("key count")
	if n > uint64(len(d.b)) { // every key takes at least 2 bytes
		d.fail("key count")
	}
	if d.err == nil {
		t.keys = make([]Key, 0, n)
		for i := uint64(0); i < n && d.err == nil; i++ {
			t.keys = append(t.keys, d.key())
		}
	}
	return t, d.done()
}
