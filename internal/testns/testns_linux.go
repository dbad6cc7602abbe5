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

package testns

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// maxIfName is the longest interface name Linux accepts: IFNAMSIZ less the
// terminating NUL.
const maxIfName = 15

// RequireRoot skips tb unless the process runs as root and ip(8) is
// installed: the other helpers create namespaces, links and mounts.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("testns: needs root to create network namespaces, links and mounts")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		tb.Skipf("testns: needs ip(8) from iproute2: %v", err)
	}
}

// Name returns prefix followed by six random hex digits, unique enough that
// tests running at the same time do not collide. It fails tb if the name is
// longer than an interface name may be (15 bytes), so that one scheme serves
// namespaces and links alike.
func Name(tb testing.TB, prefix string) string {
	tb.Helper()
	name := fmt.Sprintf("%s%06x", prefix, rand.Uint32()&0xffffff)
	if len(name) > maxIfName {
		tb.Fatalf("testns: name %q is longer than %d bytes: use a shorter prefix", name, maxIfName)
	}
	return name
}

// Add creates a named namespace with "ip netns add" and returns its name.
// Cleanup deletes it unless the test already has.
func Add(tb testing.TB) string {
	tb.Helper()
	name := Name(tb, "tns")
	IP(tb, "netns", "add", name)
	tb.Cleanup(func() {
		out, err := exec.Command("ip", "netns", "del", name).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "No such file") {
			tb.Errorf("testns: ip netns del %s: %v: %s", name, err, out)
		}
	})
	return name
}

// Del deletes the named namespace with "ip netns del". The namespace dies
// once nothing else holds it.
func Del(tb testing.TB, name string) {
	tb.Helper()
	IP(tb, "netns", "del", name)
}

// IP runs ip(8) with args and returns its output. It fails tb, with the
// output, if ip fails.
func IP(tb testing.TB, args ...string) string {
	tb.Helper()
	return run(tb, "ip", args...)
}

// IPBatch runs lines as one "ip -batch" in the named namespace, or in the
// caller's namespace if netns is "". One batch makes thousands of links in
// well under a second, where one ip process per link would take minutes.
func IPBatch(tb testing.TB, netns string, lines []string) {
	tb.Helper()
	file := filepath.Join(tb.TempDir(), "batch")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		tb.Fatalf("testns: %v", err)
	}
	var args []string
	if netns != "" {
		args = append(args, "-n", netns)
	}
	IP(tb, append(args, "-batch", file)...)
}

func run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("testns: %s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Unshare starts a process in a new network namespace that only the process
// holds, with no bind mount, and returns the pid and the namespace's inode
// once the process is in it. Cleanup kills the process, unless the test has
// already, and reaps it.
func Unshare(tb testing.TB) (pid int, inode uint64) {
	tb.Helper()
	cmd := exec.Command("unshare", "-n", "sleep", "300")
	if err := cmd.Start(); err != nil {
		tb.Fatalf("testns: start %v: %v", cmd.Args, err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	self := Inode(tb, "/proc/self/ns/net")
	path := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/ns/net"
	// unshare(1) execs sleep once it is in the new namespace; until then
	// the process is in ours.
	WaitFor(tb, 5*time.Second, func() bool {
		inode = Inode(tb, path)
		return inode != self
	}, fmt.Sprintf("%v did not enter a new network namespace", cmd.Args))
	return cmd.Process.Pid, inode
}

// Inode returns the inode of the file at path: for a namespace file, the
// namespace's identity.
func Inode(tb testing.TB, path string) uint64 {
	tb.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		tb.Fatalf("testns: stat %s: %v", path, err)
	}
	return st.Ino
}

// WaitFor polls cond every 10 ms until it is true, and fails tb with msg if
// it is still false after timeout. Call it from the test's goroutine.
func WaitFor(tb testing.TB, timeout time.Duration, cond func() bool, msg string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("testns: after %v: %s", timeout, msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// LinkExists reports whether a link of this name is in the named namespace,
// or in the caller's namespace if netns is "".
func LinkExists(name, netns string) bool {
	if netns == "" {
		_, err := net.InterfaceByName(name)
		return err == nil
	}
	// ip fails alike for a missing link and a missing namespace: either
	// way, the link is not there.
	return exec.Command("ip", "-n", netns, "link", "show", "dev", name).Run() == nil
}
