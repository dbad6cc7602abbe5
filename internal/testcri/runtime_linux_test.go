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

package testcri_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/netlink-exporter/netlink_exporter/internal/testcri"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// TestRuntime runs a pod and a hostNetwork pod on a real containerd, and
// checks what the tests of other packages rely on: the pod has a network
// namespace of its own, bind-mounted where the runtime says and held by its
// process; the hostNetwork pod's process is in the host's; a removed pod's
// namespace is gone.
func TestRuntime(t *testing.T) {
	rt := testcri.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	pod, err := rt.RunPod(ctx, testcri.PodConfig{Name: "web", Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	host, err := rt.RunPod(ctx, testcri.PodConfig{HostNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	if pod.NetnsPath == "" || host.NetnsPath != "" {
		t.Fatalf("netns paths: pod %q, hostNetwork pod %q; want a path and none", pod.NetnsPath, host.NetnsPath)
	}
	self := testns.Inode(t, "/proc/self/ns/net")
	ino := testns.Inode(t, pod.NetnsPath)
	if ino == self {
		t.Fatalf("the pod's namespace %s is the host's", pod.NetnsPath)
	}
	if got := netnsOfTask(ctx, t, rt, pod.ID); got != ino {
		t.Errorf("the pod's process is in namespace %d, its bind mount %s is %d", got, pod.NetnsPath, ino)
	}
	if got := netnsOfTask(ctx, t, rt, host.ID); got != self {
		t.Errorf("the hostNetwork pod's process is in namespace %d, want the host's %d", got, self)
	}

	resp, err := rt.Client.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.GetItems()); n != 2 {
		t.Fatalf("the runtime lists %d sandboxes, want 2", n)
	}
	for _, sb := range resp.GetItems() {
		if sb.GetId() == pod.ID {
			if m := sb.GetMetadata(); m.GetName() != "web" || m.GetNamespace() != "shop" || m.GetUid() != pod.UID {
				t.Errorf("the pod's metadata: %v", m)
			}
		}
	}

	if err := rt.RemovePod(ctx, pod.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pod.NetnsPath); !os.IsNotExist(err) {
		t.Errorf("after RemovePod, %s: %v; want it gone", pod.NetnsPath, err)
	}
}

func netnsOfTask(ctx context.Context, t *testing.T, rt *testcri.Runtime, id string) uint64 {
	t.Helper()
	pid, err := rt.Pid(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return testns.Inode(t, "/proc/"+strconv.Itoa(pid)+"/ns/net")
}
