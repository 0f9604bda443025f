package vm

import (
	"crypto/sha256"
	"encoding/binary"
)

// randStream is the deterministic source behind wasi random_get: SHA-256 in
// counter mode over a key derived from consensus data. Its output is fixed
// forever by this code (no dependency on library PRNG algorithms).
type randStream struct {
	key [32]byte
	ctr uint64
	buf [32]byte
	pos int
}

// newRandStream keys the stream by the block seed, the applet instance id
// and the index of the event that created the module instance, so a
// re-created instance does not replay the previous instance's randomness.
func newRandStream(seed [32]byte, instanceID []byte, eventIndex int) *randStream {
	h := sha256.New()
	h.Write([]byte("w3b/vm/random/v1"))
	h.Write(seed[:])
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(instanceID)))
	h.Write(n[:])
	h.Write(instanceID)
	binary.BigEndian.PutUint64(n[:], uint64(eventIndex))
	h.Write(n[:])
	r := &randStream{pos: 32}
	h.Sum(r.key[:0])
	return r
}

func (r *randStream) read(p []byte) {
	for len(p) > 0 {
		if r.pos == 32 {
			var in [40]byte
			copy(in[:], r.key[:])
			binary.BigEndian.PutUint64(in[32:], r.ctr)
			r.ctr++
			r.buf = sha256.Sum256(in[:])
			r.pos = 0
		}
		n := copy(p, r.buf[r.pos:])
		r.pos += n
		p = p[n:]
	}
}
