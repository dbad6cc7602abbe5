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

package netlinkmon_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// Links present at the start are the baseline; links made later count, by
// kind, with every flag transition and the kernel's carrier counts.
func TestLiveLinkLifecycle(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	ns := testns.Add(t)
	testns.IP(t, "-n", ns, "link", "add", "br0", "type", "bridge")
	mon := startMonitor(t, dirOptions())

	waitWatched(t, mon, ns, netlinkmon.SourceDir, promptly)
	expectCounts(t, mon, ns, promptly, counts{})
	expectLinks(t, mon, ns, map[string]int{"bridge/down": 1, "device/down": 1})

	testns.IPBatch(t, ns, []string{
		"link add br1 type bridge",
		"link add va type veth peer name vb",
		"link set br1 up",
		"link set va up",
		"link set vb up",
	})
	// An empty bridge that is up has carrier (operstate unknown, which
	// counts as running). A veth has carrier once both ends are up.
	expectCounts(t, mon, ns, eventually, counts{
		"bridge": {"creations": 1, "set/up": 1, "set/running": 1, "set/lower_up": 1},
		"veth": {"creations": 2, "set/up": 2, "set/running": 2, "set/lower_up": 2,
			"carrier_up": 2},
	})
	expectLinks(t, mon, ns, map[string]int{
		"bridge/down": 1, "bridge/unknown": 1, "device/down": 1, "veth/up": 2,
	})

	// Down on one end takes the carrier of both.
	testns.IPBatch(t, ns, []string{"link set va down", "link set br1 down"})
	expectCounts(t, mon, ns, eventually, counts{
		"bridge": {"creations": 1, "set/up": 1, "set/running": 1, "set/lower_up": 1,
			"cleared/up": 1, "cleared/running": 1, "cleared/lower_up": 1},
		"veth": {"creations": 2, "set/up": 2, "set/running": 2, "set/lower_up": 2,
			"cleared/up": 1, "cleared/running": 2, "cleared/lower_up": 2,
			"carrier_up": 2, "carrier_down": 2},
	})
	expectLinks(t, mon, ns, map[string]int{
		"bridge/down": 2, "device/down": 1, "veth/down": 1, "veth/lowerlayerdown": 1,
	})

	// Deleting va deletes vb too, which the kernel closes first: vb's up
	// is cleared.
	testns.IPBatch(t, ns, []string{"link del br1", "link del va"})
	expectCounts(t, mon, ns, eventually, counts{
		"bridge": {"creations": 1, "deletions": 1, "set/up": 1, "set/running": 1, "set/lower_up": 1,
			"cleared/up": 1, "cleared/running": 1, "cleared/lower_up": 1},
		"veth": {"creations": 2, "deletions": 2, "set/up": 2, "set/running": 2, "set/lower_up": 2,
			"cleared/up": 2, "cleared/running": 2, "cleared/lower_up": 2,
			"carrier_up": 2, "carrier_down": 2},
	})
	expectLinks(t, mon, ns, map[string]int{"bridge/down": 1, "device/down": 1})
}

