package devicekey

import (
	"encoding/base64"
	"fmt"
)

// JSONWebKey is the RFC 7517 public JWK as embedded in W3C DID documents
// (verificationMethod.publicKeyJwk), so devices are resolvable by standard
// DID tooling without knowing our wire formats.
type JSONWebKey struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty"`
}

// JWK needs the affine y coordinate, so compressed EC keys are decompressed;
// any encoding NormalizePublicKey accepts is fine.
func JWK(algo Algo, pub []byte) (JSONWebKey, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	switch algo {
	case P256:
		k, err := parseP256(pub)
		if err != nil {
			return JSONWebKey{}, err
		}
		return JSONWebKey{Kty: "EC", Crv: "P-256", X: b64(k.uncompressed[1:33]), Y: b64(k.uncompressed[33:])}, nil
	case Secp256k1:
		k, err := parseSecp256k1(pub)
		if err != nil {
			return JSONWebKey{}, err
		}
		u := k.pub.SerializeUncompressed()
		return JSONWebKey{Kty: "EC", Crv: "secp256k1", X: b64(u[1:33]), Y: b64(u[33:])}, nil
	case Ed25519:
		k, err := parseEd25519(pub)
		if err != nil {
			return JSONWebKey{}, err
		}
		return JSONWebKey{Kty: "OKP", Crv: "Ed25519", X: b64(k.pub)}, nil
	}
	return JSONWebKey{}, fmt.Errorf("jwk: %w", unsupported(algo))
}
