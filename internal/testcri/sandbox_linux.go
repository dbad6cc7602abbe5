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

package testcri

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// A PodConfig describes a pod whose sandbox RunPod creates. Empty fields
// take random values: a name "pod-<hex>", namespace "default", a uid.
type PodConfig struct {
	Name, Namespace, UID string
	// HostNetwork shares the host's network namespace, as a hostNetwork
	// pod does.
	HostNetwork bool
}

// A Pod is a sandbox that RunPod created.
type Pod struct {
	// ID is the sandbox's id.
	ID                   string
	Name, Namespace, UID string
	HostNetwork          bool
	// NetnsPath is the bind mount of the sandbox's network namespace, as
	// the runtime's spec names it, or "" for a hostNetwork pod.
	NetnsPath string
}

// RunPod creates and starts a pod sandbox as kubelet does: metadata, the
// io.kubernetes.pod.* labels, and the namespace options.
func (r *Runtime) RunPod(ctx context.Context, cfg PodConfig) (Pod, error) {
	if cfg.Name == "" {
		cfg.Name = "pod-" + randomHex(3)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.UID == "" {
		cfg.UID = randomUID()
	}
	hostname := cfg.Name
	network := runtimeapi.NamespaceMode_POD
	if cfg.HostNetwork {
		// kubelet leaves the host's name to a pod in the host's UTS
		// namespace; runc refuses to set a name there.
		hostname, network = "", runtimeapi.NamespaceMode_NODE
	}
	resp, err := r.Client.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: cfg.Name, Namespace: cfg.Namespace, Uid: cfg.UID},
		Hostname:     hostname,
		LogDirectory: filepath.Join(r.Dir, "pods", cfg.Namespace+"_"+cfg.Name+"_"+cfg.UID),
		Labels: map[string]string{
			"io.kubernetes.pod.name":      cfg.Name,
			"io.kubernetes.pod.namespace": cfg.Namespace,
			"io.kubernetes.pod.uid":       cfg.UID,
		},
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
				NamespaceOptions: &runtimeapi.NamespaceOption{
					Network: network,
					Pid:     runtimeapi.NamespaceMode_CONTAINER,
					Ipc:     runtimeapi.NamespaceMode_POD,
				},
			},
		},
	}})
	if err != nil {
		return Pod{}, fmt.Errorf("testcri: run pod %s/%s: %w", cfg.Namespace, cfg.Name, err)
	}
	p := Pod{ID: resp.GetPodSandboxId(), Name: cfg.Name, Namespace: cfg.Namespace, UID: cfg.UID, HostNetwork: cfg.HostNetwork}
	r.mu.Lock()
	r.sandboxes[p.ID] = ""
	r.mu.Unlock()
	if !cfg.HostNetwork {
		if p.NetnsPath, err = r.netnsPath(ctx, p.ID); err != nil {
			return p, err
		}
		r.mu.Lock()
		r.sandboxes[p.ID] = p.NetnsPath
		r.mu.Unlock()
	}
	return p, nil
}

// netnsPath returns the path of a sandbox's network namespace from its
// verbose status, in containerd 1.6's layout.
func (r *Runtime) netnsPath(ctx context.Context, id string) (string, error) {
	resp, err := r.Client.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id, Verbose: true})
	if err != nil {
		return "", fmt.Errorf("testcri: status of %s: %w", id, err)
	}
	var info struct {
		RuntimeSpec struct {
			Linux struct {
				Namespaces []struct{ Type, Path string }
			}
		}
	}
	if err := json.Unmarshal([]byte(resp.GetInfo()["info"]), &info); err != nil {
		return "", fmt.Errorf("testcri: status of %s: %w", id, err)
	}
	for _, ns := range info.RuntimeSpec.Linux.Namespaces {
		if ns.Type == "network" && ns.Path != "" {
			return ns.Path, nil
		}
	}
	return "", fmt.Errorf("testcri: sandbox %s has no network namespace path", id)
}

// StopPod stops a sandbox: its process ends, and containerd tears its
// network namespace down.
func (r *Runtime) StopPod(ctx context.Context, id string) error {
	if _, err := r.Client.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
		return fmt.Errorf("testcri: stop %s: %w", id, err)
	}
	return nil
}

// RemovePod stops and removes a sandbox, as kubelet does for a deleted pod.
func (r *Runtime) RemovePod(ctx context.Context, id string) error {
	if err := r.StopPod(ctx, id); err != nil {
		return err
	}
	if _, err := r.Client.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil {
		return fmt.Errorf("testcri: remove %s: %w", id, err)
	}
	r.mu.Lock()
	delete(r.sandboxes, id)
	r.mu.Unlock()
	return nil
}

// Pid returns the pid of a sandbox's process, as ctr(1) reports its task:
// a way to the sandbox's namespace that does not go through CRI.
func (r *Runtime) Pid(ctx context.Context, id string) (int, error) {
	out, err := r.ctr(ctx, "tasks", "ls")
	if err != nil {
		return 0, fmt.Errorf("testcri: ctr tasks ls: %w: %s", err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		// TASK PID STATUS
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == id {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("testcri: sandbox %s has no task", id)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// randomUID returns a random uid in the form of a Kubernetes one.
func randomUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
