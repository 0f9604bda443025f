package devicekey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"testing"
)

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParsePrivateKeyPEMForms(t *testing.T) {
	// SEC 1 P-256, as crypto/x509 writes it, after an EC PARAMETERS block
	// (the layout `openssl ecparam -genkey` produces).
	k := mustKey(t, P256, 31)
	sec1, err := x509.MarshalECPrivateKey(k.p256)
	if err != nil {
		t.Fatal(err)
	}
	params, _ := asn1.Marshal(oidP256)
	data := append(pemOf("EC PARAMETERS", params), pemOf("EC PRIVATE KEY", sec1)...)
	got, err := ParsePrivateKeyPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Algo() != P256 || !bytes.Equal(got.PublicKey(), k.PublicKey()) {
		t.Fatal("SEC1 P-256 parsed to a different key")
	}

	// SEC 1 secp256k1 with the curve OID inside, without the public key.
	k1 := mustKey(t, Secp256k1, 31)
	d := k1.k1.Key.Bytes()
	der, _ := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: d[:], NamedCurveOID: oidSecp256k1})
	got, err = ParsePrivateKeyPEM(pemOf("EC PRIVATE KEY", der))
	if err != nil {
		t.Fatal(err)
	}
	if got.Algo() != Secp256k1 || !bytes.Equal(got.PublicKey(), k1.PublicKey()) {
		t.Fatal("SEC1 secp256k1 parsed to a different key")
	}

	// A scalar with its leading zero byte dropped (seen in the wild) parses.
	var raw [32]byte
	raw[1], raw[31] = 0x42, 1
	kz, err := NewPrivateKey(Secp256k1, raw[:])
	if err != nil {
		t.Fatal(err)
	}
	der, _ = asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: raw[1:], NamedCurveOID: oidSecp256k1})
	got, err = ParsePrivateKeyPEM(pemOf("EC PRIVATE KEY", der))
	if err != nil || !bytes.Equal(got.PublicKey(), kz.PublicKey()) {
		t.Fatalf("short scalar: %v", err)
	}
}

