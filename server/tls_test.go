package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// writeTLSFiles makes a CA and a certificate it signs for 127.0.0.1, as PEM files in
// dir: ca.pem, cert.pem, key.pem.
func writeTLSFiles(t *testing.T, dir string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "onemrc test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "redis"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	for name, block := range map[string]*pem.Block{
		"ca.pem": {Type: "CERTIFICATE", Bytes: caDER}, "cert.pem": {Type: "CERTIFICATE", Bytes: leafDER},
		"key.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600))
	}
}

// rediss:// reaches a Redis that speaks TLS only, checking its certificate against the
// host (the CA here comes from SSL_CERT_FILE, as an operator's private CA would).
func TestClusterOverTLS(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("ONEMRC_REQUIRE_REDIS") != "" {
			t.Fatal("redis-server is not installed (ONEMRC_REQUIRE_REDIS is set)")
		}
		t.Skip("redis-server not installed")
	}
	dir := t.TempDir()
	writeTLSFiles(t, dir)
	addr := freePort(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", "0", "--tls-port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--tls-cert-file", filepath.Join(dir, "cert.pem"), "--tls-key-file", filepath.Join(dir, "key.pem"),
		"--tls-ca-cert-file", filepath.Join(dir, "ca.pem"), "--tls-auth-clients", "no")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	roots := x509.NewCertPool()
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)
	roots.AppendCertsFromPEM(caPEM)
	require.Eventually(t, func() bool {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
		if err != nil {
			return false
		}
		c.Close()
		return true
	}, 10*time.Second, 20*time.Millisecond, "redis-server serves TLS (built with TLS)")

	t.Setenv("SSL_CERT_FILE", filepath.Join(dir, "ca.pem"))
	url := "rediss://" + addr + "/0"
	a := startDaemon(t, "-cluster", url, "-node-id", "a", "-flush-interval", "50ms")
	b := startDaemon(t, "-cluster", url, "-node-id", "b", "-flush-interval", "50ms")
	sendRange(t, a, 0, 3_000, 4_000)
	sendRange(t, b, 3_000, 6_000, 4_000)
	waitCluster(t, expected(6_000, 4_000), a, b)

	// A certificate the daemon cannot verify is refused at once: trusting another CA, it
	// does not start.
	other := t.TempDir()
	writeTLSFiles(t, other)
	t.Setenv("SSL_CERT_FILE", filepath.Join(other, "ca.pem"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, daemonBin, "-addr", freePort(t), "-admin-addr", "", "-cluster", url, "-node-id", "c")
	out, err := c.CombinedOutput()
	require.Error(t, err, "%s", out)
	require.Contains(t, string(out), "onemrcd cannot start")
	require.Contains(t, string(out), "failed to verify certificate", "named at once, not retried")
}
