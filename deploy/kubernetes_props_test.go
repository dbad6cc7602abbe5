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
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)

const (
	kubeNamespace = "monitoring"
	metricsPort   = "metrics"
	healthyPath   = "/-/healthy"
	readyPath     = "/-/ready"
)

// renderOne renders the kustomization and returns its one DaemonSet,
// Service and ServiceMonitor, failing t if there are others.
func renderOne(t *testing.T) manifests {
	t.Helper()
	m := render(t)
	if len(m.daemonSets) != 1 || len(m.services) != 1 || len(m.serviceMonitors) != 1 {
		t.Fatalf("rendered %d DaemonSets, %d Services, %d ServiceMonitors; want one each",
			len(m.daemonSets), len(m.services), len(m.serviceMonitors))
	}
	for _, ns := range m.namespaces {
		if ns != kubeNamespace {
			t.Errorf("an object is in namespace %q, want %q", ns, kubeNamespace)
		}
	}
	return m
}

// exporterContainer returns the DaemonSet's one container.
func exporterContainer(t *testing.T, ds *appsv1.DaemonSet) corev1.Container {
	t.Helper()
	if n := len(ds.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("DaemonSet has %d containers, want 1", n)
	}
	return ds.Spec.Template.Spec.Containers[0]
}

func selects(t *testing.T, sel *metav1.LabelSelector, set map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatalf("selector %v: %v", sel, err)
	}
	return !s.Empty() && s.Matches(labels.Set(set))
}

// TestKubernetesDaemonSetPod checks what the exporter needs of its pod: the
// node's namespaces, and no privilege beyond its three capabilities.
func TestKubernetesDaemonSetPod(t *testing.T) {
	ds := renderOne(t).daemonSets[0]
	pod := ds.Spec.Template.Spec
	if !selects(t, ds.Spec.Selector, ds.Spec.Template.Labels) {
		t.Errorf("DaemonSet selector %v does not select its pods' labels %v", ds.Spec.Selector, ds.Spec.Template.Labels)
	}
	if !pod.HostNetwork || !pod.HostPID {
		t.Errorf("hostNetwork %v, hostPID %v; want both: the exporter watches the node's namespaces and processes", pod.HostNetwork, pod.HostPID)
	}
	if !slices.ContainsFunc(pod.Tolerations, func(tol corev1.Toleration) bool {
		return tol.Key == "" && tol.Operator == corev1.TolerationOpExists && tol.Effect == ""
	}) {
		t.Errorf("tolerations %v: want one that tolerates every taint, to run on every node", pod.Tolerations)
	}
	if seccomp := pod.SecurityContext; seccomp == nil || seccomp.SeccompProfile == nil ||
		seccomp.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod seccompProfile: want RuntimeDefault")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("automountServiceAccountToken: want false, the exporter talks to no API server")
	}

	c := exporterContainer(t, ds)
	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil {
		t.Fatal("container has no securityContext.capabilities")
	}
	var want []corev1.Capability
	for _, name := range exporterCaps(t) {
		want = append(want, corev1.Capability(strings.TrimPrefix(name, "CAP_")))
	}
	add := slices.Clone(sc.Capabilities.Add)
	slices.Sort(add)
	if !slices.Equal(add, want) {
		t.Errorf("capabilities.add %v, want exactly %v, the ones the exporter checks for", add, want)
	}
	if !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("capabilities.drop %v, want [ALL]", sc.Capabilities.Drop)
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"readOnlyRootFilesystem: true", sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem},
		{"allowPrivilegeEscalation: false", sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation},
		{"privileged unset or false", sc.Privileged == nil || !*sc.Privileged},
		// Kubernetes grants added capabilities to uid 0 only.
		{"runAsUser: 0", sc.RunAsUser != nil && *sc.RunAsUser == 0},
		{"a memory request and limit", !c.Resources.Requests.Memory().IsZero() && !c.Resources.Limits.Memory().IsZero()},
		{"a CPU request", !c.Resources.Requests.Cpu().IsZero()},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("container securityContext or resources: want %s", ch.what)
		}
	}
}

// TestKubernetesNetnsMounts checks that every directory the exporter is
// told to watch is the node's, read-only, with the node's later mounts
// propagated: "ip netns add" and CNI bind-mount each new namespace there.
func TestKubernetesNetnsMounts(t *testing.T) {
	ds := renderOne(t).daemonSets[0]
	c := exporterContainer(t, ds)
	var dirs []string
	for _, a := range c.Args {
		if d, ok := strings.CutPrefix(a, "--netns.dir="); ok {
			dirs = append(dirs, d)
		}
	}
	if !slices.Contains(dirs, "/run/netns") {
		t.Errorf("args %q do not watch /run/netns", c.Args)
	}
	volumes := make(map[string]corev1.Volume)
	for _, v := range ds.Spec.Template.Spec.Volumes {
		volumes[v.Name] = v
	}
	for _, dir := range dirs {
		i := slices.IndexFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == dir })
		if i < 0 {
			t.Errorf("--netns.dir=%s: no volume mounted there", dir)
			continue
		}
		vm := c.VolumeMounts[i]
		if p := vm.MountPropagation; p == nil || *p != corev1.MountPropagationHostToContainer {
			t.Errorf("mount %s: mountPropagation %s, want HostToContainer", dir, ptrString(p))
		}
		if !vm.ReadOnly {
			t.Errorf("mount %s: want readOnly", dir)
		}
		v, ok := volumes[vm.Name]
		if !ok || v.HostPath == nil || v.HostPath.Path != dir {
			t.Errorf("mount %s: volume %q is not hostPath %s", dir, vm.Name, dir)
		}
	}
}

