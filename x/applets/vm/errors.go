package vm

import (
	"errors"
	"fmt"
)

// Validation error classes. Instrument/Validate wrap one of these, so callers
// can use errors.Is and still show the precise message to the developer.
var (
	ErrCodeTooLarge       = errors.New("wasm code too large")
	ErrMalformed          = errors.New("malformed wasm module")
	ErrDisallowedImport   = errors.New("disallowed import")
	ErrBadExport          = errors.New("bad exports")
	ErrUnsupportedFeature = errors.New("unsupported wasm feature")
	ErrLimit              = errors.New("module exceeds limits")
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupportedFeature, fmt.Sprintf(format, args...))
}

func limit(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrLimit, fmt.Sprintf(format, args...))
}

// isValidationError reports whether err is a deterministic rejection of the
// code by the instrumenter (as opposed to an I/O or engine failure).
func isValidationError(err error) bool {
	for _, e := range []error{ErrCodeTooLarge, ErrMalformed, ErrDisallowedImport, ErrBadExport, ErrUnsupportedFeature, ErrLimit} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
