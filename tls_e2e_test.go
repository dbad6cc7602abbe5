// Copyright The netlink_exporter Authors
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

//go:build linux

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
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// A testPKI is a CA and a server certificate for 127.0.0.1 that it signed,
// written as PEM files into dir: ca.crt, tls.crt and tls.key, plus
// other.key, a key that matches no certificate.
type testPKI struct {
	dir  string
	pool *x509.CertPool // holds only the CA
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	p := testPKI{dir: t.TempDir(), pool: x509.NewCertPool()}
	now := time.Now()

	caKey := p.newKey(t, "ca.key")
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "netlink_exporter e2e CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	p.pool.AddCert(ca)
	p.writePEM(t, "ca.crt", "CERTIFICATE", caDER)

	srvKey := p.newKey(t, "tls.key")
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, srvKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	p.writePEM(t, "tls.crt", "CERTIFICATE", srvDER)
	p.newKey(t, "other.key")
	return p
}

// newKey makes an ECDSA P-256 key and writes it as PKCS #8 PEM to name.
func (p testPKI) newKey(t *testing.T, name string) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p.writePEM(t, name, "PRIVATE KEY", der)
	return key
}

func (p testPKI) writePEM(t *testing.T, name, typ string, der []byte) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(filepath.Join(p.dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// webConfig writes a web config file into the PKI's directory, so that its
// relative cert_file and key_file paths resolve there, as exporter-toolkit
// resolves them against the config file's directory.
func (p testPKI) webConfig(t *testing.T, config string) string {
	t.Helper()
	f, err := os.CreateTemp(p.dir, "web-*.yml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(config); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// exampleWebConfig is the web config that docs/deploying.md and the systemd
// drop-in ship, with cert_file tls.crt and key_file tls.key.
const exampleWebConfig = "deploy/systemd/web-config.yml"

// exampleUser matches the example's one user line.
var exampleUser = regexp.MustCompile(`(?m)^(\s+)prometheus: \S+$`)

// tlsAuthConfig returns the example web config, with the e2e user in place
// of the example's, whose password nobody knows.
func tlsAuthConfig(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(exampleWebConfig)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(exampleUser.FindAll(data, -1)); n != 1 {
		t.Fatalf("%s: %d lines match %s, want 1: update this test with the example", exampleWebConfig, n, exampleUser)
	}
	// The hash's dollars are literal, not group references.
	repl := "${1}" + e2eUser + ": " + strings.ReplaceAll(e2eHash, "$", "$$")
	return string(exampleUser.ReplaceAll(data, []byte(repl)))
}

// TestE2ETLSBasicAuth scrapes over HTTPS with basic auth, as a Prometheus
// with tls_config.ca_file and basic_auth would.
func TestE2ETLSBasicAuth(t *testing.T) {
	t.Parallel()
	testns.RequireRoot(t)
	pki := newTestPKI(t)
	file := pki.webConfig(t, tlsAuthConfig(t))
	e := startExporterWith(t, startOptions{user: e2eUser, pass: e2ePassword, tls: &tls.Config{RootCAs: pki.pool}},
		"--web.config.file="+file, "--netns.dir=", "--no-netns.proc")

	t.Run("no-credentials", func(t *testing.T) {
		for _, path := range []string{"/metrics", "/-/healthy", "/", "/events"} {
			if code, _, err := e.get(path, false); err != nil || code != http.StatusUnauthorized {
				t.Errorf("GET %s without credentials: %d, %v; want 401", path, code, err)
			}
		}
	})
	t.Run("wrong-password", func(t *testing.T) {
		wrong := *e
		wrong.pass = e2ePassword + "x"
		if code, _, err := wrong.get("/metrics", true); err != nil || code != http.StatusUnauthorized {
			t.Errorf("GET /metrics with a wrong password: %d, %v; want 401", code, err)
		}
	})
	t.Run("credentials", func(t *testing.T) {
		c := checker{m: e.scrape()} // fails unless 200
		c.want("netlink_netns_info", labels("netns", "host", "source", "self"), 1)
		if err := c.err(); err != nil {
			t.Error(err)
		}
	})
	t.Run("events", func(t *testing.T) {
		// The stream is served over the same TLS, behind the same
		// password; openEvents fails unless it is 200 with NDJSON.
		e.openEvents(e.client, "").close()
	})
	t.Run("plain-http", func(t *testing.T) {
		plain := *e
		plain.base = "http://" + strings.TrimPrefix(e.base, "https://")
		plain.client = &http.Client{Timeout: 5 * time.Second}
		code, body, err := plain.get("/metrics", true)
		// Go's TLS server answers a plaintext request with a bare 400.
		if err == nil && (code != http.StatusBadRequest || strings.Contains(body, "netlink_")) {
			t.Errorf("plain HTTP to the TLS port: %d, want 400 or an error\n%s", code, body)
		}
	})
	t.Run("unknown-ca", func(t *testing.T) {
		// The system roots do not know the test CA: the handshake must
		// fail on the certificate, which shows that the server presents it.
		other := *e
		other.client = &http.Client{Timeout: 5 * time.Second}
		_, _, err := other.get("/metrics", true)
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("GET with the system roots: %v; want an unknown authority error", err)
		}
	})
	t.Run("tls-version", func(t *testing.T) {
		// exporter-toolkit's default floor is TLS 1.2. The client must
		// offer TLS 1.1 explicitly: Go's clients no longer do by default.
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.pool,
			MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/-/healthy", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			t.Fatalf("a TLS 1.1 client got %s, want a failed handshake", resp.Status)
		}
		// crypto/tls reports an alert from the peer as a "remote error":
		// the server, not the client, refused.
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "remote error" {
			t.Errorf("a TLS 1.1 client: %v; want an alert from the server", err)
		}
	})
}

// TestExampleWebConfig checks that the example, as shipped, passes the
// startup check once its certificate and key are in place.
func TestExampleWebConfig(t *testing.T) {
	pki := newTestPKI(t)
	data, err := os.ReadFile(exampleWebConfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseFlags([]string{"--web.config.file=" + pki.webConfig(t, string(data))}); err != nil {
		t.Error(err)
	}
}

// TestE2EWebConfigErrors checks that each kind of bad web config is a
// startup error with status 2 that names the flag, the file and the problem,
// before the exporter binds its port or needs any privilege.
func TestE2EWebConfigErrors(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	tests := []struct {
		name   string
		config string
		want   string // in the output, besides the flag and the file
	}{
		{"missing-cert-file", "tls_server_config:\n  cert_file: missing.crt\n  key_file: tls.key\n",
			"missing.crt"},
		{"missing-key-file", "tls_server_config:\n  cert_file: tls.crt\n  key_file: missing.key\n",
			"missing.key"},
		{"no-key", "tls_server_config:\n  cert_file: tls.crt\n",
			"missing one of key or key_file"},
		{"cert-key-mismatch", "tls_server_config:\n  cert_file: tls.crt\n  key_file: other.key\n",
			"private key does not match public key"},
		{"key-as-cert", "tls_server_config:\n  cert_file: tls.key\n  key_file: tls.key\n",
			"X509KeyPair"},
		{"unknown-field", "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  client_auth: RequireAndVerifyClientCert\n",
			"field client_auth not found"},
		{"bad-client-auth-type", "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  client_auth_type: Sometimes\n",
			"invalid ClientAuth: Sometimes"},
		{"bad-min-version", "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  min_version: TLS99\n",
			"unknown TLS version: TLS99"},
		{"bad-bcrypt-hash", "basic_auth_users:\n  " + e2eUser + ": not-a-bcrypt-hash\n",
			"bcrypt"},
		{"wrong-type", "basic_auth_users: [" + e2eUser + "]\n",
			"cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := pki.webConfig(t, tt.config)
			code, out, took := runExporter(t, 10*time.Second, nil,
				"--web.listen-address=127.0.0.1:0", "--web.config.file="+file, "--netns.dir=", "--no-netns.proc")
			if code != 2 {
				t.Errorf("exit status %d after %v, want 2", code, took)
			}
			for _, want := range []string{"--web.config.file", file, tt.want} {
				if !strings.Contains(out, want) {
					t.Errorf("output does not contain %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "Listening on") {
				t.Errorf("the exporter listened before it rejected the config:\n%s", out)
			}
		})
	}
}
