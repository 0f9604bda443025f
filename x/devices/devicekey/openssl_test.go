package devicekey

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests pin interoperability with OpenSSL, the tool device vendors and
// operators actually use to provision keys and debug signatures.

func opensslPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("openssl"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/openssl"); err == nil {
		return "/usr/bin/openssl"
	}
	t.Skip("openssl binary not found in PATH or at /usr/bin/openssl; interop tests need it")
	return ""
}

func runOpenSSL(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("openssl %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// opensslPublicKey returns the raw point OpenSSL derives from the key file:
// the tail of its SubjectPublicKeyInfo DER (65 bytes uncompressed EC, 32 Ed25519).
func opensslPublicKey(t *testing.T, bin, keyFile string, algo Algo) []byte {
	spki := runOpenSSL(t, bin, "pkey", "-in", keyFile, "-pubout", "-outform", "DER")
	n := UncompressedECKeySize
	if algo == Ed25519 {
		n = Ed25519KeySize
	}
	if len(spki) < n {
		t.Fatalf("openssl SPKI too short: %x", spki)
	}
	return spki[len(spki)-n:]
}

// opensslSign signs msgFile with keyFile: DER ECDSA-SHA256 or raw Ed25519.
func opensslSign(t *testing.T, bin, dir, keyFile, msgFile string, algo Algo) []byte {
	sigFile := filepath.Join(dir, "sig.bin")
	if algo == Ed25519 {
		runOpenSSL(t, bin, "pkeyutl", "-sign", "-rawin", "-inkey", keyFile, "-in", msgFile, "-out", sigFile)
	} else {
		runOpenSSL(t, bin, "dgst", "-sha256", "-sign", keyFile, "-out", sigFile, msgFile)
	}
	return readFile(t, sigFile)
}

// checkOpenSSLKey runs the checks shared by both directions: same public
// key, OpenSSL signatures verify here, our signatures verify in OpenSSL.
func checkOpenSSLKey(t *testing.T, bin, dir, keyFile string, k *PrivateKey) {
	algo := k.Algo()
	osslPub := opensslPublicKey(t, bin, keyFile, algo)
	norm, err := NormalizePublicKey(algo, osslPub)
	if err != nil {
		t.Fatalf("normalize openssl public key %x: %v", osslPub, err)
	}
	if !bytes.Equal(norm, k.PublicKey()) {
		t.Fatalf("openssl derives public key %x, we derive %x", norm, k.PublicKey())
	}
	pub := mustParse(t, algo, k.PublicKey())

	pubFile := filepath.Join(dir, "pub.pem")
	runOpenSSL(t, bin, "pkey", "-in", keyFile, "-pubout", "-out", pubFile)

	msgFile := filepath.Join(dir, "msg.bin")
	sawHighS := false
	// Several messages: OpenSSL does not normalize s, so high-s signatures
	// show up here with probability 1/2 each.
	for i := 0; i < 6; i++ {
		msg := []byte("reading #" + string(rune('0'+i)) + " from device, signed by openssl")
		writeFile(t, msgFile, msg)

		sig := opensslSign(t, bin, dir, keyFile, msgFile, algo)
		if err := pub.Verify(msg, sig); err != nil {
			t.Fatalf("openssl signature %x does not verify here: %v", sig, err)
		}
		if algo != Ed25519 {
			n := &p256N
			if algo == Secp256k1 {
				n = &secp256k1N
			}
			r, s, err := parseDERSignature(sig)
			if err != nil {
				t.Fatalf("openssl DER: %v", err)
			}
			if err := pub.Verify(msg, append(r[:], s[:]...)); err != nil {
				t.Fatalf("r||s form of openssl signature: %v", err)
			}
			if isHighS(&s, n) {
				sawHighS = true
			}
			wantErrIs(t, pub.Verify(append(msg, 'x'), sig), ErrSignatureMismatch, "openssl sig, wrong message")
		}

		// Conversely: our signature, checked by OpenSSL.
		ours := mustSign(t, k, msg)
		sigFile := filepath.Join(dir, "ours.sig")
		if algo == Ed25519 {
			writeFile(t, sigFile, ours)
			runOpenSSL(t, bin, "pkeyutl", "-verify", "-pubin", "-inkey", pubFile, "-rawin", "-in", msgFile, "-sigfile", sigFile)
		} else {
			var r, s [32]byte
			copy(r[:], ours[:32])
			copy(s[:], ours[32:])
			writeFile(t, sigFile, appendDERSignature(nil, &r, &s))
			out := runOpenSSL(t, bin, "dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, msgFile)
			if !bytes.Contains(out, []byte("Verified OK")) {
				t.Fatalf("openssl rejected our signature: %s", out)
			}
		}
	}
	if algo != Ed25519 {
		t.Logf("saw a high-s openssl signature: %v", sawHighS)
	}
}

func isHighS(s, n *[32]byte) bool {
	// s > n/2  <=>  2s > n
	var carry byte
	var dbl [33]byte
	for i := 31; i >= 0; i-- {
		v := uint16(s[i])<<1 | uint16(carry)
		dbl[i+1] = byte(v)
		carry = byte(v >> 8)
	}
	dbl[0] = carry
	return bytes.Compare(dbl[:], append([]byte{0}, n[:]...)) > 0
}

func TestOpenSSLKeysParseAndVerify(t *testing.T) {
	bin := opensslPath(t)
	for _, c := range []struct {
		name    string
		algo    Algo
		args    []string
		wantHdr string
	}{
		{"p256 genpkey PKCS#8", P256, []string{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, "BEGIN PRIVATE KEY"},
		{"p256 ecparam SEC1 with EC PARAMETERS", P256, []string{"ecparam", "-name", "prime256v1", "-genkey"}, "BEGIN EC PARAMETERS"},
		{"secp256k1 ecparam SEC1 -noout", Secp256k1, []string{"ecparam", "-name", "secp256k1", "-genkey", "-noout"}, "BEGIN EC PRIVATE KEY"},
		{"secp256k1 ecparam SEC1 with EC PARAMETERS", Secp256k1, []string{"ecparam", "-name", "secp256k1", "-genkey"}, "BEGIN EC PARAMETERS"},
		{"secp256k1 genpkey PKCS#8", Secp256k1, []string{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"}, "BEGIN PRIVATE KEY"},
		{"ed25519 genpkey PKCS#8", Ed25519, []string{"genpkey", "-algorithm", "ed25519"}, "BEGIN PRIVATE KEY"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			keyFile := filepath.Join(dir, "key.pem")
			runOpenSSL(t, bin, append(c.args, "-out", keyFile)...)
			data := readFile(t, keyFile)
			if !bytes.HasPrefix(data, []byte("-----"+c.wantHdr)) {
				t.Fatalf("openssl wrote an unexpected layout:\n%s", data)
			}
			k, err := ParsePrivateKeyPEM(data)
			if err != nil {
				t.Fatalf("ParsePrivateKeyPEM(openssl key): %v\n%s", err, data)
			}
			if k.Algo() != c.algo {
				t.Fatalf("algo = %s, want %s", k.Algo(), c.algo)
			}
			checkOpenSSLKey(t, bin, dir, keyFile, k)

			// Our re-encoding of an OpenSSL key is still the same key to OpenSSL.
			ours, err := MarshalPKCS8PEM(k)
			if err != nil {
				t.Fatal(err)
			}
			oursFile := filepath.Join(dir, "ours.pem")
			writeFile(t, oursFile, ours)
			a := runOpenSSL(t, bin, "pkey", "-in", keyFile, "-pubout", "-outform", "DER")
			b := runOpenSSL(t, bin, "pkey", "-in", oursFile, "-pubout", "-outform", "DER")
			if !bytes.Equal(a, b) {
				t.Fatalf("openssl sees a different key after our PKCS#8 re-encoding")
			}
		})
	}
}

func TestOpenSSLReadsOurKeys(t *testing.T) {
	bin := opensslPath(t)
	for _, c := range []struct {
		algo     Algo
		wantText string
	}{
		{P256, "ASN1 OID: prime256v1"},
		{Secp256k1, "ASN1 OID: secp256k1"},
		{Ed25519, "ED25519 Private-Key"},
	} {
		t.Run(string(c.algo), func(t *testing.T) {
			dir := t.TempDir()
			k, err := GenerateKey(c.algo, nil)
			if err != nil {
				t.Fatal(err)
			}
			data, err := MarshalPKCS8PEM(k)
			if err != nil {
				t.Fatal(err)
			}
			keyFile := filepath.Join(dir, "key.pem")
			writeFile(t, keyFile, data)
			text := runOpenSSL(t, bin, "pkey", "-in", keyFile, "-noout", "-text")
			if !bytes.Contains(text, []byte(c.wantText)) {
				t.Fatalf("openssl -text output lacks %q:\n%s", c.wantText, text)
			}
			if c.algo != Ed25519 {
				// Full consistency check: scalar, embedded public key, curve.
				out := runOpenSSL(t, bin, "pkey", "-in", keyFile, "-noout", "-check")
				if !bytes.Contains(out, []byte("Key is valid")) {
					t.Fatalf("openssl -check: %s", out)
				}
			}
			checkOpenSSLKey(t, bin, dir, keyFile, k)
		})
	}
}
