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
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// rulesFile holds the product's alert rules, which TestE2EPrometheus loads
// into a real Prometheus.
const rulesFile = "../deploy/prometheus/netlink_exporter.rules.yml"

// The flap alert of rulesFile, which TestE2EPrometheus makes fire.
const (
	flapGroup = "netlink_exporter.alerts"
	flapAlert = "NetlinkLinkFlapping"
)

// What TestE2EPrometheus does in its window. flaps is well above any sane
// flap threshold, so that the alert fires whatever its threshold.
const (
	vethPairs   = 5
	pairsDelete = 3
	flaps       = 20
)

// A counterCheck is a counter series that TestE2EPrometheus follows: its
// value before the window, and how much the window adds.
type counterCheck struct {
	name        string
	labels      map[string]string
	base, delta float64
}

// selector returns the PromQL selector of the series.
func (c counterCheck) selector() string {
	keys := make([]string, 0, len(c.labels))
	for k := range c.labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ms := make([]string, len(keys))
	for i, k := range keys {
		ms[i] = fmt.Sprintf("%s=%q", k, c.labels[k])
	}
	return c.name + "{" + strings.Join(ms, ", ") + "}"
}

// waitCounters waits until the exporter serves every counter at its base
// (after false) or base+delta (after true).
//
// The timeout is long because the kernel tells of a veth's carrier change
// caused by its peer only through linkwatch, which needs the RTNL lock:
// tests of other packages that destroy namespaces full of links hold it
// for seconds. The exporter cannot count what the kernel has not sent.
func waitCounters(e *exporter, cs []counterCheck, after bool) {
	e.t.Helper()
	e.waitMetrics(30*time.Second, 20*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		for _, cc := range cs {
			want := cc.base
			if after {
				want += cc.delta
			}
			c.want(cc.name, cc.labels, want)
		}
		return c.err()
	})
}

// TestE2EPrometheus runs the exporter and a real Prometheus that scrapes it
// every second. It makes link churn in two namespaces and checks, through
// Prometheus's HTTP API, that increase() and rate() of the counters are
// exactly what was done, that the flap alert of rulesFile fires, and that
// every query of the Grafana dashboard returns data. An Alertmanager
// delivers the alert to a webhook.
func TestE2EPrometheus(t *testing.T) {
	t.Parallel()
	testns.RequireRoot(t)
	promBin := requireTool(t, "prometheus")
	rules := flapRulesForTest(t)
	e := startExporter(t, dirOnly...)
	target := e.proc.Addr
	// The Alertmanager delivers the flap alert to the webhook, as it
	// would to a pager. Without one (not in CI), the rest still runs.
	hook := startWebhook(t)
	var ams []string
	// Debian's name, then upstream's.
	amBin, amMissing := lookTool(t, "prometheus-alertmanager", "alertmanager")
	if amBin != "" {
		am := startAlertmanager(t, amBin, hook.srv.URL)
		ams = append(ams, strings.TrimPrefix(am.URL, "http://"))
	}
	p := startPrometheus(t, promBin, target, rules, ams...)

	a, b := testns.Add(t), testns.Add(t)
	// Generous timeouts: this test measures no latency, and other tests
	// may hold the kernel's RTNL lock for seconds.
	e.waitMetrics(eventually, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_netns_info", labels("netns", a), 1)
		c.want("netlink_netns_info", labels("netns", b), 1)
		return c.err()
	})
	ipA := func(args ...string) { testns.IP(t, append([]string{"-n", a}, args...)...) }

	// The baseline makes every series that the window checks exist before
	// the window: increase() cannot know the first value of a series that
	// starts inside it. A veth's carrier follows its peer's admin state:
	// fa in a flaps when fb in b is set down and up. One flap now makes
	// the flag series that count it; one move makes the moves series.
	ipA("link", "add", "fa", "type", "veth", "peer", "name", "fb", "netns", b)
	ipA("link", "set", "fa", "up")
	testns.IP(t, "-n", b, "link", "set", "fb", "up")
	flap(t, b, "fb", 1)
	ipA("link", "add", "mv0", "type", "ifb") // bridges cannot move
	ipA("link", "add", "mv1", "type", "ifb")
	ipA("link", "set", "mv0", "netns", b)

	in := func(ns, kind string, kv ...string) map[string]string {
		return labels(append([]string{"netns", ns, "kind", kind}, kv...)...)
	}
	// Carrier bases: a veth's counts at first sight are its baseline;
	// setting both ends up is one up each, the flap one down and one up.
	counters := []counterCheck{
		{"netlink_link_creations_total", in(a, "veth"), 1, 2 * vethPairs},
		{"netlink_link_deletions_total", in(a, "veth"), 0, 2 * pairsDelete},
		// A move is neither a creation nor a deletion.
		{"netlink_link_creations_total", in(a, "ifb"), 2, 0},
		{"netlink_link_deletions_total", in(a, "ifb"), 0, 0},
		{"netlink_link_creations_total", in(b, "ifb"), 0, 0},
		{"netlink_link_moves_total", in(a, "ifb", "direction", "out"), 1, 1},
		{"netlink_link_moves_total", in(b, "ifb", "direction", "in"), 1, 1},
		{"netlink_link_carrier_changes_total", in(a, "veth", "direction", "down"), 1, flaps},
		{"netlink_link_carrier_changes_total", in(a, "veth", "direction", "up"), 2, flaps},
		{"netlink_link_carrier_changes_total", in(b, "veth", "direction", "down"), 1, flaps},
		{"netlink_link_carrier_changes_total", in(b, "veth", "direction", "up"), 2, flaps},
		{"netlink_link_flag_changes_total", in(b, "veth", "flag", "up", "change", "cleared"), 1, flaps},
		{"netlink_link_flag_changes_total", in(b, "veth", "flag", "up", "change", "set"), 2, flaps},
	}
	waitCounters(e, counters, false)
	t0 := p.scrapedAfter(time.Now())
	for _, c := range counters {
		if got := p.value(c.selector(), t0); got != c.base {
			t.Fatalf("%s = %v in Prometheus at the window's start, want %v", c.selector(), got, c.base)
		}
	}

	var adds, dels []string
	for i := range vethPairs {
		adds = append(adds, fmt.Sprintf("link add c%d type veth peer name d%d", i, i))
	}
	for i := range pairsDelete {
		dels = append(dels, fmt.Sprintf("link del c%d", i))
	}
	testns.IPBatch(t, a, adds)
	testns.IPBatch(t, a, dels)
	ipA("link", "set", "mv1", "netns", b)
	flap(t, b, "fb", flaps)
	churned := time.Now()

	waitCounters(e, counters, true)
	t1 := p.scrapedAfter(time.Now())
	checkIncreases(t, p, counters, t0, t1)

	waitFlapAlert(t, p, a, churned)
	t.Run("Alertmanager", func(t *testing.T) {
		if amBin == "" {
			t.Skip(amMissing)
		}
		waitFlapNotification(t, p, hook, a)
	})
	checkDashboard(t, p, target, a, b)
}

