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
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// The registry repairs itself: each test loses one of the kernel's nsid
// announcements, where the reader hands decoded messages over, and checks
// that the monitor's state is right again within a rescan interval or two.
// They run in a network namespace of their own, whose nsids only they make.

// repairInterval is the rescan interval of these tests.
const repairInterval = 200 * time.Millisecond

// A dropper loses one of the kernel's nsid announcements, where the reader
// hands decoded messages over: the next local one of its type for the nsid
// it was armed with.
type dropper struct {
	typ  string
	nsid atomic.Int32
}

func (d *dropper) arm(nsid int32) { d.nsid.Store(nsid) }

// dropped reports whether the announcement was lost.
func (d *dropper) dropped() bool { return d.nsid.Load() == -1 }

// startRepairMonitor starts a monitor that watches dir only, rescans every
// interval, and loses the announcement of type typ ("newnsid", "delnsid")
// that its dropper is armed for.
func startRepairMonitor(t *testing.T, dir, typ string, interval time.Duration) (*netlinkmon.Monitor, *dropper) {
	d := &dropper{typ: typ}
	d.nsid.Store(-1)
	ctx := netlinkmon.DropMessages(context.Background(), func(typ string, peer int32) bool {
		return typ == d.typ && d.nsid.CompareAndSwap(peer, -1)
	})
	mon := startMonitorIn(t, ctx, netlinkmon.Options{NetnsDirs: []string{dir}, Retention: time.Minute, RescanInterval: interval})
	return mon, d
}

// announcedAt makes a namespace in /run/netns, which the repair monitors do
// not watch, and gives it nsid: the monitor knows it by its announcement
// alone. It returns once the monitor has read the namespace's first dump,
// from when on only the namespace's RTM_DELNSID, or the rescan, can tell its
// death.
func announcedAt(t *testing.T, mon *netlinkmon.Monitor, nsid int32) string {
	t.Helper()
	sub := mon.Subscribe(64, func(ev *netlinkmon.Event) bool {
		return ev.NSID == nsid && ev.Type == netlinkmon.EventCreated && ev.Via == netlinkmon.ViaDump
	})
	defer sub.Close()
	ns := testns.Add(t)
	testns.IP(t, "netns", "set", ns, strconv.Itoa(int(nsid)))
	select {
	case <-sub.Ready():
	case <-time.After(eventually):
		t.Fatalf("no first dump of nsid %d after %v", nsid, eventually)
	}
	return ns
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
	const nsid = 5
	mon, drop := startRepairMonitor(t, t.TempDir(), "delnsid", repairInterval)
	drop.arm(nsid)
	ns := announcedAt(t, mon, nsid)
	testns.Del(t, ns)
	waitFor(t, mon, eventually, "repairs", repairsDiff(map[string]uint64{"nsid_gone": 1, "nsid_unannounced": 0, "nsid_reused": 0}))
	if !drop.dropped() {
		t.Fatalf("the RTM_DELNSID of nsid %d was never dropped", nsid)
	}
	// No scan named it: its counters, its loopback's creation by its first
	// dump and its deletion by its death, go to unidentified.
	expectCounts(t, mon, netlinkmon.Unidentified, eventually, counts{"device": {"creations": 1, "deletions": 1}})
}

// The RTM_NEWNSID of a namespace that nothing else shows is lost: the next
// rescan finds its nsid, and its links are counted.
func TestLiveRepairLostNewNSID(t *testing.T) {
	t.Parallel()
	if !testns.Isolate(t) {
		return
	}
	const nsid = 77
	// /run/netns is not watched: only the nsid shows the namespace.
	mon, drop := startRepairMonitor(t, t.TempDir(), "newnsid", repairInterval)
	drop.arm(nsid)
	ns := testns.Add(t)
	testns.IP(t, "netns", "set", ns, strconv.Itoa(nsid))
	waitFor(t, mon, eventually, "repairs", repairsDiff(map[string]uint64{"nsid_gone": 0, "nsid_unannounced": 1, "nsid_reused": 0}))
	if !drop.dropped() {
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
	const nsid = 5
	// No rescan: only the announcement can tell.
	mon, drop := startRepairMonitor(t, t.TempDir(), "delnsid", time.Hour)
	drop.arm(nsid)
	old := announcedAt(t, mon, nsid)
	testns.Del(t, old)

	// The kernel frees the nsid once the old namespace is destroyed.
	next := testns.Add(t)
	testns.WaitFor(t, eventually, func() bool {
		return exec.Command("ip", "netns", "set", next, strconv.Itoa(nsid)).Run() == nil
	}, fmt.Sprintf("nsid %d never came free for namespace %s", nsid, next))
	testns.IP(t, "-n", next, "link", "add", "br0", "type", "bridge")
	waitFor(t, mon, eventually, "repairs", repairsDiff(map[string]uint64{"nsid_gone": 0, "nsid_unannounced": 0, "nsid_reused": 1}))
	if !drop.dropped() {
		t.Fatalf("the RTM_DELNSID of nsid %d was never dropped", nsid)
	}
	// The old namespace died with its loopback, and without the new one's
	// bridge.
	expectCounts(t, mon, netlinkmon.Unidentified, eventually, counts{"device": {"creations": 1, "deletions": 1}})
}

// A namespace's file vanishes, and the kernel takes its time to destroy it
// and announce it (here, its RTM_DELNSID is lost): a lookup of its nsid
// tells at once. That is no repair.
func TestLiveDeathBeforeItsAnnouncement(t *testing.T) {
	t.Parallel()
	if !testns.Isolate(t) {
		return
	}
	dir := t.TempDir()
	// No rescan: only the vanished file can tell.
	mon, drop := startRepairMonitor(t, dir, "delnsid", time.Hour)
	name, _, remove := bindInto(t, dir)
	ns := waitWatched(t, mon, name, netlinkmon.SourceDir, eventually)
	expectCounts(t, mon, name, eventually, counts{"device": {"creations": 1}})
	drop.arm(ns.NSID)
	remove()
	// The kernel may drop the namespace's last reference a moment after
	// the scans that the unmount made: each change to dir makes another.
	poke := filepath.Join(dir, "poke")
	waitFor(t, mon, eventually, "namespace "+name+" dead", func(s netlinkmon.Snapshot) string {
		if got, _ := findNS(s, name); got.Alive {
			_ = os.WriteFile(poke, nil, 0o600)
			_ = os.Remove(poke)
			return "still alive"
		}
		return ""
	})
	expectCounts(t, mon, name, eventually, counts{"device": {"creations": 1, "deletions": 1}})
	waitFor(t, mon, eventually, "repairs", repairsDiff(map[string]uint64{"nsid_gone": 0, "nsid_unannounced": 0, "nsid_reused": 0}))
}