// Flags that no carrier follows are counted once each way.
func TestLiveFlagToggles(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	// ip(8) spells the second one allmulticast.
	for flag, arg := range map[string]string{"promisc": "promisc", "allmulti": "allmulticast"} {
		t.Run(flag, func(t *testing.T) {
			t.Parallel()
			ns := testns.Add(t)
			testns.IP(t, "-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
			mon := startMonitor(t, dirOptions())
			waitWatched(t, mon, ns, netlinkmon.SourceDir, promptly)

			testns.IP(t, "-n", ns, "link", "set", "v0", arg, "on")
			expectCounts(t, mon, ns, eventually, counts{"veth": {"set/" + flag: 1}})
			testns.IP(t, "-n", ns, "link", "set", "v0", arg, "off")
			expectCounts(t, mon, ns, eventually, counts{"veth": {"set/" + flag: 1, "cleared/" + flag: 1}})
		})
	}
	if b := flagBit(t, "promisc"); b != 8 {
		t.Errorf("promisc is bit %d, want 8 (IFF_PROMISC)", b)
	}
}

func flagBit(t *testing.T, name string) int {
	for b := range netlinkmon.NumFlags {
		if netlinkmon.FlagName(b) == name {
			return b
		}
	}
	t.Fatalf("no flag named %q", name)
	return -1
}

// A namespace that appears after the start is watched within a second, and
// every link in it is a creation, loopback included.
func TestLiveNamespaceAddedAfterStart(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	mon := startMonitor(t, dirOptions())
	ns := testns.Add(t)
	added := time.Now()
	got := waitWatched(t, mon, ns, netlinkmon.SourceDir, promptly)
	t.Logf("watched %v after ip netns add", time.Since(added).Round(time.Millisecond))
	if want := testns.Inode(t, "/run/netns/"+ns); got.Inode != want {
		t.Errorf("inode %d, want %d", got.Inode, want)
	}
	if got.NSID < 0 {
		t.Errorf("nsid %d, want one assigned", got.NSID)
	}
	expectCounts(t, mon, ns, eventually, counts{"device": {"creations": 1}})

	testns.IPBatch(t, ns, []string{
		"link add br0 type bridge",
		"link add va type veth peer name vb",
		"link add mv0 link va type macvlan mode bridge",
		"tuntap add dev tun0 mode tun",
		"link add vx0 type vxlan id 42 dstport 4789 local 127.0.0.1",
		"link add ifb0 type ifb",
	})
	expectCounts(t, mon, ns, eventually, counts{
		"bridge": {"creations": 1}, "device": {"creations": 1}, "ifb": {"creations": 1},
		"macvlan": {"creations": 1}, "tun": {"creations": 1}, "veth": {"creations": 2},
		"vxlan": {"creations": 1},
	})
	expectLinks(t, mon, ns, map[string]int{
		"bridge/down": 1, "device/down": 1, "ifb/down": 1, "macvlan/down": 1,
		"tun/down": 1, "veth/down": 2, "vxlan/down": 1,
	})
}

// A namespace held only by a process is found by the process scan, named by
// its inode, and dies with the process.
func TestLiveProcessNamespace(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	mon := startMonitor(t, netlinkmon.Options{
		ProcScan:       true,
		RescanInterval: 200 * time.Millisecond,
		Retention:      time.Minute,
	})
	pid, inode := testns.Unshare(t)
	name := "ino-" + strconv.FormatUint(inode, 10)
	started := time.Now()
	got := waitWatched(t, mon, name, netlinkmon.SourceProc, promptly)
	t.Logf("watched %v after the process entered it", time.Since(started).Round(time.Millisecond))
	if got.Inode != inode {
		t.Errorf("inode %d, want %d", got.Inode, inode)
	}
	expectCounts(t, mon, name, eventually, counts{"device": {"creations": 1}})

	ipIn(t, pid, "link", "add", "br0", "type", "bridge")
	ipIn(t, pid, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	expectCounts(t, mon, name, eventually, counts{
		"bridge": {"creations": 1}, "device": {"creations": 1}, "veth": {"creations": 2},
	})

	if err := unix.Kill(pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitDead(t, mon, name, promptly)
	expectCounts(t, mon, name, eventually, counts{
		"bridge": {"creations": 1, "deletions": 1},
		"device": {"creations": 1, "deletions": 1},
		"veth":   {"creations": 2, "deletions": 2},
	})
}

// Any directory of bind mounts can be watched; the namespace is named by its
// file there.
func TestLiveOtherDirectory(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	dir := t.TempDir()
	mon := startMonitor(t, netlinkmon.Options{NetnsDirs: []string{dir}, Retention: time.Minute})

	name, orig, remove := bindInto(t, dir)
	added := time.Now()
	got := waitWatched(t, mon, name, netlinkmon.SourceDir, promptly)
	t.Logf("watched %v after the bind mount", time.Since(added).Round(time.Millisecond))
	if want := testns.Inode(t, filepath.Join(dir, name)); got.Inode != want {
		t.Errorf("inode %d, want %d", got.Inode, want)
	}
	if _, ok := findNS(mon.Snapshot(), orig); ok {
		t.Errorf("namespace %s is in the snapshot, but /run/netns is not watched", orig)
	}
	expectCounts(t, mon, name, eventually, counts{"device": {"creations": 1}})

	remove()
	waitDead(t, mon, name, promptly)
	expectCounts(t, mon, name, eventually, counts{"device": {"creations": 1, "deletions": 1}})
}

// A dead namespace stays in snapshots for the retention, then goes.
func TestLiveRetention(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	opts := dirOptions()
	opts.Retention = 300 * time.Millisecond
	mon := startMonitor(t, opts)
	ns := testns.Add(t)
	waitWatched(t, mon, ns, netlinkmon.SourceDir, promptly)
	testns.Del(t, ns)
	waitDead(t, mon, ns, promptly)
	died := time.Now()
	testns.WaitFor(t, 1500*time.Millisecond, func() bool {
		_, ok := findNS(mon.Snapshot(), ns)
		return !ok
	}, "dead namespace "+ns+" still in the snapshot after its retention")
	t.Logf("gone %v after its death was seen", time.Since(died).Round(time.Millisecond))
}

// A zero Retention keeps nothing of a dead namespace.
func TestLiveRetentionZero(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	mon := startMonitor(t, netlinkmon.Options{NetnsDirs: []string{"/run/netns"}})
	ns := testns.Add(t)
	waitWatched(t, mon, ns, netlinkmon.SourceDir, promptly)
	testns.Del(t, ns)
	waitFor(t, mon, promptly, "the dead namespace "+ns+" to leave the snapshot", func(s netlinkmon.Snapshot) string {
		if got, ok := findNS(s, ns); ok {
			return fmt.Sprintf("still there, alive %v", got.Alive)
		}
		return ""
	})
}

// A name is reused after "ip netns del": the new namespace gets it.
func TestLiveNameReuse(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	mon := startMonitor(t, dirOptions())
	ns := testns.Add(t)
	first := waitWatched(t, mon, ns, netlinkmon.SourceDir, promptly)

	// One ip process, as a container runtime that reuses a name would.
	// Add's cleanup deletes the second.
	testns.IPBatch(t, "", []string{"netns del " + ns, "netns add " + ns})
	inode := testns.Inode(t, "/run/netns/"+ns)
	waitFor(t, mon, promptly, "the second namespace "+ns, func(s netlinkmon.Snapshot) string {
		got, ok := findNS(s, ns)
		switch {
		case !ok:
			return "not in the snapshot"
		case got.Inode != inode || !got.Alive:
			other, _ := findNS(s, "ino-"+strconv.FormatUint(inode, 10))
			return fmt.Sprintf("inode %d, alive %v; want inode %d (the first had %d), alive; "+
				"the second is named ino-%d: %v",
				got.Inode, got.Alive, inode, first.Inode, inode, other.Name != "")
		}
		return ""
	})
	expectCounts(t, mon, ns, eventually, counts{"device": {"creations": 1}})
}

// The kernel gives a new namespace the inode of one that just died. A scan
// that runs before the monitor knows of the death skips the new namespace
// as already watched; the death must bring it back.
func TestLiveInodeReuse(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	mon := startMonitor(t, dirOptions())
	for range 5 {
		old := testns.Add(t)
		waitWatched(t, mon, old, netlinkmon.SourceDir, promptly)
		next := testns.Name(t, "tns")
		testns.IPBatch(t, "", []string{"netns del " + old, "netns add " + next})
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", next).Run() })
		waitWatched(t, mon, next, netlinkmon.SourceDir, promptly)
	}
}
