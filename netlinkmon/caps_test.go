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

package netlinkmon

import (
	"strings"
	"testing"
)

// statusWith is a /proc/PID/status as the kernel writes it, with capEff as
// the CapEff line ("" leaves the line out).
func statusWith(capEff string) string {
	lines := []string{
		"Name:\tnetlink_exporter",
		"Umask:\t0022",
		"State:\tS (sleeping)",
		"Pid:\t4242",
		"CapInh:\t0000000000000000",
		"CapPrm:\t000001ffffffffff",
	}
	if capEff != "" {
		lines = append(lines, "CapEff:\t"+capEff)
	}
	lines = append(lines,
		"CapBnd:\t000001ffffffffff",
		"CapAmb:\t0000000000000000",
		"NoNewPrivs:\t0",
		"Seccomp:\t0",
	)
	return strings.Join(lines, "\n") + "\n"
}

func TestMissingCaps(t *testing.T) {
	all := []capability{capNetAdmin, capNetBroadcast, capSysPtrace}
	tests := []struct {
		name   string
		status string
		need   []capability
		// wantErr lists substrings the error must hold; nil wants no
		// error.
		wantErr []string
		// notInErr lists names the error must not mention.
		notInErr []string
	}{
		{
			name:   "root",
			status: statusWith("000001ffffffffff"),
			need:   all,
		},
		{
			name:   "exactly the needed ones",
			status: statusWith("0000000000081800"),
			need:   all,
		},
		{
			name:   "nothing needed",
			status: statusWith("0000000000000000"),
		},
		{
			name:     "CAP_NET_BROADCAST missing",
			status:   statusWith("0000000000081000"),
			need:     all,
			wantErr:  []string{"CAP_NET_BROADCAST", "NETLINK_LISTEN_ALL_NSID"},
			notInErr: []string{"CAP_NET_ADMIN", "CAP_SYS_PTRACE"},
		},
		{
			name:     "several missing",
			status:   statusWith("0000000000000800"),
			need:     all,
			wantErr:  []string{"CAP_NET_ADMIN", "CAP_SYS_PTRACE", "--no-netns.proc"},
			notInErr: []string{"CAP_NET_BROADCAST"},
		},
		{
			name:     "ptrace not needed without process scans",
			status:   statusWith("0000000000001800"),
			need:     []capability{capNetAdmin, capNetBroadcast},
			notInErr: []string{"CAP_SYS_PTRACE"},
		},
		{
			name:    "none",
			status:  statusWith("0000000000000000"),
			need:    all,
			wantErr: []string{"CAP_NET_ADMIN", "CAP_NET_BROADCAST", "CAP_SYS_PTRACE"},
		},
		{
			name:    "malformed CapEff",
			status:  statusWith("not-hex"),
			need:    all,
			wantErr: []string{"CapEff", "not-hex"},
		},
		{
			name:    "CapEff too large",
			status:  statusWith("1ffffffffffffffff"),
			need:    all,
			wantErr: []string{"CapEff"},
		},
		{
			name:    "no CapEff line",
			status:  statusWith(""),
			need:    all,
			wantErr: []string{"no CapEff"},
		},
		{
			name:    "empty status",
			need:    all,
			wantErr: []string{"no CapEff"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := missingCaps(strings.NewReader(tt.status), tt.need)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("missingCaps() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("missingCaps() = nil, want an error naming %v", tt.wantErr)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "netlinkmon: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not mention %q", msg, s)
				}
			}
			for _, s := range tt.notInErr {
				if strings.Contains(msg, s) {
					t.Errorf("error %q mentions %q, which is present", msg, s)
				}
			}
		})
	}
}

func TestCapabilityBits(t *testing.T) {
	// From linux/capability.h.
	for _, c := range []struct {
		c   capability
		bit uint
	}{{capNetBroadcast, 11}, {capNetAdmin, 12}, {capSysPtrace, 19}} {
		if c.c.bit != c.bit {
			t.Errorf("%s is bit %d, want %d", c.c.name, c.c.bit, c.bit)
		}
	}
}
