package types

// Event types and attribute keys of the streams module.
const (
	EventTypeStreamCreated    = "w3b.streams.stream_created"
	EventTypeRecordAppended   = "w3b.streams.record_appended"
	EventTypeEnvelopeRejected = "w3b.streams.envelope_rejected"

	AttributeKeyStreamID    = "stream_id"
	AttributeKeyProjectID   = "project_id"
	AttributeKeyName        = "name"
	AttributeKeyIndex       = "index"
	AttributeKeyDeviceID    = "device_id"
	AttributeKeySeq         = "seq"
	AttributeKeyPayloadHash = "payload_hash"
	AttributeKeyReason      = "reason"
	AttributeKeyError       = "error"
	AttributeKeyInstanceID  = "instance_id"
)