// flap sets link down and up n times, in one ip -batch in netns.
func flap(t *testing.T, netns, link string, n int) {
	t.Helper()
	lines := make([]string, 0, 2*n)
	for range n {
		lines = append(lines, "link set "+link+" down", "link set "+link+" up")
	}
	testns.IPBatch(t, netns, lines)
}

// checkIncreases checks increase() and rate() of each counter over the
// window from the scrape at t0 to the scrape at t1.
//
// increase() extrapolates from the first and last samples in its range to
// the range's ends, unless they lie on them. A range of exactly t1-t0
// evaluated at t1 has its first sample at t0 and its last at t1 (Prometheus
// 2 selects a range with both ends closed; Debian's is 2.42), so nothing is
// extrapolated and the answer is exact. (Prometheus 3 leaves the start open:
// there, the sample at t0 falls out, and the check fails saying so.)
func checkIncreases(t *testing.T, p *promServer, cs []counterCheck, t0, t1 model.Time) {
	t.Helper()
	window := time.Duration(t1-t0) * time.Millisecond
	r := fmt.Sprintf("[%dms]", window.Milliseconds())
	for _, c := range cs {
		sel := c.selector()
		if got := p.value("increase("+sel+r+")", t1); got != c.delta {
			raw := p.value(sel+" - "+sel+" offset "+strings.Trim(r, "[]"), t1)
			why := "the counter is wrong in Prometheus"
			if raw == c.delta {
				why = "the counter is right, so increase() left out or extrapolated past the sample at the window's start"
			}
			t.Errorf("increase(%s%s) = %v, want %v; raw difference %v: %s", sel, r, got, c.delta, raw, why)
		}
		want := c.delta / window.Seconds()
		if got := p.value("rate("+sel+r+")", t1); math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Errorf("rate(%s%s) = %v, want %v", sel, r, got, want)
		}
	}
	t.Logf("increase() and rate() exact over a %v window", window)
}

// forLine matches the duration of a rule's for: line.
var forLine = regexp.MustCompile(`(?m)^([ \t]*)for:[ \t]*\S+`)

// flapRulesForTest returns a copy of rulesFile made to fire on this host.
// The flap alert watches links of kind device, but no physical link here
// can flap: lo never changes carrier, and a test must not touch the host's
// NICs. A veth's carrier follows its peer, so the copy watches veth links.
// Its for: durations, which keep the alerts quiet in production, would
// outlast the test: they become 1s.
func flapRulesForTest(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatalf("the alert rules are part of the product: %v", err)
	}
	rules := string(b)
	if !strings.Contains(rules, `kind="device"`) {
		t.Fatalf(`%s: no kind="device" to point at veth links`, rulesFile)
	}
	rules = strings.ReplaceAll(rules, `kind="device"`, `kind="veth"`)
	if !forLine.MatchString(rules) {
		t.Fatalf("%s: no for: line to shorten", rulesFile)
	}
	rules = forLine.ReplaceAllString(rules, "${1}for: 1s")
	file := t.TempDir() + "/rules.yml"
	if err := os.WriteFile(file, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// waitFlapAlert waits until the flap alert fires for the namespace netns.
func waitFlapAlert(t *testing.T, p *promServer, netns string, since time.Time) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rule, loaded, err := p.AlertRule(t.Context(), flapGroup, flapAlert)
		if err != nil {
			t.Fatal(err)
		}
		if !loaded {
			t.Fatalf("no alerting rule %s in group %s of %s", flapAlert, flapGroup, rulesFile)
		}
		for _, al := range rule.Alerts {
			if al.Labels["netns"] == netns && al.State == "firing" {
				t.Logf("%s firing for netns %s %v after the flaps: %v", flapAlert, netns,
					time.Since(since).Round(100*time.Millisecond), al.Labels)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not firing for netns %s 20s after the flaps; its alerts: %+v", flapAlert, netns, rule.Alerts)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
