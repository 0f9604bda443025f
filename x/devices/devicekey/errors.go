package devicekey

import "errors"

// Sentinel errors. Callers (the x/devices keeper, ante handlers, CLI) map
// these to stable reason codes with errors.Is; the wrapped text carries the
// human detail and is not part of any contract.
var (
	// ErrInvalidPublicKey: the key bytes can never be a valid key of the
	// claimed algorithm (length, prefix, off-curve, small order, ...).
	ErrInvalidPublicKey = errors.New("invalid device public key")

	// ErrInvalidSignatureEncoding: the signature is structurally unusable
	// (bad length, malformed or non-minimal DER, r or s outside [1, n-1]).
	// Such a signature cannot verify under any key, which lets a caller
	// reject it before doing (or charging for) curve arithmetic.
	ErrInvalidSignatureEncoding = errors.New("invalid signature encoding")

	// ErrSignatureMismatch: the signature is well formed but does not verify
	// for this key and message (wrong key, wrong message, tampered bytes).
	ErrSignatureMismatch = errors.New("signature does not match")

	// ErrInvalidDeviceID: the string is not a w3bdev1... device ID.
	ErrInvalidDeviceID = errors.New("invalid device id")

	// ErrInvalidPrivateKey: the PEM / raw private key cannot be used.
	ErrInvalidPrivateKey = errors.New("invalid device private key")
)

// keyError renders as "<algo> public key: <detail>" (the form operators see
// in CLI output) while still matching ErrInvalidPublicKey under errors.Is.
type keyError struct {
	algo   Algo
	detail string
}

func (e *keyError) Error() string { return string(e.algo) + " public key: " + e.detail }
func (e *keyError) Unwrap() error { return ErrInvalidPublicKey }

func keyErr(a Algo, detail string) error { return &keyError{algo: a, detail: detail} }
