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
	"sync"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// TestLivePods announces a new namespace to NamespaceAdded, attaches a pod
// to it, and finds the pod in snapshots through the namespace's death, as
// the exporter's CRI resolver uses the monitor.
func TestLivePods(t *testing.T) {
	var mu sync.Mutex
	added := make(map[uint64]int)
	opts := dirOptions()
	opts.NamespaceAdded = func(inode uint64) {
		mu.Lock()
		defer mu.Unlock()
		added[inode]++
	}
	mon := startMonitor(t, opts)
	name := testns.Add(t)
	ino := testns.Inode(t, "/run/netns/"+name)
	testns.WaitFor(t, 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return added[ino] > 0
	}, "the new namespace was not announced")
	pod := netlinkmon.Pod{Namespace: "shop", Name: "web-0", UID: "uid-web"}
	if !mon.AttachPod(ino, pod) {
		t.Fatalf("AttachPod(%d) found no namespace", ino)
	}
	if ns := waitWatched(t, mon, name, netlinkmon.SourceDir, 5*time.Second); ns.Pod != pod {
		t.Errorf("%s's pod %+v, want %+v", name, ns.Pod, pod)
	}
	testns.Del(t, name)
	waitDead(t, mon, name, 5*time.Second)
	if ns, ok := findNS(mon.Snapshot(), name); !ok || ns.Pod != pod {
		t.Errorf("%s after its death: %+v, want it retained with its pod", name, ns)
	}
	if mon.AttachPod(ino, pod) {
		t.Errorf("AttachPod to a dead namespace's inode succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	if added[ino] != 1 {
		t.Errorf("the namespace was announced %d times, want once", added[ino])
	}
}
