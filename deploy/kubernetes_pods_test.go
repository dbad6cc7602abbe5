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

package deploy_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// criSockets are the node's CRI sockets that the DaemonSet must reach:
// containerd's, CRI-O's (/var/run/crio/crio.sock) and cri-dockerd's
// (/var/run/cri-dockerd.sock), with /var/run as the /run it links to.
var criSockets = []string{"/run/containerd/containerd.sock", "/run/crio/crio.sock", "/run/cri-dockerd.sock"}

const withoutPodsComponent = "kubernetes/components/without-pods"

// podEndpoints returns the --pods.runtime-endpoint values of a container.
func podEndpoints(c corev1.Container) []string {
	var eps []string
	for _, a := range c.Args {
		if e, ok := strings.CutPrefix(a, "--pods.runtime-endpoint="); ok {
			eps = append(eps, strings.TrimPrefix(e, "unix://"))
		}
	}
	return eps
}

// hostPathOf returns the node's path behind a path in the container, the
// volume that it is under, and its mount.
func hostPathOf(ds *appsv1.DaemonSet, c corev1.Container, path string) (string, corev1.Volume, corev1.VolumeMount, bool) {
	var best corev1.VolumeMount
	for _, vm := range c.VolumeMounts {
		if (path == vm.MountPath || strings.HasPrefix(path, vm.MountPath+"/")) && len(vm.MountPath) > len(best.MountPath) {
			best = vm
		}
	}
	i := slices.IndexFunc(ds.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == best.Name })
	if best.Name == "" || i < 0 || ds.Spec.Template.Spec.Volumes[i].HostPath == nil {
		return "", corev1.Volume{}, best, false
	}
	v := ds.Spec.Template.Spec.Volumes[i]
	return filepath.Join(v.HostPath.Path, strings.TrimPrefix(path, best.MountPath)), v, best, true
}

// TestKubernetesCRIMounts checks that the exporter reaches the node's CRI
// socket, whichever of the three runtimes the node has: through a
// read-only mount of a directory that every node has (a socket's own
// directory would be created on nodes without that runtime, or fail the
// pod there), which follows the node's later mounts (the namespaces'
// bind mounts under /run/netns must leave it, or they would be pinned), and
// never of the socket file, which would go stale at the runtime's restart.
func TestKubernetesCRIMounts(t *testing.T) {
	ds := renderOne(t).daemonSets[0]
	c := exporterContainer(t, ds)
	eps := podEndpoints(c)
	var reached []string
	for _, ep := range eps {
		host, v, vm, ok := hostPathOf(ds, c, ep)
		if !ok {
			t.Errorf("--pods.runtime-endpoint=%s: under no hostPath mount", ep)
			continue
		}
		reached = append(reached, host)
		switch {
		case !vm.ReadOnly:
			t.Errorf("mount %s: want readOnly", vm.MountPath)
		case vm.MountPropagation == nil || *vm.MountPropagation != corev1.MountPropagationHostToContainer:
			t.Errorf("mount %s: mountPropagation %s, want HostToContainer", vm.MountPath, ptrString(vm.MountPropagation))
		case v.HostPath.Type == nil || *v.HostPath.Type != corev1.HostPathDirectory:
			t.Errorf("volume %s: hostPath type %s, want Directory: no other type leaves a missing directory alone", v.Name, ptrString(v.HostPath.Type))
		case v.HostPath.Path != "/run":
			t.Errorf("volume %s: hostPath %s, want /run, the parent of every runtime's socket, which every node has", v.Name, v.HostPath.Path)
		case vm.MountPath == ep:
			t.Errorf("--pods.runtime-endpoint=%s: the socket file itself is mounted", ep)
		}
	}
	if !slices.Equal(reached, criSockets) {
		t.Errorf("the endpoints reach %q on the node, want %q in that order", reached, criSockets)
	}
}

// TestKubernetesWithoutPods renders the base with the without-pods
// component, as an overlay of a user would, and checks that it has neither
// the mount of the node's /run nor a runtime endpoint, and says --no-pods;
// and that the rest of the container's arguments are the base's.
func TestKubernetesWithoutPods(t *testing.T) {
	base := exporterContainer(t, renderOne(t).daemonSets[0])
	overlay := t.TempDir()
	rel := func(p string) string {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := filepath.Rel(overlay, abs)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + rel(kubeDir) +
		"\ncomponents:\n  - " + rel(withoutPodsComponent) + "\n"
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	m := renderDir(t, overlay)
	if len(m.daemonSets) != 1 {
		t.Fatalf("rendered %d DaemonSets, want 1", len(m.daemonSets))
	}
	ds := m.daemonSets[0]
	c := exporterContainer(t, ds)

	var want []string
	for _, a := range base.Args {
		if !strings.HasPrefix(a, "--pods.") {
			want = append(want, a)
		}
	}
	want = append(want, "--no-pods")
	if !slices.Equal(c.Args, want) {
		t.Errorf("args %q, want the base's without the pod flags, with --no-pods: %q", c.Args, want)
	}
	for _, v := range ds.Spec.Template.Spec.Volumes {
		if v.HostPath != nil && v.HostPath.Path == "/run" {
			t.Errorf("volume %s still mounts the node's /run", v.Name)
		}
	}
	for _, vm := range c.VolumeMounts {
		if _, _, _, ok := hostPathOf(ds, c, vm.MountPath); !ok {
			t.Errorf("mount %s has no volume", vm.MountPath)
		}
	}
	if n, nb := len(c.VolumeMounts), len(base.VolumeMounts); n != nb-1 {
		t.Errorf("%d mounts, want the base's %d less one", n, nb)
	}
}
