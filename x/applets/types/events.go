package types

// Event types and attribute keys of the applets module.
const (
	EventTypeCodeStored       = "w3b.applets.code_stored"
	EventTypeInstantiated     = "w3b.applets.instantiated"
	EventTypeInstanceUpdated  = "w3b.applets.instance_updated"
	EventTypeDeposit          = "w3b.applets.deposit"
	EventTypeInstancePaused   = "w3b.applets.instance_paused"
	EventTypeInstanceExecuted = "w3b.applets.instance_executed"

	AttributeKeyCodeID         = "code_id"
	AttributeKeyHash           = "hash"
	AttributeKeyInstanceID     = "instance_id"
	AttributeKeyProjectID      = "project_id"
	AttributeKeyOutputStreamID = "output_stream_id"
	AttributeKeyStatus         = "status"
	AttributeKeyAmount         = "amount"
	AttributeKeyReason         = "reason"
	AttributeKeyEvents         = "events"
	AttributeKeyFailed         = "failed"
	AttributeKeyGasUsed        = "gas_used"
	AttributeKeyFee            = "fee"
)
