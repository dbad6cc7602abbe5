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
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// detailWait bounds waits for the exporter to show what was done: the test
// checks what it shows, not how fast, and ip(8) itself can wait seconds for
// the RTNL lock while other tests burst.
const detailWait = 20 * time.Second

// TestE2ELinkDetail runs the exporter with --links.detail on two namespaces
// whose links have the same names: one exporter with room for every series,
// one whose limit leaves some out.
func TestE2ELinkDetail(t *testing.T) {
	t.Parallel()
	testns.RequireRoot(t)
	const retention = 3 * time.Second
	ns1, ns2 := testns.Add(t), testns.Add(t)
	common := append([]string{"--links.detail", "--links.detail.link-exclude=lo", "--netns.retention=" + retention.String()}, dirOnly...)
	wide := startExporter(t, append([]string{"--links.detail.netns-include=" + ns1 + "|" + ns2}, common...)...)
	// ns1 will hold br0, va and vb: 15 series, of which 12 hold two links.
	capped := startExporter(t, append([]string{"--links.detail.netns-include=" + ns1, "--links.detail.max-series=12"}, common...)...)

	testns.IPBatch(t, ns1, []string{
		"link add br0 type bridge",
		"link add va type veth peer name vb",
		"link set va master br0",
		"link set va up",
		"link set vb up",
	})
	testns.IPBatch(t, ns2, []string{"link add va type veth peer name vb", "link set va up", "link set vb up"})

	link := func(ns, name string, kv ...string) map[string]string {
		return labels(append([]string{"netns", ns, "interface", name}, kv...)...)
	}
	wide.waitMetrics(detailWait, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_interface_info", link(ns1, "va", "kind", "veth", "master", "br0", "operstate", "up"), 1)
		c.want("netlink_interface_info", link(ns1, "br0", "kind", "bridge", "master", ""), 1)
		c.want("netlink_interface_info", link(ns2, "va", "kind", "veth", "master", "", "operstate", "up"), 1)
		for _, ns := range []string{ns1, ns2} {
			c.want("netlink_interface_up", link(ns, "va"), 1)
			c.want("netlink_interface_carrier", link(ns, "va"), 1)
			c.want("netlink_interface_carrier_changes_total", link(ns, "va", "direction", "up"), 1)
			c.want("netlink_interface_carrier_changes_total", link(ns, "va", "direction", "down"), 0)
			if s := m.Series(link(ns, "lo")); len(s) != 0 {
				c.errs = append(c.errs, fmt.Errorf("lo is excluded, but has series %v", s))
			}
		}
		c.want("netlink_interface_series_limit", nil, 10000)
		c.want("netlink_interface_series_dropped", nil, 0)
		if n := len(m.Series(labels("interface", "va"))); n != 10 {
			c.errs = append(c.errs, fmt.Errorf("%d series of the two va, want 10: other namespaces are not included", n))
		}
		return c.err()
	})

	// The peer's toggles are va's carrier transitions, in ns1 only.
	testns.IPBatch(t, ns1, []string{"link set vb down", "link set vb up"})
	wide.waitMetrics(detailWait, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_interface_carrier_changes_total", link(ns1, "va", "direction", "up"), 2)
		c.want("netlink_interface_carrier_changes_total", link(ns1, "va", "direction", "down"), 1)
		c.want("netlink_interface_carrier_changes_total", link(ns2, "va", "direction", "down"), 0)
		return c.err()
	})

	capped.waitMetrics(detailWait, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_interface_series_limit", nil, 12)
		c.want("netlink_interface_series_dropped", nil, 5)
		if n := len(interfaceSeries(m, labels("netns", ns1))); n != 10 {
			c.errs = append(c.errs, fmt.Errorf("%d series of %s, want the 10 of two links", n, ns1))
		}
		return c.err()
	})

	// Deleting va deletes vb: both keep their series, with the time of
	// their deletion, for the retention.
	testns.IP(t, "-n", ns1, "link", "del", "va")
	deleted := time.Now()
	m, _ := wide.waitMetrics(detailWait, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		for _, name := range []string{"va", "vb"} {
			c.want("netlink_interface_info", link(ns1, name, "kind", "veth"), 1)
			c.want("netlink_interface_up", link(ns1, name), 0)
			if _, ok := m.Value("netlink_interface_deleted_timestamp_seconds", link(ns1, name)); !ok {
				c.errs = append(c.errs, fmt.Errorf("%s in %s: no deletion timestamp", name, ns1))
			}
		}
		return c.err()
	})
	if ts, _ := m.Value("netlink_interface_deleted_timestamp_seconds", link(ns1, "va")); time.Unix(int64(ts), 0).Before(deleted.Add(-time.Minute)) {
		t.Errorf("va deleted at %v, want about %v", time.Unix(int64(ts), 0), deleted)
	}
	wide.waitMetrics(retention+detailWait, 50*time.Millisecond, func(m harness.Metrics) error {
		if s := append(m.Series(link(ns1, "va")), m.Series(link(ns1, "vb"))...); len(s) != 0 {
			return fmt.Errorf("deleted links still have series %v", s)
		}
		if _, ok := m.Value("netlink_interface_info", link(ns2, "va")); !ok {
			return fmt.Errorf("va of %s lost its series with va of %s", ns2, ns1)
		}
		return nil
	})

	// br0 alone fits the limit once the deleted links are forgotten.
	capped.waitMetrics(retention+detailWait, 50*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_interface_series_dropped", nil, 0)
		return c.err()
	})
	logs := capped.proc.Output()
	over := regexp.MustCompile(`msg="Per-link series over their limit[^"]*" limit=12 dropped=\d+`)
	under := regexp.MustCompile(`msg="Per-link series back under their limit" limit=12 series=5`)
	if n, m := len(over.FindAllString(logs, -1)), len(under.FindAllString(logs, -1)); n != 1 || m != 1 {
		t.Errorf("the log says %d times that the limit is hit and %d that it is not, want once each:\n%s", n, m, grepLines(logs, "Per-link"))
	}
}

// interfaceSeries lists the per-link series that have the labels.
func interfaceSeries(m harness.Metrics, labels map[string]string) []string {
	var out []string
	for _, s := range m.Series(labels) {
		if strings.HasPrefix(s, "netlink_interface_") {
			out = append(out, s)
		}
	}
	return out
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for l := range strings.Lines(s) {
		if strings.Contains(l, sub) {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return strings.Join(out, "\n")
}
