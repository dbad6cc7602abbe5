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
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// This file reads what TestE2ESystemdSandbox needs from a systemd unit, from
// systemd-analyze's syscall groups and from an strace log.

// serviceDirectives returns the assignments of a unit's [Service] section,
// in order, by key. Continuation lines are not used by our unit and are an
// error, so that a reformatted unit cannot be misread.
func serviceDirectives(r io.Reader) (map[string][]string, error) {
	out := make(map[string][]string)
	section := ""
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			continue
		case strings.HasSuffix(line, "\\"):
			return nil, fmt.Errorf("line %d: continuation lines are not supported", n)
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: no '=' in %q", n, line)
		}
		if section == "Service" {
			key = strings.TrimSpace(key)
			out[key] = append(out[key], strings.TrimSpace(value))
		}
	}
	return out, sc.Err()
}

// parseSyscallGroups reads the output of "systemd-analyze syscall-filter":
// each group's name, then its members (system calls and other groups)
// indented, with comments.
func parseSyscallGroups(r io.Reader) (map[string][]string, error) {
	groups := make(map[string][]string)
	group := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case !strings.HasPrefix(line, " ") && strings.HasPrefix(trimmed, "@"):
			group = trimmed
			groups[group] = nil
		case strings.HasPrefix(line, " ") && group != "":
			groups[group] = append(groups[group], trimmed)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("no syscall groups found")
	}
	return groups, nil
}

// expandSyscalls resolves names, system calls or @groups, into system calls.
func expandSyscalls(groups map[string][]string, names []string) (map[string]bool, error) {
	out := make(map[string]bool)
	var add func(name string, depth int) error
	add = func(name string, depth int) error {
		if !strings.HasPrefix(name, "@") {
			out[name] = true
			return nil
		}
		members, ok := groups[name]
		if !ok || depth > 10 {
			return fmt.Errorf("unknown or cyclic syscall group %s", name)
		}
		for _, m := range members {
			if err := add(m, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range names {
		if err := add(n, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// allowedSyscalls is the set of system calls that a unit's SystemCallFilter=
// lines allow: an allow list first, then "~" lines that take calls out of it.
func allowedSyscalls(groups map[string][]string, filters []string) (map[string]bool, error) {
	if len(filters) == 0 || strings.HasPrefix(filters[0], "~") {
		return nil, fmt.Errorf("the first SystemCallFilter= must be an allow list, got %q", filters)
	}
	allowed := make(map[string]bool)
	for _, f := range filters {
		deny := strings.HasPrefix(f, "~")
		set, err := expandSyscalls(groups, strings.Fields(strings.TrimPrefix(f, "~")))
		if err != nil {
			return nil, err
		}
		for s := range set {
			if deny {
				delete(allowed, s)
			} else {
				allowed[s] = true
			}
		}
	}
	return allowed, nil
}

// A trace is what a process did, from an "strace -f" log.
type trace struct {
	syscalls  map[string]int  // name → calls
	families  map[string]bool // socket(2) address families, AF_*
	execProt  []string        // mmap and mprotect calls that ask for PROT_EXEC
	nsChanges []string        // calls that would enter or make a namespace
}

var (
	straceCall   = regexp.MustCompile(`^\d+\s+([a-z0-9_]+)\((.*)`)
	straceFamily = regexp.MustCompile(`^(AF_[A-Z0-9]+)`)
	cloneNewNS   = regexp.MustCompile(`CLONE_NEW[A-Z]+`)
)

// parseTrace reads an "strace -f" log, from the line on which the process
// with the given program path called execve and on: before it, the log is
// of the wrappers that set up the sandbox.
func parseTrace(r io.Reader, program string) (trace, error) {
	tr := trace{syscalls: make(map[string]int), families: make(map[string]bool)}
	started := false
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		m := straceCall.FindStringSubmatch(sc.Text())
		if m == nil {
			continue // resumed calls, signals, exits
		}
		name, args := m[1], m[2]
		if !started {
			started = name == "execve" && strings.HasPrefix(args, `"`+program+`"`) && strings.HasSuffix(args, "= 0")
			continue
		}
		tr.syscalls[name]++
		switch name {
		case "socket":
			if f := straceFamily.FindString(args); f != "" {
				tr.families[f] = true
			}
		case "mmap", "mprotect", "pkey_mprotect":
			if strings.Contains(args, "PROT_EXEC") {
				tr.execProt = append(tr.execProt, name+"("+args)
			}
		case "setns", "unshare":
			tr.nsChanges = append(tr.nsChanges, name+"("+args)
		case "clone", "clone3":
			if cloneNewNS.MatchString(args) {
				tr.nsChanges = append(tr.nsChanges, name+"("+args)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return trace{}, err
	}
	if !started {
		return trace{}, fmt.Errorf("no successful execve of %s in the trace", program)
	}
	return tr, nil
}

// sortedKeys lists a set's members in order, for messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestAllowedSyscalls(t *testing.T) {
	groups := map[string][]string{
		"@service": {"@io", "socket", "setns"},
		"@io":      {"read", "write"},
		"@priv":    {"setns", "capset"},
	}
	tests := []struct {
		name    string
		filters []string
		want    []string
		wantErr bool
	}{
		{"allow list", []string{"@service"}, []string{"read", "setns", "socket", "write"}, false},
		{"deny after allow", []string{"@service", "~@priv write"}, []string{"read", "socket"}, false},
		{"deny first", []string{"~@priv"}, nil, true},
		{"unknown group", []string{"@nope"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := allowedSyscalls(groups, tt.filters)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !slices.Equal(sortedKeys(got), tt.want) {
				t.Errorf("allowed %v, want %v", sortedKeys(got), tt.want)
			}
		})
	}
}

func TestParseTrace(t *testing.T) {
	const log = `100 execve("/usr/bin/setpriv", ["setpriv"], 0x7ffd /* 20 vars */) = 0
100 capset({version=_LINUX_CAPABILITY_VERSION_3, pid=0}, {effective=0}) = 0
100 execve("/bin/netlink_exporter", ["netlink_exporter"], 0x7ffd /* 20 vars */) = 0
100 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3
101 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 4
101 mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f00
101 epoll_pwait(4,  <unfinished ...>
100 clone(child_stack=NULL, flags=CLONE_NEWNET|SIGCHLD) = 102
101 <... epoll_pwait resumed>[], 128, 0, NULL, 0) = 0
100 --- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=100, si_uid=0} ---
100 +++ exited with 0 +++
`
	tr, err := parseTrace(strings.NewReader(log), "/bin/netlink_exporter")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sortedKeys(tr.syscalls), []string{"clone", "epoll_pwait", "mmap", "socket"}; !slices.Equal(got, want) {
		t.Errorf("syscalls %v, want %v (setpriv's capset is before the exporter's execve)", got, want)
	}
	if got, want := sortedKeys(tr.families), []string{"AF_INET6", "AF_NETLINK"}; !slices.Equal(got, want) {
		t.Errorf("families %v, want %v", got, want)
	}
	if len(tr.execProt) != 1 || len(tr.nsChanges) != 1 {
		t.Errorf("exec mappings %q, namespace changes %q; want one each", tr.execProt, tr.nsChanges)
	}
	if _, err := parseTrace(strings.NewReader(log), "/bin/other"); err == nil {
		t.Error("no error for a trace without the program's execve")
	}
}
