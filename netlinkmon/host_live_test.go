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
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// The tests here count the monitor's own namespace ("host"), or counters of
// the whole monitor, so each runs in a child process with a network
// namespace and a /run/netns of its own: no other test's links or
// namespaces are counted there.

// A namespace's death counts its remaining links as deleted, and the monitor
// does not keep it alive: the host end of a veth into it goes at once.
func TestLiveNamespaceDeath(t *testing.T) {
	t.Parallel()
	if !testns.Isolate(t) {
		return
	}
	ns := testns.Add(t)
	mon := startMonitor(t, dirOptions())
	waitWatched(t, mon, ns, netlinkmon.SourceDir, promptly)

	hostEnd, peer := testns.Name(t, "h"), testns.Name(t, "p")
	testns.IP(t, "link", "add", hostEnd, "type", "veth", "peer", "name", peer, "netns", ns)
	testns.IP(t, "-n", ns, "link", "add", "br0", "type", "bridge")
	expectCounts(t, mon, ns, eventually, counts{"bridge": {"creations": 1}, "veth": {"creations": 1}})
	expectCounts(t, mon, "host", eventually, counts{"veth": {"creations": 1}})
	// The monitor's own namespace is a discovery too.
	if s := mon.Snapshot(); s.Discoveries != 2 || s.Removals != 0 {
		t.Fatalf("discoveries %d, removals %d; want 2, 0", s.Discoveries, s.Removals)
	}

	testns.Del(t, ns)
	deleted := time.Now()
	waitDead(t, mon, ns, promptly)
	t.Logf("death seen %v after ip netns del", time.Since(deleted).Round(time.Millisecond))
	expectCounts(t, mon, ns, eventually, counts{
		"bridge": {"creations": 1, "deletions": 1},
		"device": {"deletions": 1},
		"veth":   {"creations": 1, "deletions": 1},
	})
	if s := mon.Snapshot(); s.Removals != 1 {
		t.Errorf("removals %d, want 1", s.Removals)
	}
	// A pinned namespace would keep it forever. How soon the kernel
	// destroys the namespace is a bar of the benchmark: the monitor may see
	// the death before the kernel is done, and the kernel takes longer on a
	// loaded machine.
	testns.WaitFor(t, eventually, func() bool { return !testns.LinkExists(hostEnd, "") },
		"host end "+hostEnd+" of a veth into a deleted namespace still exists: is the namespace pinned?")
	t.Logf("host end gone %v after ip netns del", time.Since(deleted).Round(time.Millisecond))
	expectCounts(t, mon, "host", eventually, counts{"veth": {"creations": 1, "deletions": 1}})
	ns0, _ := findNS(mon.Snapshot(), ns)
	if len(ns0.Links) != 0 {
		t.Errorf("a dead namespace has links: %v", ns0.Links)
	}
}

// A link moved between namespaces is a move out of one and into the other,
// not a deletion and a creation.
func TestLiveMove(t *testing.T) {
	t.Parallel()
	if !testns.Isolate(t) {
		return
	}
	ns := testns.Add(t)
	mon := startMonitor(t, dirOptions())
	waitWatched(t, mon, ns, netlinkmon.SourceDir, promptly)

	x, y := testns.Name(t, "mx"), testns.Name(t, "my")
	testns.IP(t, "link", "add", x, "type", "veth", "peer", "name", y)
	testns.IP(t, "link", "set", x, "netns", ns)
	expectCounts(t, mon, "host", eventually, counts{"veth": {"creations": 2, "moves_out": 1}})
	expectCounts(t, mon, ns, eventually, counts{"veth": {"moves_in": 1}})
	expectLinks(t, mon, ns, map[string]int{"device/down": 1, "veth/down": 1})

	// "netns 1" would be pid 1's namespace, not this process's.
	testns.IP(t, "-n", ns, "link", "set", x, "netns", strconv.Itoa(os.Getpid()))
	expectCounts(t, mon, "host", eventually, counts{"veth": {"creations": 2, "moves_out": 1, "moves_in": 1}})
	expectCounts(t, mon, ns, eventually, counts{"veth": {"moves_in": 1, "moves_out": 1}})
	expectLinks(t, mon, ns, map[string]int{"device/down": 1})
	expectLinks(t, mon, "host", map[string]int{"device/down": 1, "veth/down": 2})
}

