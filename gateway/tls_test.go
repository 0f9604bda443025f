package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "w3bd gateway test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// TestTLSListeners: with a certificate, both HTTP and MQTT speak TLS only.
func TestTLSListeners(t *testing.T) {
	chain, _, _ := world(t)
	cfg := testConfig(t.TempDir())
	cfg.TLSCertFile, cfg.TLSKeyFile = selfSigned(t)
	cfg.HTTPAddr, cfg.MQTTAddr = freeAddr(t), freeAddr(t)
	startGateway(t, chain, cfg)

	pool := x509.NewCertPool()
	pem, err := os.ReadFile(cfg.TLSCertFile)
	require.NoError(t, err)
	require.True(t, pool.AppendCertsFromPEM(pem))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	var res *http.Response
	require.Eventually(t, func() bool {
		res, err = client.Get("https://" + cfg.HTTPAddr + "/healthz")
		return err == nil
	}, 5*time.Second, 50*time.Millisecond)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	_, err = http.Get("http://" + cfg.HTTPAddr + "/healthz")
	if err == nil {
		// A plaintext request gets a TLS-level error response, never the handler.
		res, _ := http.Get("http://" + cfg.HTTPAddr + "/healthz")
		require.NotEqual(t, http.StatusOK, res.StatusCode)
	}

	conn, err := tls.Dial("tcp", cfg.MQTTAddr, &tls.Config{RootCAs: pool})
	require.NoError(t, err, "MQTT listener speaks TLS")
	require.NoError(t, conn.Close())
}
