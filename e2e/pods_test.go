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

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/testcri"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
	"github.com/netlink-exporter/netlink_exporter/pods"
)

// podTimeout bounds what a pod sandbox takes: containerd runs one in about
// a second here, longer while other tests load the machine.
const podTimeout = time.Minute

// runPod runs a pod sandbox through CRI, as kubelet does.
func runPod(t *testing.T, rt *testcri.Runtime, cfg testcri.PodConfig) testcri.Pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), podTimeout)
	defer cancel()
	p, err := rt.RunPod(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// netnsOf is the name the exporter gives a sandbox's namespace: the file
// name of its bind mount in /run/netns.
func netnsOf(p testcri.Pod) string { return filepath.Base(p.NetnsPath) }

// wantPod checks that the pod's namespace is joined to its name.
func (c *checker) wantPod(p testcri.Pod) {
	c.want("netlink_netns_pod_info", labels("netns", netnsOf(p), "namespace", p.Namespace, "pod", p.Name, "uid", p.UID), 1)
}

// TestE2EPods runs pod sandboxes on a real containerd, as kubelet would, and
// checks that /metrics names each pod's namespace by its pod and Kubernetes
// namespace; that a hostNetwork pod is tied to nothing, the host least of
// all; and that a removed pod's namespace is counted dead and stays joined to
// its name for the retention.
func TestE2EPods(t *testing.T) {
	t.Parallel()
	rt := testcri.New(t)
	// Pods from before the exporter's start, found by its first list.
	web := runPod(t, rt, testcri.PodConfig{Name: "web-0", Namespace: "shop"})
	agent := runPod(t, rt, testcri.PodConfig{Name: "node-agent-x7k2p", Namespace: "kube-system", HostNetwork: true})

	e := startExporter(t, append([]string{"--pods.runtime-endpoint=unix://" + rt.Socket, "--netns.retention=10m"}, dirOnly...)...)
	e.waitMetrics(podTimeout, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.wantPod(web)
		c.want("netlink_pods_runtime_info", labels("endpoint", rt.Socket, "runtime", "containerd"), 1)
		return c.err()
	})

	// A pod started later is named as soon as its namespace appears and
	// the runtime lists it: the resync is 30 s away.
	api := runPod(t, rt, testcri.PodConfig{Name: "api-0", Namespace: "backend"})
	_, took := e.waitMetrics(podTimeout, 5*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.wantPod(api)
		return c.err()
	})
	t.Logf("pod named on /metrics %v after RunPodSandbox returned (spec: 1s; timed in netlink-bench)", took.Round(time.Millisecond))

	m := e.scrape()
	for _, s := range m["netlink_netns_pod_info"] {
		switch {
		case s.Labels["pod"] == agent.Name:
			t.Errorf("the hostNetwork pod is tied to a namespace: %v", s.Labels)
		case s.Labels["netns"] == "host":
			t.Errorf("the host's namespace is tied to a pod: %v", s.Labels)
		}
	}
	if n := len(m["netlink_netns_pod_info"]); n != 2 {
		t.Errorf("%d netlink_netns_pod_info series, want 2 (web-0, api-0): %v", n, m["netlink_netns_pod_info"])
	}
	if errs, _ := m.Sum("netlink_pods_cri_errors_total", nil); errs != 0 {
		t.Errorf("%v CRI errors", errs)
	}
	removals, _ := m.Value("netlink_netns_removals_total", nil)

	// The pod is deleted: its namespace dies, and its counts stay joined
	// to its name.
	ctx, cancel := context.WithTimeout(t.Context(), podTimeout)
	defer cancel()
	if err := rt.RemovePod(ctx, web.ID); err != nil {
		t.Fatal(err)
	}
	e.waitMetrics(podTimeout, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		if _, n := m.Sum("netlink_netns_info", labels("netns", netnsOf(web))); n != 0 {
			c.errs = append(c.errs, fmt.Errorf("%s is still alive", netnsOf(web)))
		}
		if got, _ := m.Value("netlink_netns_removals_total", nil); got < removals+1 {
			c.errs = append(c.errs, fmt.Errorf("netlink_netns_removals_total = %v, want at least %v", got, removals+1))
		}
		if d, n := m.Sum("netlink_link_deletions_total", labels("netns", netnsOf(web))); n == 0 || d == 0 {
			c.errs = append(c.errs, fmt.Errorf("no deletions counted in %s", netnsOf(web)))
		}
		c.wantPod(web)
		c.wantPod(api)
		return c.err()
	})

	// With --pods.labels, the per-namespace series carry the pod too.
	labelled := startExporter(t, append([]string{"--pods.runtime-endpoint=" + rt.Socket, "--pods.labels"}, dirOnly...)...)
	labelled.waitMetrics(podTimeout, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.wantPod(api)
		c.want("netlink_netns_info", labels("netns", netnsOf(api), "namespace", api.Namespace, "pod", api.Name), 1)
		c.want("netlink_links", labels("netns", netnsOf(api), "namespace", api.Namespace, "pod", api.Name, "kind", "veth"), 1)
		c.want("netlink_netns_info", labels("netns", "host", "namespace", "", "pod", ""), 1)
		return c.err()
	})
}

