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

package netns

import (
	"os"
	"os/exec"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// requireRoot skips tb unless it may create namespaces, links and mounts.
func requireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root: creates network namespaces, links and mounts")
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil || data[0].Effective&(1<<unix.CAP_SYS_ADMIN) == 0 {
		tb.Skip("needs CAP_SYS_ADMIN: creates network namespaces and mounts")
	}
	for _, cmd := range []string{"ip", "unshare", "sleep"} {
		if _, err := exec.LookPath(cmd); err != nil {
			tb.Skipf("needs %s: %v", cmd, err)
		}
	}
}

// addVeth creates a veth pair with one end in the namespace netns (a name
// or a pid) and returns the name of the end that stays on the host. It
// vanishes when that namespace dies.
func addVeth(tb testing.TB, netns string) string {
	tb.Helper()
	base := testns.Name(tb, "nlxt")
	host, peer := base+"h", base+"p"
	testns.IP(tb, "link", "add", host, "type", "veth", "peer", "name", peer, "netns", netns)
	tb.Cleanup(func() { _ = exec.Command("ip", "link", "del", host).Run() })
	return host
}

func nsfsDev(tb testing.TB) uint64 {
	tb.Helper()
	_, dev, err := Self()
	if err != nil {
		tb.Fatal(err)
	}
	return dev
}

// bindSelf bind-mounts this process's namespace on path (creating the file),
// as "ip netns attach" does, and unmounts it at cleanup.
func bindSelf(tb testing.TB, path string) {
	tb.Helper()
	if err := os.WriteFile(path, nil, 0o444); err != nil {
		tb.Fatal(err)
	}
	if err := unix.Mount(selfPath, path, "", unix.MS_BIND, ""); err != nil {
		tb.Fatalf("bind %s on %s: %v", selfPath, path, err)
	}
	tb.Cleanup(func() { _ = unix.Unmount(path, unix.MNT_DETACH) })
}

func fdCount(tb testing.TB) int {
	tb.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatal(err)
	}
	return len(fds)
}

func names(cands []Candidate) []string {
	var s []string
	for _, c := range cands {
		s = append(s, c.Name)
	}
	return s
}

func fdName(f *os.File) string {
	return strconv.Itoa(int(f.Fd()))
}
