package types

import (
	"bytes"
	"compress/gzip"
	errorsmod "cosmossdk.io/errors"
	"io"
)

// UnpackCode returns the original module from the bytes as uploaded (and
// stored): gzip is inflated, never beyond max bytes; raw wasm is returned as
// is. The chain keeps the uploaded bytes, not a recompression, so stored
// state never depends on a compressor's version.
func UnpackCode(stored []byte, max int) ([]byte, error) {
	if !bytes.HasPrefix(stored, []byte{0x1f, 0x8b}) {
		if len(stored) > max {
			return nil, errorsmod.Wrapf(ErrCodeTooLarge, "%d bytes, at most %d", len(stored), max)
		}
		return stored, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(stored))
	if err != nil {
		return nil, errorsmod.Wrapf(ErrInvalidWasm, "gzip: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, int64(max)+1))
	if err != nil {
		return nil, errorsmod.Wrapf(ErrInvalidWasm, "gzip: %v", err)
	}
	if len(out) > max {
		return nil, errorsmod.Wrapf(ErrCodeTooLarge, "more than %d bytes after gunzip", max)
	}
	return out, nil
}
