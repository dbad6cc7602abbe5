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

package deploy_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	unitFile    = "systemd/netlink_exporter.service"
	tlsDropIn   = "systemd/tls.conf"
	defaultFile = "systemd/netlink_exporter.default"
	// installedBinary is where the unit expects the exporter.
	installedBinary = "/usr/local/bin/netlink_exporter"
	// maxExposure is the highest "systemd-analyze security" exposure the
	// unit may have. The unit scores 1.9 with systemd 252; what is left is
	// what the exporter needs (the host's network, netlink, CAP_NET_ADMIN,
	// CAP_SYS_PTRACE) and an IP allow list only the operator can write.
	// Weakening the sandbox must be deliberate, and raise this.
	maxExposure = 2.0
)

// A unit is a systemd unit file: its sections, with each key's assignments
// in order.
type unit map[string]map[string][]string

func parseUnit(path string) (unit, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	u := make(unit)
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = make(map[string][]string)
		case section == "" || strings.HasSuffix(line, "\\") || !strings.Contains(line, "="):
			return nil, fmt.Errorf("%s:%d: not a key=value line in a section (continuations are not supported): %q", path, n, line)
		default:
			k, v, _ := strings.Cut(line, "=")
			k = strings.TrimSpace(k)
			u[section][k] = append(u[section][k], strings.TrimSpace(v))
		}
	}
	return u, sc.Err()
}

// words splits a key's assignments into one list, as systemd joins
// list-valued settings such as AmbientCapabilities=.
func (u unit) words(section, key string) []string {
	return strings.Fields(strings.Join(u[section][key], " "))
}

// exporterCaps reads the capabilities that the exporter checks for at
// startup from its source, so that the unit follows the code.
func exporterCaps(t *testing.T) []string {
	t.Helper()
	const path = "../netlinkmon/caps.go"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var caps []string
	for _, m := range regexp.MustCompile(`capability\{\d+, "(CAP_[A-Z_]+)"`).FindAllSubmatch(src, -1) {
		caps = append(caps, string(m[1]))
	}
	if len(caps) == 0 {
		t.Fatalf("no capability{...} found in %s: update this test with it", path)
	}
	slices.Sort(caps)
	return caps
}

// TestSystemdUnitCapabilities checks that the unit grants exactly the
// capabilities that the exporter checks for, and can gain no other.
func TestSystemdUnitCapabilities(t *testing.T) {
	u, err := parseUnit(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	want := exporterCaps(t)
	for _, key := range []string{"AmbientCapabilities", "CapabilityBoundingSet"} {
		got := u.words("Service", key)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s=%s, want exactly %s", key, strings.Join(got, " "), strings.Join(want, " "))
		}
	}
}

// TestSystemdUnitSettings checks the settings the exporter depends on, and
// those that would break it.
func TestSystemdUnitSettings(t *testing.T) {
	u, err := parseUnit(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		want string // "" means: not set
		why  string
	}{
		{"DynamicUser", "yes", "runs as an unprivileged user of its own"},
		{"User", "", "a user other than the dynamic one may be root"},
		{"NoNewPrivileges", "yes", "nothing it runs may gain privileges"},
		{"Restart", "on-failure", "a crash must not end the monitoring"},
		{"ProtectSystem", "strict", "it writes no file"},
		{"ProtectProc", "ptraceable", "the process scan must see every process, which CAP_SYS_PTRACE makes ptraceable"},
		{"ProcSubset", "", "subset=pid hides /proc/stat, and process_start_time_seconds with it"},
		{"PrivateNetwork", "", "it must watch the host's network namespace"},
		{"PrivateUsers", "", "its capabilities must count in the host's user namespace"},
		{"RestrictNamespaces", "yes", "it opens namespace files but never enters or makes one"},
		{"RestrictAddressFamilies", "AF_NETLINK AF_INET AF_INET6", "netlink for events, TCP for scrapes, nothing else"},
		{"SystemCallArchitectures", "native", "no other ABI"},
		{"MemoryDenyWriteExecute", "yes", "Go needs no writable executable memory"},
		{"LockPersonality", "yes", "no personality changes"},
	}
	for _, tt := range tests {
		got := strings.Join(u["Service"][tt.key], " ")
		if got != tt.want {
			t.Errorf("%s=%q, want %q: %s", tt.key, got, tt.want, tt.why)
		}
	}
	exec := u.words("Service", "ExecStart")
	if len(exec) == 0 || exec[0] != installedBinary || !slices.Contains(exec, "$ARGS") {
		t.Errorf("ExecStart=%q, want %s with $ARGS from the environment file", exec, installedBinary)
	}
}