// What a container runtime does: make a namespace, and at once move the end
// of a veth into it, before the monitor can have found the namespace.
func TestLiveMoveIntoNewNamespace(t *testing.T) {
	t.Parallel()
	if !testns.Isolate(t) {
		return
	}
	mon := startMonitor(t, dirOptions())
	x, y := testns.Name(t, "cx"), testns.Name(t, "cy")
	testns.IP(t, "link", "add", x, "type", "veth", "peer", "name", y)
	ns := testns.Name(t, "tns")
	testns.IPBatch(t, "", []string{
		"netns add " + ns,
		"link set " + x + " netns " + ns,
	})
	t.Cleanup(func() { testns.Del(t, ns) })
	waitWatched(t, mon, ns, netlinkmon.SourceDir, promptly)
	expectCounts(t, mon, "host", eventually, counts{"veth": {"creations": 2, "moves_out": 1}})
	expectCounts(t, mon, ns, eventually, counts{"device": {"creations": 1}, "veth": {"moves_in": 1}})
}

// Stopping the monitor leaves no goroutine and no file descriptor behind,
// after namespaces came and went.
func TestLiveCleanShutdown(t *testing.T) {
	t.Parallel()
	if !testns.Isolate(t) {
		return
	}
	opts := netlinkmon.Options{
		NetnsDirs:      []string{"/run/netns"},
		ProcScan:       true,
		RescanInterval: 50 * time.Millisecond,
		Retention:      time.Minute,
	}
	// A first run makes what lives as long as the process: the runtime's
	// poller, say. Goroutines of the test's own commands end soon after.
	runMonitor(t, opts, 1)
	time.Sleep(100 * time.Millisecond)
	goroutines, fds := runtime.NumGoroutine(), fdCount(t)
	runMonitor(t, opts, 20)
	settled := func() bool { return runtime.NumGoroutine() <= goroutines && fdCount(t) <= fds }
	deadline := time.Now().Add(2 * time.Second)
	for !settled() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("after stopping: %d goroutines, %d fds; want at most %d, %d as before\n%s",
				runtime.NumGoroutine(), fdCount(t), goroutines, fds, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runMonitor starts a monitor, makes and deletes cycles namespaces with a
// link in each, waiting for the monitor to see each, and stops it.
func runMonitor(t *testing.T, opts netlinkmon.Options, cycles int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mon, err := netlinkmon.Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitReady(t, mon)
	for range cycles {
		ns := testns.Add(t)
		name := watchedName(t, mon, testns.Inode(t, "/run/netns/"+ns))
		testns.IP(t, "-n", ns, "link", "add", "br0", "type", "bridge")
		expectCounts(t, mon, name, eventually, counts{"bridge": {"creations": 1}, "device": {"creations": 1}})
		testns.Del(t, ns)
		waitDead(t, mon, name, promptly)
	}
	cancel()
	if err := mon.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

// watchedName waits until the monitor watches the namespace with this
// inode, and returns its name: the process scan, which runs every 50 ms
// here, may find it (through ip, while ip is in it) before the directory
// scan does, and then names it ino-<inode> for its life.
func watchedName(t *testing.T, mon *netlinkmon.Monitor, inode uint64) string {
	t.Helper()
	var name string
	waitFor(t, mon, eventually, fmt.Sprintf("namespace with inode %d watched", inode), func(s netlinkmon.Snapshot) string {
		for _, ns := range s.Namespaces {
			if ns.Inode == inode && ns.Alive {
				name = ns.Name
				return ""
			}
		}
		return "not in the snapshot"
	})
	return name
}

func fdCount(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// Namespaces that come and go one after another are each watched, and each
// death is seen, even when the kernel gives a new namespace the inode of
// one that just died.
func TestLiveChurn(t *testing.T) {
	t.Parallel()
	if !testns.Isolate(t) {
		return
	}
	mon := startMonitor(t, dirOptions())
	const cycles = 30
	inodes := map[uint64]bool{}
	reused := 0
	prev := ""
	for i := range cycles {
		// One ip process deletes the last namespace and adds the next,
		// as fast as can be.
		ns := testns.Name(t, "tns")
		if prev == "" {
			testns.IP(t, "netns", "add", ns)
		} else {
			testns.IPBatch(t, "", []string{"netns del " + prev, "netns add " + ns})
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		inode := testns.Inode(t, "/run/netns/"+ns)
		if inodes[inode] {
			reused++
		}
		inodes[inode] = true
		if prev != "" {
			waitDead(t, mon, prev, promptly)
		}
		got := waitWatched(t, mon, ns, netlinkmon.SourceDir, promptly)
		if got.Inode != inode {
			t.Fatalf("cycle %d: namespace %s has inode %d, want %d", i, ns, got.Inode, inode)
		}
		prev = ns
	}
	testns.Del(t, prev)
	waitDead(t, mon, prev, promptly)
	t.Logf("%d cycles, %d with a reused inode", cycles, reused)
	if s := mon.Snapshot(); s.Discoveries != cycles+1 || s.Removals != cycles {
		t.Errorf("discoveries %d, removals %d; want %d, %d", s.Discoveries, s.Removals, cycles+1, cycles)
	}
}
