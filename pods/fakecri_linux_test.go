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

package pods

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// A fakeRuntime is a CRI runtime service in the test's process, with the
// sandboxes that the test gives it. The runtime's real behaviour is tested
// against containerd (resolver_live_linux_test.go); this one lets tests
// count calls and inject failures.
type fakeRuntime struct {
	runtimeapi.UnimplementedRuntimeServiceServer

	mu        sync.Mutex
	sandboxes map[string]*fakeSandbox
	calls     map[string]int
	// fail holds, by method, how many calls fail from now on.
	fail map[string]int
	// listed receives a value after each list, without blocking.
	listed chan struct{}
}

type fakeSandbox struct {
	item        *runtimeapi.PodSandbox
	info        map[string]string
	hostNetwork bool
}

// startFakeRuntime serves a fakeRuntime on a socket in a directory of the
// test's, and returns both. Cleanup stops the server.
func startFakeRuntime(t *testing.T) (*fakeRuntime, string) {
	t.Helper()
	f := &fakeRuntime{
		sandboxes: make(map[string]*fakeSandbox),
		calls:     make(map[string]int),
		fail:      make(map[string]int),
		listed:    make(chan struct{}, 1),
	}
	socket := filepath.Join(t.TempDir(), "cri.sock")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(srv, f)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return f, socket
}

// add makes a sandbox known to the runtime: ready, with kubelet's metadata
// and labels, and verbose info naming netns (a path) or pid.
func (f *fakeRuntime) add(id string, pod Pod, netns string, pid int) {
	info := `{"pid": ` + itoa(pid) + `, "runtimeSpec": {"linux": {"namespaces": [{"type": "network", "path": "` + netns + `"}]}}}`
	if netns == "" {
		info = `{"pid": ` + itoa(pid) + `, "runtimeSpec": {"linux": {"namespaces": [{"type": "network"}]}}}`
	}
	f.addSandbox(id, &fakeSandbox{
		item: &runtimeapi.PodSandbox{
			Id:       id,
			Metadata: &runtimeapi.PodSandboxMetadata{Name: pod.Name, Namespace: pod.Namespace, Uid: pod.UID},
			State:    runtimeapi.PodSandboxState_SANDBOX_READY,
			Labels: map[string]string{
				labelPodName: pod.Name, labelPodNamespace: pod.Namespace, labelPodUID: pod.UID,
			},
		},
		info: map[string]string{"info": info},
	})
}

func (f *fakeRuntime) addSandbox(id string, sb *fakeSandbox) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sandboxes[id] = sb
}

func (f *fakeRuntime) remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sandboxes, id)
}

func (f *fakeRuntime) failNext(method string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = n
}

func (f *fakeRuntime) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// call records a call, and returns the error it is to fail with.
func (f *fakeRuntime) call(method string) error {
	f.calls[method]++
	if f.fail[method] > 0 {
		f.fail[method]--
		return status.Error(codes.Unavailable, "injected failure")
	}
	return nil
}

func (f *fakeRuntime) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call(methodVersion); err != nil {
		return nil, err
	}
	return &runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: "fake", RuntimeVersion: "1.0", RuntimeApiVersion: "v1"}, nil
}

func (f *fakeRuntime) ListPodSandbox(context.Context, *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer func() {
		select {
		case f.listed <- struct{}{}:
		default:
		}
	}()
	if err := f.call(methodList); err != nil {
		return nil, err
	}
	resp := &runtimeapi.ListPodSandboxResponse{}
	for _, sb := range f.sandboxes {
		resp.Items = append(resp.Items, sb.item)
	}
	return resp, nil
}

func (f *fakeRuntime) PodSandboxStatus(_ context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call(methodStatus); err != nil {
		return nil, err
	}
	sb, ok := f.sandboxes[req.GetPodSandboxId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "sandbox %q not found", req.GetPodSandboxId())
	}
	network := runtimeapi.NamespaceMode_POD
	if sb.hostNetwork {
		network = runtimeapi.NamespaceMode_NODE
	}
	resp := &runtimeapi.PodSandboxStatusResponse{Status: &runtimeapi.PodSandboxStatus{
		Id: sb.item.GetId(), Metadata: sb.item.GetMetadata(), State: sb.item.GetState(),
		Linux: &runtimeapi.LinuxPodSandboxStatus{Namespaces: &runtimeapi.Namespace{
			Options: &runtimeapi.NamespaceOption{Network: network},
		}},
	}}
	if req.GetVerbose() {
		resp.Info = sb.info
	}
	return resp, nil
}

// fakeNamespaces stands in for nsfs: plain files in a directory of the
// test's play the namespaces' bind mounts, and their inodes the
// namespaces' identities. A file removed is a namespace gone.
type fakeNamespaces struct {
	dir string
	fs  *nsfs
}

func newFakeNamespaces(t *testing.T) *fakeNamespaces {
	t.Helper()
	dir := t.TempDir()
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	return &fakeNamespaces{dir: dir, fs: &nsfs{dev: st.Dev, host: make(map[uint64]bool), proc: filepath.Join(dir, "proc")}}
}

// add creates a namespace file, and returns its path and inode.
func (n *fakeNamespaces) add(t *testing.T, name string) (string, uint64) {
	t.Helper()
	path := filepath.Join(n.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return path, st.Ino
}

// addProcess creates /proc/PID/ns/net under the fake proc root.
func (n *fakeNamespaces) addProcess(t *testing.T, pid int) uint64 {
	t.Helper()
	_, ino := n.add(t, filepath.Join("proc", itoa(pid), "ns", "net"))
	return ino
}

func itoa(n int) string {
	return strconv.Itoa(n)
}
