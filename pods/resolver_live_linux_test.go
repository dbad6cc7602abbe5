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

package pods_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netlink-exporter/netlink_exporter/internal/testcri"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
	"github.com/netlink-exporter/netlink_exporter/pods"
)

// These tests run a real containerd (internal/testcri): they skip without
// root or the Debian packages, and fail without them under CI=true.

// liveTimeout bounds each wait: containerd runs a sandbox in well under a
// second here, and the resolver names it within a second of that.
const liveTimeout = 20 * time.Second

// recorder records what a resolver attaches.
type recorder struct {
	mu   sync.Mutex
	pods map[uint64]pods.Pod
}

func (r *recorder) attach(inode uint64, p pods.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pods[inode] = p
}

func (r *recorder) get() map[uint64]pods.Pod {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.pods)
}

// run runs a resolver until the test ends.
func run(t *testing.T, opts pods.Options) (*pods.Resolver, *recorder) {
	t.Helper()
	res, err := pods.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{pods: make(map[uint64]pods.Pod)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		res.Run(ctx, rec.attach)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return res, rec
}

func podOf(p testcri.Pod) pods.Pod {
	return pods.Pod{Namespace: p.Namespace, Name: p.Name, UID: p.UID}
}

func TestLiveAttribution(t *testing.T) {
	rt := testcri.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var running []testcri.Pod
	for _, cfg := range []testcri.PodConfig{
		{Name: "web-0", Namespace: "shop"},
		{Name: "api-0", Namespace: "backend"},
		{Name: "node-agent", Namespace: "kube-system", HostNetwork: true},
	} {
		p, err := rt.RunPod(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		running = append(running, p)
	}
	web, api, agent := running[0], running[1], running[2]
	webIno, apiIno := testns.Inode(t, web.NetnsPath), testns.Inode(t, api.NetnsPath)

	res, rec := run(t, pods.Options{Endpoints: []string{rt.Socket}, ResyncInterval: time.Hour})
	testns.WaitFor(t, liveTimeout, func() bool { return res.Stats().Sandboxes == 3 }, "the resolver did not list the sandboxes")
	want := map[uint64]pods.Pod{webIno: podOf(web), apiIno: podOf(api)}
	if got := rec.get(); !maps.Equal(got, want) {
		t.Errorf("attached %v, want %v; the hostNetwork pod %s must not be, nor the host's namespace %d",
			got, want, agent.Name, testns.Inode(t, "/proc/self/ns/net"))
	}
	// The sandbox's process, as containerd's task API sees it, is in the
	// namespace attributed to its pod.
	pid, err := rt.Pid(ctx, web.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ino := testns.Inode(t, "/proc/"+strconv.Itoa(pid)+"/ns/net"); ino != webIno {
		t.Errorf("the sandbox's process is in namespace %d, its bind mount is %d", ino, webIno)
	}

	// A pod started now is found only because its namespace is notified,
	// as the exporter does when it sees a new namespace: the resync is an
	// hour away. The namespace appears before the runtime lists the
	// sandbox, so the resolver has to look again.
	lists := res.Stats().Requests["ListPodSandbox"]
	seen := netnsFiles(t)
	started := make(chan testcri.Pod, 1)
	go func() {
		p, err := rt.RunPod(ctx, testcri.PodConfig{Name: "late-0", Namespace: "shop"})
		if err != nil {
			t.Error(err)
		}
		started <- p
	}()
	var lateIno uint64
	testns.WaitFor(t, liveTimeout, func() bool {
		for f := range netnsFiles(t) {
			// containerd creates the file, then mounts the namespace
			// on it.
			if ino, ok := nsfsInode(f); ok && !seen[f] {
				lateIno = ino
				return true
			}
		}
		return false
	}, "the new sandbox's namespace did not appear in /var/run/netns")
	res.Notify(lateIno)
	late := <-started
	if late.ID == "" {
		t.FailNow()
	}
	testns.WaitFor(t, liveTimeout, func() bool { return rec.get()[lateIno] == podOf(late) }, "the notified pod was not attributed")
	t.Logf("the new pod took %d lists to find", res.Stats().Requests["ListPodSandbox"]-lists)

	// A removed sandbox leaves the resolver's cache at the next list.
	if err := rt.RemovePod(ctx, web.ID); err != nil {
		t.Fatal(err)
	}
	res.Notify(webIno)
	testns.WaitFor(t, liveTimeout, func() bool {
		s := res.Stats()
		return s.Sandboxes == 3 && s.Attributed == 2
	}, "the removed sandbox is still counted")
	if s := res.Stats(); s.Errors["ListPodSandbox"]+s.Errors["PodSandboxStatus"]+s.Errors["Version"] != 0 {
		t.Errorf("runtime errors: %v", s.Errors)
	}
}

// netnsFiles returns the namespaces that containerd has bind-mounted, by
// path.
func netnsFiles(t *testing.T) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir("/var/run/netns")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	files := make(map[string]bool)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "cni-") {
			files[filepath.Join("/var/run/netns", e.Name())] = true
		}
	}
	return files
}

// nsfsInode returns the inode of the namespace mounted at path, if one is.
func nsfsInode(path string) (uint64, bool) {
	var self, st unix.Stat_t
	if unix.Stat("/proc/self/ns/net", &self) != nil || unix.Stat(path, &st) != nil {
		return 0, false
	}
	return st.Ino, st.Dev == self.Dev
}

// TestLiveDiscovery runs containerd on its default socket, where a
// resolver without an endpoint finds it.
func TestLiveDiscovery(t *testing.T) {
	rt := testcri.NewAt(t, testcri.DefaultSocket)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := rt.RunPod(ctx, testcri.PodConfig{Name: "web-0", Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	res, rec := run(t, pods.Options{ResyncInterval: time.Hour})
	ino := testns.Inode(t, p.NetnsPath)
	testns.WaitFor(t, liveTimeout, func() bool { return rec.get()[ino] == podOf(p) }, "the pod was not attributed")
	if s := res.Stats(); s.Endpoint != testcri.DefaultSocket || s.RuntimeName != "containerd" {
		t.Errorf("the resolver uses %q (%q), want %q (containerd)", s.Endpoint, s.RuntimeName, testcri.DefaultSocket)
	}
}