// TestE2EPodsAutodetect runs containerd on its default socket, where an
// exporter with no pod flags finds it. It does not run in parallel: nothing
// else may listen there, and the Docker test's dockerd would use it.
func TestE2EPodsAutodetect(t *testing.T) {
	rt := testcri.NewAt(t, testcri.DefaultSocket)
	p := runPod(t, rt, testcri.PodConfig{Name: "web-0", Namespace: "shop"})
	e := startExporter(t, dirOnly...)
	e.waitMetrics(podTimeout, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.wantPod(p)
		c.want("netlink_pods_runtime_info", labels("endpoint", testcri.DefaultSocket, "runtime", "containerd"), 1)
		return c.err()
	})
}

// TestE2EPodsNoRuntime checks that an exporter that finds no runtime says
// so once and serves everything else.
func TestE2EPodsNoRuntime(t *testing.T) {
	t.Parallel()
	for _, s := range pods.DefaultEndpoints() {
		if _, err := os.Stat(s); err == nil {
			t.Skipf("%s exists: a runtime may listen there", s)
		}
	}
	e := startExporter(t, append([]string{"--pods.resync-interval=100ms"}, dirOnly...)...)
	e.waitMetrics(podTimeout, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_netns_info", labels("netns", "host"), 1)
		c.want("netlink_pods_cri_requests_total", labels("method", "ListPodSandbox"), 0)
		if _, n := m.Sum("netlink_pods_runtime_info", nil); n != 0 {
			c.errs = append(c.errs, fmt.Errorf("netlink_pods_runtime_info with no runtime"))
		}
		return c.err()
	})
	// Several tries later, it has still said so once.
	time.Sleep(500 * time.Millisecond)
	if n := strings.Count(e.proc.Output(), "No CRI runtime found"); n != 1 {
		t.Errorf("logged %d times that no runtime was found, want once:\n%s", n, e.proc.Output())
	}
}

// TestE2EPodsDashboard runs pods and a Prometheus that scrapes the
// exporter, and checks the dashboard's pod variables and the panels of its
// Pods row: each lists the pod, and each query returns data; then the same
// of its Aggregates row, with an exporter in cluster mode.
func TestE2EPodsDashboard(t *testing.T) {
	t.Parallel()
	promBin := requireTool(t, "prometheus")
	rt := testcri.New(t)
	web := runPod(t, rt, testcri.PodConfig{Name: "web-0", Namespace: "shop"})
	runPod(t, rt, testcri.PodConfig{Name: "api-0", Namespace: "backend"})
	e := startExporter(t, append([]string{"--pods.runtime-endpoint=" + rt.Socket}, dirOnly...)...)
	e.waitMetrics(podTimeout, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.wantPod(web)
		return c.err()
	})
	p := startPrometheus(t, promBin, promOptions{name: "pods", target: e.proc.Addr, rulesFile: emptyRules(t)})
	// Churn in the pod's namespace, and two scrapes after it, so that the
	// rates have samples to go on.
	testns.IP(t, "-n", netnsOf(web), "link", "add", "br0", "type", "bridge")
	p.scrapedAfter(t, time.Now())
	p.scrapedAfter(t, time.Now())
	checkDashboard(t, p, selection{instance: e.proc.Addr, netns: []string{netnsOf(web)}, k8sNamespace: web.Namespace, pod: web.Name},
		func(row string) bool { return row == "Pods" })

	// The Aggregates row, on an exporter in cluster mode: its view of the
	// namespaces that changed last names the pod. The view is large enough
	// that the namespaces of the tests running in parallel leave the pod's
	// in it.
	agg := startExporter(t, append([]string{"--netns.aggregate", "--netns.aggregate.recent=1000", "--pods.runtime-endpoint=" + rt.Socket}, dirOnly...)...)
	testns.IP(t, "-n", netnsOf(web), "link", "add", "br1", "type", "bridge")
	agg.waitMetrics(podTimeout, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_netns_recent_link_changes", labels("netns", netnsOf(web), "namespace", web.Namespace, "pod", web.Name), 1)
		return c.err()
	})
	pa := startPrometheus(t, promBin, promOptions{name: "aggregates", target: agg.proc.Addr, rulesFile: emptyRules(t)})
	pa.scrapedAfter(t, time.Now())
	checkDashboard(t, pa, selection{instance: agg.proc.Addr}, func(row string) bool { return row == "Aggregates" })
}

// emptyRules writes a rules file with no rule, for a Prometheus that only
// scrapes.
func emptyRules(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(file, []byte("groups: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
