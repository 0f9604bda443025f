// Package devicekey holds the device-key cryptography shared by the chain
// (signature verification of sensor readings) and by device-side tooling
// (`w3bd device keygen/sign`).
//
// It is deliberately free of Cosmos SDK types so that firmware tooling,
// indexers and off-chain verifiers can import it without pulling in the app.
//
// Devices keep their keys in secure hardware (TPMs, secure elements, HSMs),
// which overwhelmingly speak ECDSA P-256 or secp256k1 and emit ASN.1 DER
// signatures, or Ed25519. The package therefore accepts what such hardware
// produces (compressed or uncompressed points, r||s or DER signatures, any s)
// but stores exactly one canonical form: the compressed point. A device's
// identity (DeviceID) is derived from that canonical form, so the same key
// always maps to the same ID whatever encoding a client submitted.
package devicekey
