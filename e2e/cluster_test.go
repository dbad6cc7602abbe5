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
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// daemonSetFile is the shipped DaemonSet, whose arguments
// TestE2EClusterBudget runs the exporter with.
const daemonSetFile = "../deploy/kubernetes/daemonset.yaml"

// seriesBudget is the spec's bound on the series of the exporter's own
// (go_, process_ and promhttp_ aside) on a node with 110 pods.
const seriesBudget = 200

// daemonSetArgs returns the exporter's arguments in the shipped DaemonSet,
// but --web.listen-address, which the harness sets. The file lists them
// one a line under args:, which is all this reads.
func daemonSetArgs(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(daemonSetFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var args []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "args:":
			in = true
		case !in || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "- --"):
			if a := strings.TrimPrefix(line, "- "); !strings.HasPrefix(a, "--web.listen-address") {
				args = append(args, a)
			}
		default:
			in = false
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(args) == 0 {
		t.Fatalf("%s: no args", daemonSetFile)
	}
	return args
}

// addPods makes n "pods" as a CNI bridge plugin does: each a namespace with
// lo up and an eth0 whose veth peer in the host is on the bridge cni0. It
// returns the namespaces' names.
func addPods(t *testing.T, n int) []string {
	t.Helper()
	names := make([]string, n)
	var host []string
	for i := range names {
		names[i] = testns.Add(t)
		veth := fmt.Sprintf("veth%08x", uint32(time.Now().UnixNano())+uint32(i))
		host = append(host,
			fmt.Sprintf("link add %s type veth peer name eth0 netns %s", veth, names[i]),
			fmt.Sprintf("link set %s master cni0 up", veth))
	}
	testns.IPBatch(t, "", host)
	for _, ns := range names {
		testns.IPBatch(t, ns, []string{"link set lo up", "link set eth0 up"})
	}
	return names
}

// TestE2EClusterBudget runs the exporter with the shipped DaemonSet's
// arguments on a node of 110 pods, 20 of which are then replaced, and
// checks the spec's budget: at most 200 series of the exporter's own, and
// counts that add up to what happened. It runs isolated, since it counts
// the host's links and every namespace's.
func TestE2EClusterBudget(t *testing.T) {
	t.Parallel()
	testns.RequireRoot(t)
	if !testns.Isolate(t) {
		return
	}
	const pods, replaced = 110, 20
	testns.IP(t, "link", "set", "lo", "up")
	testns.IP(t, "link", "add", "cni0", "type", "bridge")
	testns.IP(t, "link", "set", "cni0", "up")
	e := startExporter(t, daemonSetArgs(t)...)

	names := addPods(t, pods)
	e.waitMetrics(eventually, 50*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_netns_watched", labels("source", "dir"), pods)
		return c.err()
	})
	for _, ns := range names[:replaced] {
		testns.Del(t, ns)
	}
	addPods(t, replaced)

	made, died := float64(pods+replaced), float64(replaced)
	m, _ := e.waitMetrics(eventually, 100*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_netns_watched", labels("source", "dir"), pods)
		// Each pod made an eth0 and a lo; the replaced ones' died with
		// their namespaces, which took their host ends along.
		for _, kind := range []string{"veth", "device"} {
			c.want("netlink_link_creations_total", labels("netns", "aggregate-dir", "kind", kind), made)
			c.want("netlink_link_deletions_total", labels("netns", "aggregate-dir", "kind", kind), died)
		}
		c.want("netlink_link_creations_total", labels("netns", "host", "kind", "veth"), made)
		c.want("netlink_link_deletions_total", labels("netns", "host", "kind", "veth"), died)
		c.want("netlink_links", labels("netns", "host", "kind", "veth", "operstate", "up"), pods)
		if v, _ := m.Sum("netlink_links", labels("netns", "aggregate-dir", "kind", "veth")); v != pods {
			c.errs = append(c.errs, fmt.Errorf("netlink_links{netns=aggregate-dir,kind=veth} sum to %v, want %d", v, pods))
		}
		return c.err()
	})

	own, byFamily := ownSeries(m)
	t.Logf("%d series of the exporter's own with %d pods and %d replaced: %v", own, pods, replaced, byFamily)
	if own > seriesBudget {
		t.Errorf("%d series of the exporter's own, want at most %d", own, seriesBudget)
	}
	if _, n := m.Sum("netlink_netns_info", nil); n != 1 {
		t.Errorf("%d netlink_netns_info series, want the host's alone", n)
	}
	if _, n := m.Sum("netlink_netns_recent_link_changes", nil); n != 5 {
		t.Errorf("%d netlink_netns_recent_link_changes series, want the default 5", n)
	}
}

// ownSeries counts the series of a scrape that the exporter serves of its
// own, and lists them by family, largest first.
func ownSeries(m harness.Metrics) (int, []string) {
	total := 0
	var families []string
	for name, ss := range m {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "promhttp_") {
			continue
		}
		total += len(ss)
		families = append(families, fmt.Sprintf("%s=%d", name, len(ss)))
	}
	sort.Slice(families, func(i, j int) bool { return families[i] < families[j] })
	return total, families
}
