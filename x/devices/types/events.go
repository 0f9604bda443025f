package types

// Event types and attribute keys of the devices module.
const (
	EventTypeProjectCreated      = "w3b.devices.project_created"
	EventTypeProjectUpdated      = "w3b.devices.project_updated"
	EventTypeProjectTransferred  = "w3b.devices.project_transferred"
	EventTypeDeviceRegistered    = "w3b.devices.device_registered"
	EventTypeDeviceStatusChanged = "w3b.devices.device_status_changed"

	AttributeKeyProjectID = "project_id"
	AttributeKeyOwner     = "owner"
	AttributeKeyNewOwner  = "new_owner"
	AttributeKeyDeviceID  = "device_id"
	AttributeKeyAlgo      = "algo"
	AttributeKeyStatus    = "status"
)
