package vm

import "unicode/utf8"

// reader decodes the wasm binary format from an in-memory slice. It never
// allocates from decoded counts; callers bound counts by the bytes left.
type reader struct {
	b   []byte
	off int
}

func (r *reader) len() int { return len(r.b) - r.off }

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, malformed("unexpected end at offset %d", r.off)
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) bytes(n uint32) ([]byte, error) {
	if uint64(n) > uint64(r.len()) {
		return nil, malformed("length %d exceeds remaining %d bytes", n, r.len())
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s, nil
}

func (r *reader) u32() (uint32, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if i == 4 && c&0xf0 != 0 {
			return 0, malformed("u32 LEB overflow at offset %d", r.off-1)
		}
		v |= uint32(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, malformed("u32 LEB too long at offset %d", r.off)
}

// count reads a vector length and checks that at least minSize bytes per
// element remain, so no caller can be tricked into a huge allocation.
func (r *reader) count(minSize int) (uint32, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if uint64(n)*uint64(minSize) > uint64(r.len()) {
		return 0, malformed("vector length %d exceeds remaining %d bytes", n, r.len())
	}
	return n, nil
}

// sleb reads a signed LEB of the given bit width (32, 33 or 64).
func (r *reader) sleb(bits uint) (int64, error) {
	var v int64
	var shift uint
	maxBytes := int((bits + 6) / 7)
	for i := 0; i < maxBytes; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if i == maxBytes-1 {
				// Unused high bits of the last byte must be a sign extension.
				used := bits - 7*uint(maxBytes-1) // significant bits in this byte
				rest := c & 0x7f >> (used - 1)    // sign bit and the padding above it
				if rest != 0 && rest != (0x7f>>(used-1)) {
					return 0, malformed("signed LEB overflow at offset %d", r.off-1)
				}
			}
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, nil
		}
	}
	return 0, malformed("signed LEB too long at offset %d", r.off)
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", malformed("name is not valid UTF-8")
	}
	return string(b), nil
}

// skipN advances over n bytes (used for float immediates).
func (r *reader) skipN(n int) error {
	if r.len() < n {
		return malformed("unexpected end at offset %d", r.off)
	}
	r.off += n
	return nil
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
