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
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// unitPath is the systemd unit that TestE2ESystemdSandbox holds the exporter
// to; deploy/systemd_test.go checks the unit itself.
const unitPath = "../deploy/systemd/netlink_exporter.service"

// sandboxUID stands for the unit's DynamicUser=: a uid in systemd's dynamic
// range that owns no file.
const sandboxUID = "61184"

// TestE2ESystemdSandbox runs the release build of the exporter in the parts
// of the systemd unit's sandbox that could break it, without systemd (which
// need not be running here): the unit's user and capabilities, with
// NoNewPrivileges, through setpriv(1); its ProtectProc= as a /proc mount
// with hidepid, in a mount namespace that, like systemd's, receives the
// host's new mounts. The exporter must find and count namespaces of every
// kind. Then an strace of the run shows that it made no system call the
// unit's SystemCallFilter= denies, opened no socket family that
// RestrictAddressFamilies= denies, and never asked for executable memory
// (MemoryDenyWriteExecute=) or a namespace change (RestrictNamespaces=).
func TestE2ESystemdSandbox(t *testing.T) {
	t.Parallel()
	testns.RequireRoot(t)
	tools := make(map[string]string)
	for _, name := range []string{"setpriv", "strace", "systemd-analyze", "unshare", "mount"} {
		tools[name] = requireTool(t, name)
	}
	unit := readUnit(t)

	bin := staticExporter(t)
	allowed := unitSyscalls(t, unit)
	log := filepath.Join(t.TempDir(), "strace.log")
	docker := fakeDockerNetns(t)
	bound := filepath.Join(filepath.Dir(bin), "docker-netns") // readable by all
	if err := os.Mkdir(bound, 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := []string{tools["unshare"], "--mount", "--propagation", "slave", "--",
		"sh", "-c", `mount -t proc -o "$0" proc /proc &&
			mount --rbind "$1" "$2" && mount -o remount,bind,ro "$2" && shift 2 && exec "$@"`,
		procOptions(t, unit), docker, bound,
		tools["strace"], "-f", "-qq", "-o", log, "--seccomp-bpf", "-e", straceFilter(allowed)}
	wrapper = append(wrapper, setprivArgs(t, tools["setpriv"], unit)...)

	// A namespace made before the sandbox makes /run/netns a shared mount,
	// whose later bind mounts then reach the sandbox: systemd's mounts are
	// shared from boot.
	before := testns.Add(t)
	e, exporterPID := startSandboxed(t, wrapper, bin,
		"--netns.dir=/run/netns", "--netns.dir="+bound, "--netns.proc", "--netns.rescan-interval=200ms")

	after := testns.Add(t)
	testns.IP(t, "-n", after, "link", "add", "br0", "type", "bridge")
	_, ino := testns.Unshare(t) // root's process: needs CAP_SYS_PTRACE
	proc := "ino-" + itoa(ino)
	container := dockerNamespace(t, docker)
	_, took := e.waitMetrics(eventually, 20*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_netns_info", labels("netns", before, "source", "dir"), 1)
		c.want("netlink_netns_info", labels("netns", container, "source", "dir"), 1)
		c.want("netlink_netns_info", labels("netns", after, "source", "dir"), 1)
		c.want("netlink_link_creations_total", labels("netns", after, "kind", "bridge"), 1)
		c.want("netlink_netns_info", labels("netns", proc, "source", "proc"), 1)
		if len(m["process_start_time_seconds"]) != 1 {
			// It needs /proc/stat, which ProcSubset=pid hides.
			c.errs = append(c.errs, errors.New("no process_start_time_seconds"))
		}
		return c.err()
	})
	t.Logf("sandboxed exporter counted after %v", took.Round(time.Millisecond))
	if code, _, err := e.get("/", false); err != nil || code != http.StatusOK {
		t.Errorf("GET /: %d, %v", code, err)
	}

	// SIGTERM to the exporter, not to strace, which would detach and die
	// of it; strace then exits with the exporter's status.
	if err := syscall.Kill(exporterPID, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-e.proc.Done():
		if err := e.proc.Err(); err != nil {
			t.Fatalf("sandboxed exporter did not exit cleanly: %v\n%s", err, e.proc.Output())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("sandboxed exporter still running 10s after SIGTERM\n%s", e.proc.Output())
	}
	checkTrace(t, unit, allowed, log, bin)
}

// tracedAnyway are the system calls that checkTrace needs to see even when
// the unit allows them.
var tracedAnyway = []string{"execve", "socket", "mmap", "mprotect", "pkey_mprotect", "clone", "clone3", "setns", "unshare"}

// straceFilter traces every system call but those the unit allows and
// checkTrace need not see: with --seccomp-bpf, those run at full speed, and
// the exporter under strace keeps up with the other tests' link bursts.
func straceFilter(allowed map[string]bool) string {
	var skip []string
	for _, s := range sortedKeys(allowed) {
		if !slices.Contains(tracedAnyway, s) {
			// "?": no error for a name this architecture lacks.
			skip = append(skip, "?"+s)
		}
	}
	return "trace=!" + strings.Join(skip, ",")
}

// unitSyscalls returns the system calls that the unit's SystemCallFilter=
// allows, as systemd-analyze expands its groups.
func unitSyscalls(t *testing.T, unit map[string][]string) map[string]bool {
	t.Helper()
	out, err := exec.Command("systemd-analyze", "syscall-filter").Output()
	if err != nil {
		t.Fatalf("systemd-analyze syscall-filter: %v", err)
	}
	groups, err := parseSyscallGroups(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	allowed, err := allowedSyscalls(groups, unit["SystemCallFilter"])
	if err != nil {
		t.Fatal(err)
	}
	if unitBool(unit, "RestrictNamespaces") {
		// systemd cannot filter clone3's flags, so it fails clone3 with
		// ENOSYS; glibc falls back to clone, but Go need not.
		delete(allowed, "clone3")
	}
	return allowed
}

// fakeDockerNetns stands for docker's /run/docker/netns: a directory in one
// that only root may enter, in a shared mount, as a systemd host's mounts
// are, so that the sandbox gets the bind mounts made there later. It checks
// that the unit binds docker's directory and watches the bind, as the
// sandbox here does.
func fakeDockerNetns(t *testing.T) string {
	t.Helper()
	unit := readUnit(t)
	const bind = "-/run/docker/netns:/run/netlink_exporter/docker-netns"
	if got := unit["BindReadOnlyPaths"]; !slices.Equal(got, []string{bind}) ||
		!strings.Contains(lastValue(unit, "ExecStart"), "--netns.dir=/run/netlink_exporter/docker-netns ") {
		t.Fatalf("%s: BindReadOnlyPaths=%q and ExecStart=%q, want %s and its --netns.dir: update this test with the unit",
			unitPath, got, unit["ExecStart"], bind)
	}
	run := t.TempDir()
	if err := os.Chmod(run, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--bind", run, run}, {"--make-shared", run}} {
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			t.Fatalf("mount %q: %v\n%s", args, err, out)
		}
		if args[0] == "--bind" {
			t.Cleanup(func() { _ = exec.Command("umount", "--lazy", run).Run() })
		}
	}
	dir := filepath.Join(run, "netns")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dockerNamespace makes a namespace held only by a bind mount in dir, as
// docker does, and returns its name.
func dockerNamespace(t *testing.T, dir string) string {
	t.Helper()
	name := testns.Name(t, "dkr")
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("unshare", "--net="+file, "true").CombinedOutput(); err != nil {
		t.Fatalf("unshare --net=%s: %v\n%s", file, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", file).Run() })
	return name
}

// checkTrace checks the strace log of the exporter at bin against the unit.
func checkTrace(t *testing.T, unit map[string][]string, allowed map[string]bool, log, bin string) {
	t.Helper()
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := parseTrace(f, bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sortedKeys(tr.syscalls) {
		if !allowed[s] {
			t.Errorf("the exporter called %s %d times; the unit's SystemCallFilter= %q denies it", s, tr.syscalls[s], unit["SystemCallFilter"])
		}
	}
	families := strings.Fields(strings.Join(unit["RestrictAddressFamilies"], " "))
	for _, fam := range sortedKeys(tr.families) {
		if !slices.Contains(families, fam) {
			t.Errorf("the exporter opened an %s socket; the unit's RestrictAddressFamilies= %q denies it", fam, families)
		}
	}
	if unitBool(unit, "MemoryDenyWriteExecute") && len(tr.execProt) > 0 {
		t.Errorf("the exporter asked for executable memory, which MemoryDenyWriteExecute= denies:\n%s", strings.Join(tr.execProt, "\n"))
	}
	if unitBool(unit, "RestrictNamespaces") && len(tr.nsChanges) > 0 {
		t.Errorf("the exporter entered or made a namespace, which RestrictNamespaces= denies:\n%s", strings.Join(tr.nsChanges, "\n"))
	}
	t.Logf("traced system calls %v, socket families %v", sortedKeys(tr.syscalls), sortedKeys(tr.families))
}

// startSandboxed starts bin through wrapper, in a process group of its own,
// and waits until the exporter is ready. It returns the exporter and its
// pid, strace's child. Cleanup kills the whole process group if the test
// ends early.
func startSandboxed(t *testing.T, wrapper []string, bin string, args ...string) (*exporter, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	p, err := harness.StartExporter(ctx, bin, harness.Options{Wrapper: wrapper, Args: args, ProcessGroup: true})
	if err != nil {
		t.Fatalf("sandboxed exporter: %v", err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("sandboxed exporter %v output:\n%s", p.Args(), p.Output())
		}
	})
	e := &exporter{Client: p.Client, t: t, proc: p}
	// The process started is strace (unshare and sh exec it): its one
	// child is setpriv, which exec'd the exporter.
	pid := strconv.Itoa(p.PID())
	children, err := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(children))
	if len(fields) != 1 {
		t.Fatalf("strace (pid %s) has children %q, want one", pid, fields)
	}
	child, err := strconv.Atoi(fields[0])
	if err != nil {
		t.Fatal(err)
	}
	return e, child
}

// readUnit reads the [Service] section of the unit.
func readUnit(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unit, err := serviceDirectives(f)
	if err != nil {
		t.Fatalf("%s: %v", unitPath, err)
	}
	return unit
}

// setprivArgs turns the unit's user and capability settings into setpriv(1)
// arguments.
func setprivArgs(t *testing.T, setpriv string, unit map[string][]string) []string {
	t.Helper()
	if !unitBool(unit, "DynamicUser") || !unitBool(unit, "NoNewPrivileges") {
		t.Fatalf("%s: want DynamicUser=yes and NoNewPrivileges=yes; update this test with the unit", unitPath)
	}
	ambient := capList(unit["AmbientCapabilities"])
	bounding := capList(unit["CapabilityBoundingSet"])
	return []string{setpriv, "--reuid=" + sandboxUID, "--regid=" + sandboxUID, "--clear-groups", "--no-new-privs",
		"--inh-caps=-all" + ambient, "--ambient-caps=-all" + ambient, "--bounding-set=-all" + bounding}
}

// capList turns "CAP_NET_ADMIN CAP_SYS_PTRACE" into ",+net_admin,+sys_ptrace".
func capList(values []string) string {
	var b strings.Builder
	for _, c := range strings.Fields(strings.Join(values, " ")) {
		b.WriteString(",+" + strings.ToLower(strings.TrimPrefix(c, "CAP_")))
	}
	return b.String()
}

// procOptions turns the unit's ProtectProc= into the /proc mount options
// systemd would use.
func procOptions(t *testing.T, unit map[string][]string) string {
	t.Helper()
	opts := "rw"
	switch v := lastValue(unit, "ProtectProc"); v {
	case "", "default":
	case "ptraceable", "invisible", "noaccess":
		opts += ",hidepid=" + v
	default:
		t.Fatalf("%s: ProtectProc=%s is not known to this test", unitPath, v)
	}
	if lastValue(unit, "ProcSubset") == "pid" {
		opts += ",subset=pid"
	}
	return opts
}

func lastValue(unit map[string][]string, key string) string {
	if v := unit[key]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

func unitBool(unit map[string][]string, key string) bool {
	switch lastValue(unit, key) {
	case "yes", "true", "on", "1":
		return true
	}
	return false
}

// staticExporter builds the exporter as releases are built, static and
// without cgo, into a directory that any user may read.
func staticExporter(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "netlink_exporter-sandbox-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	bin, err := harness.Build(ctx, dir, harness.BuildOptions{Static: true})
	if err != nil {
		t.Fatal(err)
	}
	return bin
}