// TestKubernetesAggregate checks that the DaemonSet serves aggregates
// (--netns.aggregate): per-namespace series would grow with the pods of
// every node, and a cluster's with its nodes times their pods.
func TestKubernetesAggregate(t *testing.T) {
	c := exporterContainer(t, renderOne(t).daemonSets[0])
	if !slices.Contains(c.Args, "--netns.aggregate") {
		t.Errorf("args %q, want --netns.aggregate", c.Args)
	}
	for _, a := range c.Args {
		if n, ok := strings.CutPrefix(a, "--netns.aggregate.recent="); ok && n != "0" {
			continue
		}
		if strings.HasPrefix(a, "--pods.labels") || a == "--links.detail" {
			t.Errorf("args %q: %s adds series per namespace or per link", c.Args, a)
		}
	}
}

// TestKubernetesProbes checks that the probes ask the metrics port, which
// the container declares: readiness asks /-/ready, which fails until the
// baseline is read; startup and liveness ask /-/healthy, which fails only
// where a restart would help, and never /-/ready: a baseline that waits
// minutes for the kernel's RTNL lock would get the pod restarted into the
// same wait.
func TestKubernetesProbes(t *testing.T) {
	c := exporterContainer(t, renderOne(t).daemonSets[0])
	i := slices.IndexFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == metricsPort })
	if i < 0 || c.Ports[i].ContainerPort != 9917 || c.Ports[i].Protocol != corev1.ProtocolTCP {
		t.Fatalf("container ports %v: want %s, TCP 9917", c.Ports, metricsPort)
	}
	probes := []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"startup", c.StartupProbe, healthyPath},
		{"liveness", c.LivenessProbe, healthyPath},
		{"readiness", c.ReadinessProbe, readyPath},
	}
	for _, p := range probes {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe: want an httpGet probe", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port != intstr.FromString(metricsPort) {
			t.Errorf("%s probe: GET %s on port %v, want %s on %s", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path, metricsPort)
		}
	}
	// Generous all the same: the exporter listens at once, but a node
	// that evicts its pods may be slow to run anything.
	if p := c.StartupProbe; p != nil {
		if d := time.Duration(p.PeriodSeconds*p.FailureThreshold) * time.Second; d < time.Minute {
			t.Errorf("startup probe gives up after %v (periodSeconds × failureThreshold), want a minute or more", d)
		}
	}
}

// TestKubernetesScrapePath checks that the ServiceMonitor selects the
// Service, the Service the DaemonSet's pods, and that both name the
// container's metrics port.
func TestKubernetesScrapePath(t *testing.T) {
	m := renderOne(t)
	ds, svc, sm := m.daemonSets[0], m.services[0], m.serviceMonitors[0]

	if !selects(t, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, ds.Spec.Template.Labels) {
		t.Errorf("Service selector %v does not select the pods' labels %v", svc.Spec.Selector, ds.Spec.Template.Labels)
	}
	i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == metricsPort })
	if i < 0 || svc.Spec.Ports[i].TargetPort != intstr.FromString(metricsPort) {
		t.Errorf("Service ports %v: want %s with targetPort %s, the container's port name", svc.Spec.Ports, metricsPort, metricsPort)
	}

	if !selects(t, &sm.Spec.Selector, svc.Labels) {
		t.Errorf("ServiceMonitor selector %v does not select the Service's labels %v", sm.Spec.Selector, svc.Labels)
	}
	if ns := sm.Spec.NamespaceSelector; !ns.Any && len(ns.MatchNames) > 0 && !slices.Contains(ns.MatchNames, svc.Namespace) {
		t.Errorf("ServiceMonitor namespaceSelector %v leaves out the Service's namespace %s", ns, svc.Namespace)
	}
	if len(sm.Spec.Endpoints) == 0 {
		t.Fatal("ServiceMonitor has no endpoints")
	}
	for _, ep := range sm.Spec.Endpoints {
		if ep.Port != metricsPort {
			t.Errorf("ServiceMonitor endpoint port %q, want the Service's port name %s", ep.Port, metricsPort)
		}
		interval, err1 := time.ParseDuration(string(ep.Interval))
		timeout, err2 := time.ParseDuration(string(ep.ScrapeTimeout))
		if err1 != nil || err2 != nil || timeout > interval {
			t.Errorf("ServiceMonitor interval %q, scrapeTimeout %q: want durations, the timeout not above the interval", ep.Interval, ep.ScrapeTimeout)
		}
		// The exporter's namespace and pod labels name the pod of a
		// namespace: kept as exposed (TestServiceMonitorLabels shows what
		// a sample keeps).
		if !ep.HonorLabels {
			t.Errorf("ServiceMonitor endpoint %s: honorLabels false, want true", ep.Port)
		}
		// A label that changes at every rollout would restart the alert
		// rules' 1-day baselines and break their offsets; the Operator's
		// namespace would name the exporter's own on series of no pod.
		for _, label := range []string{"pod", "namespace", "container", "endpoint", "service"} {
			if !slices.ContainsFunc(ep.RelabelConfigs, func(rc monitoringv1.RelabelConfig) bool {
				re, err := regexp.Compile("^(?:" + rc.Regex + ")$")
				return strings.EqualFold(rc.Action, "labeldrop") && err == nil && re.MatchString(label)
			}) {
				t.Errorf("ServiceMonitor endpoint %s keeps the %s label, which changes at every rollout", ep.Port, label)
			}
		}
	}
}

func ptrString[T ~string](p *T) string {
	if p == nil {
		return "unset"
	}
	return string(*p)
}
