package types

// Claim is one device-signed statement. The caller computes the sign bytes;
// this module decides whether the device may make the claim.
type Claim struct {
	DeviceID  string
	ProjectID uint64
	Seq       uint64
	// AfterSeq, when not zero, admits the claim only if the device's last
	// accepted seq is exactly AfterSeq (see MsgPublish.after_seqs).
	AfterSeq  uint64
	SignBytes []byte
	Signature []byte
}

// Verdict is the outcome for one claim: Err is nil when admitted.
type Verdict struct {
	// Algo is the device's key algorithm, empty when the device is unknown.
	Algo string
	// Device is the raw 20-byte device id, when it parsed.
	Device []byte
	Err    error
}

// VerifyGasFunc prices one signature check by algorithm.
type VerifyGasFunc func(algo string) uint64
