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

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// newPKI makes a test CA and a server certificate for 127.0.0.1 in a
// temporary directory.
func newPKI(t *testing.T) *harness.PKI {
	t.Helper()
	pki, err := harness.NewPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return pki
}

// webConfig writes a web config file into the PKI's directory, so that its
// relative cert_file and key_file paths resolve there, as exporter-toolkit
// resolves them against the config file's directory.
func webConfig(t *testing.T, pki *harness.PKI, config string) string {
	t.Helper()
	f, err := os.CreateTemp(pki.Dir, "web-*.yml")
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
const exampleWebConfig = "../deploy/systemd/web-config.yml"

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
	pki := newPKI(t)
	file := webConfig(t, pki, tlsAuthConfig(t))
	e := startExporterWith(t, harness.Options{User: e2eUser, Password: e2ePassword, TLS: &tls.Config{RootCAs: pki.Pool},
		Args: []string{"--web.config.file=" + file, "--netns.dir=", "--no-netns.proc"}})

	t.Run("no-credentials", func(t *testing.T) {
		for _, path := range []string{"/metrics", "/-/healthy", "/", "/events"} {
			if code, _, err := e.get(path, false); err != nil || code != http.StatusUnauthorized {
				t.Errorf("GET %s without credentials: %d, %v; want 401", path, code, err)
			}
		}
	})
	t.Run("wrong-password", func(t *testing.T) {
		wrong := *e
		wrong.Password = e2ePassword + "x"
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
		e.openEvents(e.HTTP, "").close()
	})
	t.Run("plain-http", func(t *testing.T) {
		plain := *e
		plain.URL = "http://" + strings.TrimPrefix(e.URL, "https://")
		plain.HTTP = &http.Client{Timeout: 5 * time.Second}
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
		other.HTTP = &http.Client{Timeout: 5 * time.Second}
		_, _, err := other.get("/metrics", true)
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("GET with the system roots: %v; want an unknown authority error", err)
		}
	})
	t.Run("tls-version", func(t *testing.T) {
		// exporter-toolkit's default floor is TLS 1.2. The client must
		// offer TLS 1.1 explicitly: Go's clients no longer do by default.
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool,
			MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+"/-/healthy", nil)
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

// TestE2EWebConfigErrors checks that each kind of bad web config is a
// startup error with status 2 that names the flag, the file and the problem,
// before the exporter binds its port or needs any privilege.
func TestE2EWebConfigErrors(t *testing.T) {
	t.Parallel()
	pki := newPKI(t)
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
			file := webConfig(t, pki, tt.config)
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
