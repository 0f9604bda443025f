package types

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
)

// UnpackCode returns the original module from the bytes as uploaded (and
// stored): gzip is inflated, never beyond max bytes; raw wasm is returned as
// is. The chain keeps the uploaded bytes, not a recompression, so stored
// state never depends on a compressor's version.
func UnpackCode(stored []byte, max int) ([]byte, error) {
	if !bytes.HasPrefix(stored, []byte{0x1f, 0x8b}) {
		if len(stored) > max {
			return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrCodeTooLarge, len(stored), max)
		}
		return stored, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(stored))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrInvalidWasm, err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrInvalidWasm, err)
	}
	if len(out) > max {
		return nil, fmt.Errorf("%w: more than %d bytes after gunzip", ErrCodeTooLarge, max)
	}
	return out, nil
}
