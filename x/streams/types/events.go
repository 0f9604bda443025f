package types

// Event types and attribute keys of the streams module.
const (
	EventTypeStreamCreated = "w3b.streams.stream_created"
	// EventTypeRecordsAppended summarises, per stream and message, the
	// records appended: one event for a batch of a thousand readings, not a
	// thousand (each record is in state; index them there).
	EventTypeRecordsAppended  = "w3b.streams.records_appended"
	EventTypeEnvelopeRejected = "w3b.streams.envelope_rejected"

	AttributeKeyStreamID   = "stream_id"
	AttributeKeyProjectID  = "project_id"
	AttributeKeyName       = "name"
	AttributeKeyFirstIndex = "first_index"
	AttributeKeyLastIndex  = "last_index"
	AttributeKeyCount      = "count"
	AttributeKeyCommitment = "commitment"
	AttributeKeyDeviceID   = "device_id"
	AttributeKeySeq        = "seq"
	AttributeKeyReason     = "reason"
	AttributeKeyError      = "error"
	AttributeKeyInstanceID = "instance_id"
)
