package types

import (
	"errors"

	devicestypes "github.com/w3bd/w3bd/x/devices/types"
)

// Reason codes for rejected envelopes: stable strings shared by the chain,
// the gateway's early checks and its acknowledgements.
const (
	ReasonMalformed       = "malformed"
	ReasonUnknownStream   = "unknown_stream"
	ReasonNotDeviceStream = "not_device_stream"
	ReasonPayloadTooLarge = "payload_too_large"
	ReasonFutureTimestamp = "future_timestamp"
	ReasonUnknownDevice   = "unknown_device"
	ReasonWrongProject    = "wrong_project"
	ReasonDeviceSuspended = "device_suspended"
	ReasonDeviceRevoked   = "device_revoked"
	ReasonBadSignature    = "bad_signature"
	ReasonStaleSeq        = "stale_seq"
	// ReasonOutOfOrder: the envelope's after_seq was not the device's last
	// accepted seq; the submitter resubmits it, the device is not told.
	ReasonOutOfOrder = "out_of_order"
)

var reasonOf = []struct {
	err    error
	reason string
}{
	{ErrMalformedEnvelope, ReasonMalformed},
	{devicestypes.ErrInvalidDeviceID, ReasonMalformed},
	{ErrStreamNotFound, ReasonUnknownStream},
	{ErrNotDeviceStream, ReasonNotDeviceStream},
	{ErrPayloadTooLarge, ReasonPayloadTooLarge},
	{ErrFutureTimestamp, ReasonFutureTimestamp},
	{devicestypes.ErrDeviceNotFound, ReasonUnknownDevice},
	{devicestypes.ErrWrongProject, ReasonWrongProject},
	{devicestypes.ErrDeviceSuspended, ReasonDeviceSuspended},
	{devicestypes.ErrDeviceRevoked, ReasonDeviceRevoked},
	{devicestypes.ErrInvalidSignature, ReasonBadSignature},
	{devicestypes.ErrStaleSeq, ReasonStaleSeq},
	{devicestypes.ErrOutOfOrder, ReasonOutOfOrder},
}

// RejectReason maps an envelope's rejection error to its reason code.
func RejectReason(err error) string {
	for _, r := range reasonOf {
		if errors.Is(err, r.err) {
			return r.reason
		}
	}
	return ReasonMalformed
}

// IsRejection tells a judgement on an envelope from any other failure (of
// the store, say), which must fail the whole message instead.
func IsRejection(err error) bool {
	for _, r := range reasonOf {
		if errors.Is(err, r.err) {
			return true
		}
	}
	return false
}
