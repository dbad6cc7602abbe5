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
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// TestE2EBadFlags checks that a bad flag value exits with status 2 and a
// message that names the flag, before anything needs privileges.
func TestE2EBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arg, flag string
	}{
		{"--netns.retention=banana", "netns.retention"},
		{"--netns.retention=-1s", "netns.retention"},
		{"--netns.rescan-interval=0s", "netns.rescan-interval"},
		{"--netns.rescan-interval=-1s", "netns.rescan-interval"},
		{"--netlink.receive-buffer-size=0", "netlink.receive-buffer-size"},
		{"--netlink.receive-buffer-size=lots", "netlink.receive-buffer-size"},
		{"--web.telemetry-path=metrics", "web.telemetry-path"},
		{"--web.max-requests=-1", "web.max-requests"},
		{"--web.max-requests=many", "web.max-requests"},
		{"--log.level=loud", "log.level"},
		{"--log.format=xml", "log.format"},
		{"--no-such-flag", "no-such-flag"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			t.Parallel()
			code, out, _ := runExporter(t, 5*time.Second, nil, "--web.listen-address=127.0.0.1:0", tt.arg)
			if code != 2 {
				t.Errorf("exit status %d, want 2 (README: a bad value exits with status 2)", code)
			}
			if !strings.Contains(out, tt.flag) {
				t.Errorf("output does not name %s:\n%s", tt.flag, out)
			}
		})
	}
}

// e2ePassword's bcrypt hash, cost 4, made with golang.org/x/crypto/bcrypt.
const (
	e2eUser     = "e2e"
	e2ePassword = "e2e-secret"
	e2eHash     = "$2a$04$n.TQOFNyB36wYqlKNMX39e.p0zlGHBXNtrEOqp2bnrYllDvvr7tn2"
)

// webConfigAuth writes a web config that asks for the e2e user's basic
// auth, and returns its path.
func webConfigAuth(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(file, []byte("basic_auth_users:\n  "+e2eUser+": "+e2eHash+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestE2EWebConfig checks --web.config.file: a broken file is a startup
// error that names it, and basic auth guards /metrics.
func TestE2EWebConfig(t *testing.T) {
	t.Parallel()
	testns.RequireRoot(t)
	quick := []string{"--netns.dir=", "--no-netns.proc"}

	broken := []struct{ name, config string }{
		{"invalid-yaml", "tls_server_config: [\n  cert_file: {\n"},
		{"missing-cert", "tls_server_config:\n  cert_file: /nonexistent/e2e.crt\n  key_file: /nonexistent/e2e.key\n"},
		{"unknown-field", "basic_auth_users_typo:\n  e2e: x\n"},
	}
	for _, tt := range broken {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "web.yml")
			if err := os.WriteFile(file, []byte(tt.config), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, took := runExporter(t, 5*time.Second, nil,
				append([]string{"--web.listen-address=127.0.0.1:0", "--web.config.file=" + file}, quick...)...)
			if code == 0 {
				t.Errorf("exit status 0 after %v, want non-zero", took)
			}
			if !strings.Contains(out, file) {
				t.Errorf("output does not name %s:\n%s", file, out)
			}
		})
	}

	t.Run("basic-auth", func(t *testing.T) {
		t.Parallel()
		file := webConfigAuth(t)
		e := startExporterWith(t, harness.Options{User: e2eUser, Password: e2ePassword,
			Args: append([]string{"--web.config.file=" + file}, quick...)})
		if code, _, err := e.get("/metrics", false); err != nil || code != http.StatusUnauthorized {
			t.Errorf("GET /metrics without credentials: %d, %v; want 401", code, err)
		}
		wrong := *e
		wrong.Password = "wrong"
		if code, _, err := wrong.get("/metrics", true); err != nil || code != http.StatusUnauthorized {
			t.Errorf("GET /metrics with a wrong password: %d, %v; want 401", code, err)
		}
		m := e.scrape() // with credentials; fails unless 200
		c := checker{m: m}
		c.want("netlink_netns_info", labels("netns", "host"), 1)
		if err := c.err(); err != nil {
			t.Error(err)
		}
	})
}

// TestE2EMissingPrivileges runs the exporter without the capabilities it
// needs: it must exit non-zero and name the missing ones.
func TestE2EMissingPrivileges(t *testing.T) {
	t.Parallel()
	testns.RequireRoot(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skipf("needs setpriv(1) from util-linux: %v", err)
	}
	nobody := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
	tests := []struct {
		name     string
		wrapper  []string
		args     []string
		want     []string
		wantNot  []string
		describe string
	}{
		{
			name:    "nobody",
			wrapper: append(slices.Clone(nobody), "--inh-caps=-all", "--bounding-set=-all"),
			want:    []string{"CAP_NET_ADMIN", "CAP_NET_BROADCAST", "CAP_SYS_PTRACE"},
		},
		{
			name:    "nobody-no-proc",
			wrapper: append(slices.Clone(nobody), "--inh-caps=-all", "--bounding-set=-all"),
			args:    []string{"--no-netns.proc"},
			want:    []string{"CAP_NET_ADMIN", "CAP_NET_BROADCAST"},
			wantNot: []string{"CAP_SYS_PTRACE"},
		},
		{
			name:    "nobody-net-admin",
			wrapper: append(slices.Clone(nobody), "--inh-caps=-all,+net_admin", "--ambient-caps=+net_admin"),
			args:    []string{"--no-netns.proc"},
			want:    []string{"CAP_NET_BROADCAST"},
			wantNot: []string{"CAP_NET_ADMIN"},
		},
		{
			name:    "root-without-ptrace",
			wrapper: []string{"setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace"},
			want:    []string{"CAP_SYS_PTRACE"},
			wantNot: []string{"CAP_NET_ADMIN", "CAP_NET_BROADCAST"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--web.listen-address=127.0.0.1:0", "--netns.dir="}, tt.args...)
			code, out, took := runExporter(t, 5*time.Second, tt.wrapper, args...)
			if code == 0 {
				t.Errorf("exit status 0 after %v, want non-zero", took)
			}
			for _, c := range tt.want {
				if !strings.Contains(out, c) {
					t.Errorf("output does not name %s:\n%s", c, out)
				}
			}
			for _, c := range tt.wantNot {
				if strings.Contains(out, c) {
					t.Errorf("output names %s, which the process has:\n%s", c, out)
				}
			}
			t.Logf("exited with status %d after %v", code, took.Round(time.Millisecond))
		})
	}
}