// TestSystemdDefaultFile checks that the environment file sets ARGS in the
// syntax of EnvironmentFile=.
func TestSystemdDefaultFile(t *testing.T) {
	data, err := os.ReadFile(defaultFile)
	if err != nil {
		t.Fatal(err)
	}
	vars := make(map[string]string)
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(k) {
			t.Fatalf("%s:%d: not a VAR=value line: %q", defaultFile, n+1, line)
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		vars[k] = v
	}
	args, ok := vars["ARGS"]
	if !ok {
		t.Fatalf("%s does not set ARGS, which the unit's ExecStart= passes", defaultFile)
	}
	for _, a := range strings.Fields(args) {
		if !strings.HasPrefix(a, "--") {
			t.Errorf("ARGS: %q is not a --flag", a)
		}
	}
}

// installUnit copies the unit, and the drop-ins given, into a temporary
// directory, with ExecStart= pointing to an executable stub there.
// "systemd-analyze verify" checks that the ExecStart= program is executable
// on this machine, where the exporter is not installed; it never runs it,
// so a stub shows the same problems in the unit as the real binary would.
func installUnit(t *testing.T, dropIns ...string) string {
	t.Helper()
	dir := t.TempDir()
	stub := filepath.Join(dir, "netlink_exporter")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cp := func(src, dst string) {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("ExecStart="+installedBinary)) {
			t.Fatalf("%s does not run %s", src, installedBinary)
		}
		data = bytes.ReplaceAll(data, []byte("ExecStart="+installedBinary), []byte("ExecStart="+stub))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, filepath.Base(unitFile))
	cp(unitFile, path)
	for _, d := range dropIns {
		cp(d, filepath.Join(path+".d", filepath.Base(d)))
	}
	return path
}

// TestSystemdVerify runs "systemd-analyze verify" on the unit, alone and
// with the TLS drop-in. It needs no running systemd. verify exits 0 on
// unknown keys and bad values, which it only prints: any output fails.
func TestSystemdVerify(t *testing.T) {
	analyze := requireTool(t, "systemd-analyze")
	for name, dropIns := range map[string][]string{"unit": nil, "with-tls-drop-in": {tlsDropIn}} {
		t.Run(name, func(t *testing.T) {
			path := installUnit(t, dropIns...)
			out, err := exec.Command(analyze, "verify", path).CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("systemd-analyze verify %s: %v\n%s", path, err, out)
			}
		})
	}
}

// TestSystemdSecurity scores the unit's sandbox with "systemd-analyze
// security --offline", which reads the unit file without systemd.
func TestSystemdSecurity(t *testing.T) {
	analyze := requireTool(t, "systemd-analyze")
	path := installUnit(t)
	cmd := exec.Command(analyze, "security", "--offline=true", "--no-pager",
		"--threshold="+strconv.FormatFloat(maxExposure*10, 'f', 0, 64), path)
	out, err := cmd.CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: %v, no overall exposure in:\n%s", err, out)
	}
	exposure, perr := strconv.ParseFloat(string(m[1]), 64)
	if perr != nil {
		t.Fatal(perr)
	}
	if err != nil || exposure > maxExposure {
		t.Errorf("exposure %.1f (%v), want at most %.1f; the settings that add to it:\n%s",
			exposure, err, maxExposure, exposed(out))
	}
	t.Logf("systemd-analyze security: overall exposure %.1f (at most %.1f)", exposure, maxExposure)
}

// exposed keeps the lines of the security report that add exposure.
func exposed(report []byte) string {
	var b strings.Builder
	for _, l := range strings.Split(string(report), "\n") {
		if strings.HasPrefix(l, "✗") {
			b.WriteString(strings.Join(strings.Fields(l), " ") + "\n")
		}
	}
	return b.String()
}
