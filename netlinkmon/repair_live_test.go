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
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// The registry repairs itself: each test loses one of the kernel's nsid
// announcements, where the reader hands decoded messages over, and checks
// that the monitor's state is right again within a rescan interval or two.
// They run in a network namespace of their own, whose nsids only they make.

// repairInterval is the rescan interval of these tests.
const repairInterval = 200 * time.Millisecond

// startRepairMonitor starts a monitor that watches dir only, and drops the
// local RTM_NEWNSID or RTM_DELNSID (typ) of the nsid in drop, once.
func startRepairMonitor(t *testing.T, dir, typ string, drop *atomic.Int32, interval time.Duration) *netlinkmon.Monitor {
	ctx := netlinkmon.DropMessages(context.Background(), func(t string, peer int32) bool {
		return t == typ && drop.CompareAndSwap(peer, -1)
	})
	return startMonitorIn(t, ctx, netlinkmon.Options{NetnsDirs: []string{dir}, Retention: time.Minute, RescanInterval: interval})
}

// bindInto makes a namespace and bind-mounts it into dir under a name of its
// own; remove unmounts it and deletes the namespace.
func bindInto(t *testing.T, dir string) (name string, remove func()) {
	t.Helper()
	orig := testns.Add(t)
	name = testns.Name(t, "r")
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("/run/netns/"+orig, path, "", unix.MS_BIND, ""); err != nil {
		t.Fatalf("bind /run/netns/%s on %s: %v", orig, path, err)
	}
	mounted := true
	remove = func() {
		if mounted {
			mounted = false
			if err := unix.Unmount(path, unix.MNT_DETACH); err != nil {
				t.Errorf("unmount %s: %v", path, err)
			}
			testns.Del(t, orig)
		}
	}
	t.Cleanup(remove)
	return name, remove
}

func repairsDiff(want map[string]uint64) func(netlinkmon.Snapshot) string {
	return func(s netlinkmon.Snapshot) string {
		if d := cmp.Diff(want, s.Repairs); d != "" {
			return "repairs (-want +got):\n" + d
		}
		return ""
	}
}

// A namespace's RTM_DELNSID is lost: the next rescan finds its nsid gone.
func TestLiveRepairLostDelNSID(t *testing.T) {
	t.Parallel()
	if !testns.Isolate(t) {
		return
	}
	dir := t.TempDir()
	var drop atomic.Int32
	drop.Store(-1)
	mon := startRepairMonitor(t, dir, "delnsid", &drop, repairInterval)
	name, remove := bindInto(t, dir)
	ns := waitWatched(t, mon, name, netlinkmon.SourceDir, eventually)
	// Its first dump has been read: only its RTM_DELNSID can tell its
	// death.
	expectCounts(t, mon, name, eventually, counts{"device": {"creations": 1}})
	drop.Store(ns.NSID)

	remove()
	waitDead(t, mon, name, eventually)
	if drop.Load() != -1 {
		t.Fatalf("the RTM_DELNSID of nsid %d was never dropped", ns.NSID)
	}
	expectCounts(t, mon, name, eventually, counts{"device": {"creations": 1, "deletions": 1}})
	waitFor(t, mon, eventually, "repairs", repairsDiff(map[string]uint64{"nsid_gone": 1, "nsid_unannounced": 0, "nsid_reused": 0}))
}

// The RTM_NEWNSID of a namespace that nothing else shows is lost: the next
// rescan finds its nsid, and its links are counted.
func TestLiveRepairLostNewNSID(t *testing.T) {
	t.Parallel()
	if !testns.Isolate(t) {
		return
	}
	const nsid = 77
	var drop atomic.Int32
	drop.Store(nsid)
	// /run/netns is not watched: only the nsid shows the namespace.
	mon := startRepairMonitor(t, t.TempDir(), "newnsid", &drop, repairInterval)
	ns := testns.Add(t)
	testns.IP(t, "netns", "set", ns, strconv.Itoa(nsid))
	waitFor(t, mon, eventually, "repairs", repairsDiff(map[string]uint64{"nsid_gone": 0, "nsid_unannounced": 1, "nsid_reused": 0}))
	if drop.Load() != -1 {
		t.Fatalf("the RTM_NEWNSID of nsid %d was never dropped", nsid)
	}
	// Its first dump counts its loopback as created; no scan names it, so
	// its counters go to unidentified at its death.
	time.Sleep(2 * repairInterval)
	testns.Del(t, ns)
	expectCounts(t, mon, netlinkmon.Unidentified, eventually, counts{"device": {"creations": 1, "deletions": 1}})
}

// The kernel gives a namespace's nsid to another before the monitor reads
// its RTM_DELNSID, here lost: the new holder's RTM_NEWNSID tells, and its
// links are not the old one's.
func TestLiveRepairNSIDReused(t *testing.T) {
	t.Parallel()
	if !testns.Isolate(t) {
		return
	}
	dir := t.TempDir()
	var drop atomic.Int32
	drop.Store(-1)
	// No rescan: only the announcement can tell.
	mon := startRepairMonitor(t, dir, "delnsid", &drop, time.Hour)
	name, remove := bindInto(t, dir)
	old := waitWatched(t, mon, name, netlinkmon.SourceDir, eventually)
	expectCounts(t, mon, name, eventually, counts{"device": {"creations": 1}})
	drop.Store(old.NSID)
	remove()

	// /run/netns is not watched: the new namespace is known by its nsid
	// alone, which the kernel frees once the old one is destroyed.
	next := testns.Add(t)
	testns.WaitFor(t, eventually, func() bool {
		return exec.Command("ip", "netns", "set", next, strconv.Itoa(int(old.NSID))).Run() == nil
	}, fmt.Sprintf("nsid %d never came free for namespace %s", old.NSID, next))
	testns.IP(t, "-n", next, "link", "add", "br0", "type", "bridge")

	waitDead(t, mon, name, eventually)
	if drop.Load() != -1 {
		t.Fatalf("the RTM_DELNSID of nsid %d was never dropped", old.NSID)
	}
	expectCounts(t, mon, name, eventually, counts{"device": {"creations": 1, "deletions": 1}})
	waitFor(t, mon, eventually, "repairs", repairsDiff(map[string]uint64{"nsid_gone": 0, "nsid_unannounced": 0, "nsid_reused": 1}))
}