func TestParsePrivateKeyPEMRejects(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p384pkcs8, _ := x509.MarshalPKCS8PrivateKey(p384)
	p384sec1, _ := x509.MarshalECPrivateKey(p384)
	nullParams := asn1.RawValue{FullBytes: []byte{5, 0}}
	rsaPKCS8, _ := asn1.Marshal(pkcs8{
		Algo:       pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}, Parameters: nullParams},
		PrivateKey: []byte{0x30, 0},
	})
	unknownPKCS8, _ := asn1.Marshal(pkcs8{
		Algo:       pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 3, 4}},
		PrivateKey: []byte{0x30, 0},
	})
	ecNoCurve, _ := asn1.Marshal(pkcs8{
		Algo:       pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: nullParams},
		PrivateKey: []byte{0x30, 0},
	})

	k1 := mustKey(t, Secp256k1, 40)
	other := mustKey(t, Secp256k1, 41)
	d := k1.k1.Key.Bytes()
	otherPub := other.k1.PubKey().SerializeUncompressed()
	mismatched, _ := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: d[:], NamedCurveOID: oidSecp256k1,
		PublicKey: asn1.BitString{Bytes: otherPub, BitLength: 8 * len(otherPub)}})
	noCurve, _ := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: d[:]})
	wrongVersion, _ := asn1.Marshal(ecPrivateKey{Version: 2, PrivateKey: d[:], NamedCurveOID: oidSecp256k1})
	zeroScalar, _ := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: make([]byte, 32), NamedCurveOID: oidSecp256k1})
	overN, _ := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: secp256k1N[:], NamedCurveOID: oidSecp256k1})
	longScalar, _ := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: append([]byte{1}, d[:]...), NamedCurveOID: oidSecp256k1})
	// PKCS#8 says secp256k1 but the inner key claims P-256.
	innerP256, _ := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: d[:], NamedCurveOID: oidP256})
	k1Params, _ := asn1.Marshal(oidSecp256k1)
	curveConflict, _ := asn1.Marshal(pkcs8{
		Algo:       pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: k1Params}},
		PrivateKey: innerP256,
	})
	legacyEncrypted := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00000000000000000000000000000000"},
		Bytes:   []byte{1, 2, 3}})
	pubOnly, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)

	for _, c := range []struct {
		name, substr string
		data         []byte
	}{
		{"P-384 PKCS#8", "unsupported curve P-384 (supported: p256, secp256k1, ed25519)", pemOf("PRIVATE KEY", p384pkcs8)},
		{"P-384 SEC1", "unsupported curve P-384", pemOf("EC PRIVATE KEY", p384sec1)},
		{"RSA PKCS#8", "unsupported RSA", pemOf("PRIVATE KEY", rsaPKCS8)},
		{"RSA PKCS#1", "unsupported RSA PRIVATE KEY block", pemOf("RSA PRIVATE KEY", []byte{0x30, 0})},
		{"unknown OID", "unsupported key algorithm 1.2.3.4", pemOf("PRIVATE KEY", unknownPKCS8)},
		{"EC without named curve", "without a named curve", pemOf("PRIVATE KEY", ecNoCurve)},
		{"encrypted PKCS#8", "encrypted PKCS#8 keys are not supported", pemOf("ENCRYPTED PRIVATE KEY", []byte{0x30, 0})},
		{"legacy encrypted", "is encrypted", legacyEncrypted},
		{"OpenSSH", "OpenSSH", pemOf("OPENSSH PRIVATE KEY", []byte{1})},
		{"embedded pubkey mismatch", "embedded public key does not match", pemOf("EC PRIVATE KEY", mismatched)},
		{"SEC1 without curve", "does not name its curve", pemOf("EC PRIVATE KEY", noCurve)},
		{"SEC1 version 2", "version 2, want 1", pemOf("EC PRIVATE KEY", wrongVersion)},
		{"zero scalar", "zero or not below the curve order", pemOf("EC PRIVATE KEY", zeroScalar)},
		{"scalar = n", "zero or not below the curve order", pemOf("EC PRIVATE KEY", overN)},
		{"33-byte scalar", "scalar is 33 bytes", pemOf("EC PRIVATE KEY", longScalar)},
		{"curve conflict", "names curve 1.2.840.10045.3.1.7 inside PKCS#8 for curve 1.3.132.0.10", pemOf("PRIVATE KEY", curveConflict)},
		{"garbage DER", "PKCS#8", pemOf("PRIVATE KEY", []byte{0x30, 0x03, 1})},
		{"not PEM", "no PEM block found", []byte("hello")},
		{"public key only", "no private key block found (saw EC PARAMETERS, PUBLIC KEY)", append(pemOf("EC PARAMETERS", k1Params), pemOf("PUBLIC KEY", pubOnly)...)},
	} {
		_, err := ParsePrivateKeyPEM(c.data)
		wantErrContains(t, err, ErrInvalidPrivateKey, c.substr, c.name)
	}
}

func TestNewPrivateKeyRejects(t *testing.T) {
	for _, c := range []struct {
		algo   Algo
		raw    []byte
		substr string
	}{
		{P256, make([]byte, 32), "zero or not below the curve order"},
		{P256, p256N[:], "zero or not below the curve order"},
		{P256, make([]byte, 31), "31 bytes, want 32"},
		{Secp256k1, make([]byte, 32), "zero or not below the curve order"},
		{Secp256k1, secp256k1N[:], "zero or not below the curve order"},
		{Secp256k1, make([]byte, 33), "33 bytes, want 32"},
		{Ed25519, make([]byte, 64), "64 bytes, want 32"},
	} {
		_, err := NewPrivateKey(c.algo, c.raw)
		wantErrContains(t, err, ErrInvalidPrivateKey, c.substr, string(c.algo))
	}
	_, err := NewPrivateKey("rsa", nil)
	wantErrIs(t, err, ErrUnsupportedAlgo, "rsa")
}
