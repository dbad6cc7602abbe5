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
	"slices"
	"testing"
	"time"
)

func TestRegistryPods(t *testing.T) {
	web := Pod{Namespace: "shop", Name: "web-0", UID: "uid-web"}
	db := Pod{Namespace: "shop", Name: "db-0", UID: "uid-db"}
	r := newTestRegistry() // retention: a minute
	if got := r.takeAdded(); len(got) != 0 {
		t.Errorf("added %v before any namespace but the host's, want none", got)
	}
	r.identify(3, 100, "cni-a", SourceDir, t0)
	r.identify(4, 101, "cni-b", SourceDir, t0)
	if got := r.takeAdded(); !slices.Equal(got, []uint64{100, 101}) {
		t.Errorf("added %v, want [100 101]", got)
	}
	if got := r.takeAdded(); len(got) != 0 {
		t.Errorf("added %v again", got)
	}

	for _, tc := range []struct {
		inode uint64
		pod   Pod
		want  bool
	}{
		{100, web, true},
		{101, db, true},
		{102, web, false},     // no such namespace
		{hostIno, web, false}, // the host is no pod's
	} {
		if got := r.attachPod(tc.inode, tc.pod); got != tc.want {
			t.Errorf("attachPod(%d) = %v, want %v", tc.inode, got, tc.want)
		}
	}
	s := r.counters(t0)
	if got := mustNS(t, s, "cni-a").Pod; got != web {
		t.Errorf("cni-a's pod %+v, want %+v", got, web)
	}
	if got := mustNS(t, s, "host").Pod; got != (Pod{}) {
		t.Errorf("the host's pod %+v, want none", got)
	}

	// cni-a dies: it keeps its pod for the retention, and the inode it
	// leaves goes to a new namespace, which is no pod's.
	t1 := t0.Add(time.Second)
	r.kill(r.byNSID[3], t1, "test")
	if r.attachPod(100, db) {
		t.Errorf("attachPod to a dead namespace's inode succeeded")
	}
	r.identify(5, 100, "cni-c", SourceDir, t1)
	if got := r.takeAdded(); !slices.Equal(got, []uint64{100}) {
		t.Errorf("added %v, want the new namespace's [100]", got)
	}
	s = r.counters(t1.Add(30 * time.Second))
	if a := mustNS(t, s, "cni-a"); a.Alive || a.Pod != web {
		t.Errorf("cni-a within its retention: alive %v, pod %+v; want dead with %+v", a.Alive, a.Pod, web)
	}
	if got := mustNS(t, s, "cni-c").Pod; got != (Pod{}) {
		t.Errorf("cni-c, which reused cni-a's inode, has pod %+v, want none", got)
	}
	if got := mustNS(t, s, "cni-b").Pod; got != db {
		t.Errorf("cni-b's pod %+v, want %+v", got, db)
	}
	if _, ok := nsByName(r.counters(t1.Add(time.Minute)), "cni-a"); ok {
		t.Errorf("cni-a and its pod still there after the retention")
	}
}

// TestRegistryPodWhileWaiting attaches a pod to a namespace that waits for
// its name, held by a dying namespace: it is indexed, announced once, and
// keeps the pod when it takes the name.
func TestRegistryPodWhileWaiting(t *testing.T) {
	pod := Pod{Namespace: "shop", Name: "web-0", UID: "uid-web"}
	r := newTestRegistry()
	r.identify(3, 100, "x", SourceDir, t0)
	r.identify(4, 101, "x", SourceDir, t0)
	if got := r.takeAdded(); !slices.Equal(got, []uint64{100, 101}) {
		t.Errorf("added %v, want [100 101]", got)
	}
	if !r.attachPod(101, pod) {
		t.Fatalf("attachPod to the waiting namespace failed")
	}
	r.kill(r.byNSID[3], t0, "test")
	if got := r.takeAdded(); len(got) != 0 {
		t.Errorf("added %v when the waiting namespace took its name, want nothing new", got)
	}
	if x := mustNS(t, r.counters(t0), "x"); x.Inode != 101 || x.Pod != pod {
		t.Errorf("x = inode %d, pod %+v; want 101 with %+v", x.Inode, x.Pod, pod)
	}
}
