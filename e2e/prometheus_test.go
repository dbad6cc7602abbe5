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
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

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

// selector returns the PromQL selector of the series, with extra labels
// that the way to Prometheus added.
func (c counterCheck) selector(extra map[string]string) string {
	all := maps.Clone(c.labels)
	maps.Copy(all, extra)
	ms := make([]string, 0, len(all))
	for _, k := range slices.Sorted(maps.Keys(all)) {
		ms = append(ms, fmt.Sprintf("%s=%q", k, all[k]))
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

// TestE2EPrometheus runs the exporter and, beside it, each way a Prometheus
// gets its samples (startPipelines): Debian's Prometheus 2.42 and
// Prometheus 3 scraping it every second, Prometheus 3 with created
// timestamps, and an agent that forwards to a central Prometheus. It makes
// link churn in two namespaces, and a namespace born inside the test's
// window, and checks under each, through Prometheus's HTTP API, that
// increase() and rate() of the counters are exactly what was done, that
// where created timestamps are ingested the newborn namespace is counted
// from zero, that every rule of rulesFile is healthy and the flap alert
// fires (and reaches a webhook through an Alertmanager), and that every
// query of the Grafana dashboard returns data. The pipelines share the
// exporter and the churn, and run their checks as subtests.
//
// It runs isolated (testns.Isolate): five scrapers of an exporter that saw
// every other test's namespaces would load the host for nothing.
func TestE2EPrometheus(t *testing.T) {
	t.Parallel()
	testns.RequireRoot(t)
	if !testns.Isolate(t) {
		return
	}
	// The isolated network namespace starts with lo down.
	testns.IP(t, "link", "set", "lo", "up")
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
	pipelines := startPipelines(t, target, rules, ams)
	running := withServers(t, pipelines)

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
	// starts inside it (the newborn namespace's aside, where created
	// timestamps tell it). A veth's carrier follows its peer's admin
	// state: fa in a flaps when fb in b is set down and up. One flap now
	// makes the flag series that count it; one move makes the moves series.
	ipA("link", "add", "fa", "type", "veth", "peer", "name", "fb", "netns", b)
	ipA("link", "set", "fa", "up")
	testns.IP(t, "-n", b, "link", "set", "fb", "up")
	flap(t, b, "fb", 1)
	ipA("link", "add", "mv0", "type", "ifb") // bridges cannot move
	ipA("link", "add", "mv1", "type", "ifb")
	ipA("link", "set", "mv0", "netns", b)

	// Carrier bases: a veth's counts at first sight are its baseline;
	// setting both ends up is one up each, the flap one down and one up.
	counters := []counterCheck{
		{"netlink_link_creations_total", inNetns(a, "veth"), 1, 2 * vethPairs},
		{"netlink_link_deletions_total", inNetns(a, "veth"), 0, 2 * pairsDelete},
		// A move is neither a creation nor a deletion.
		{"netlink_link_creations_total", inNetns(a, "ifb"), 2, 0},
		{"netlink_link_deletions_total", inNetns(a, "ifb"), 0, 0},
		{"netlink_link_creations_total", inNetns(b, "ifb"), 0, 0},
		{"netlink_link_moves_total", inNetns(a, "ifb", "direction", "out"), 1, 1},
		{"netlink_link_moves_total", inNetns(b, "ifb", "direction", "in"), 1, 1},
		{"netlink_link_carrier_changes_total", inNetns(a, "veth", "direction", "down"), 1, flaps},
		{"netlink_link_carrier_changes_total", inNetns(a, "veth", "direction", "up"), 2, flaps},
		{"netlink_link_carrier_changes_total", inNetns(b, "veth", "direction", "down"), 1, flaps},
		{"netlink_link_carrier_changes_total", inNetns(b, "veth", "direction", "up"), 2, flaps},
		{"netlink_link_flag_changes_total", inNetns(b, "veth", "flag", "up", "change", "cleared"), 1, flaps},
		{"netlink_link_flag_changes_total", inNetns(b, "veth", "flag", "up", "change", "set"), 2, flaps},
	}
	waitCounters(e, counters, false)
	start := time.Now()
	for _, pl := range running {
		pl.t0 = pl.p.scrapedAfter(t, start)
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
	born := bear(t, e)
	churned := time.Now()

	waitCounters(e, counters, true)
	waitCounters(e, born, true)
	end := time.Now()
	for _, pl := range running {
		pl.t1 = pl.p.scrapedAfter(t, end)
	}

	for _, pl := range pipelines {
		t.Run(pl.name, func(t *testing.T) {
			if pl.p == nil {
				t.Skip(pl.skip)
			}
			checkIncreases(t, pl, counters)
			checkBirth(t, pl, born)
			checkRulesHealthy(t, pl.p)
			waitFlapAlert(t, pl.p, a, churned)
			t.Run("Alertmanager", func(t *testing.T) {
				if amBin == "" {
					t.Skip(amMissing)
				}
				waitFlapNotification(t, pl.p, hook, a, pl.name)
			})
			// The Pods row needs pods: TestE2EPodsDashboard checks it.
			checkDashboard(t, pl.p, selection{instance: target, netns: []string{a, b}}, func(row string) bool { return row != "Pods" && row != "Aggregates" })
		})
	}
}

// inNetns returns the labels of a series of kind in netns, and kv.
func inNetns(netns, kind string, kv ...string) map[string]string {
	return labels(append([]string{"netns", netns, "kind", kind}, kv...)...)
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

// bear makes a namespace once the window has begun and the exporter
// watches it, with its loopback counted, then a veth pair in it, one end set
// up. It returns the namespace's counters: none of them existed before the
// window, and each appears with its first count in it.
func bear(t *testing.T, e *exporter) []counterCheck {
	t.Helper()
	ns := testns.Add(t)
	e.waitMetrics(5*time.Second, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_netns_info", labels("netns", ns), 1)
		c.want("netlink_link_creations_total", inNetns(ns, "device"), 1)
		return c.err()
	})
	testns.IP(t, "-n", ns, "link", "add", "x", "type", "veth", "peer", "name", "y")
	testns.IP(t, "-n", ns, "link", "set", "x", "up")
	return []counterCheck{
		{"netlink_link_creations_total", inNetns(ns, "device"), 0, 1},
		{"netlink_link_creations_total", inNetns(ns, "veth"), 0, 2},
		{"netlink_link_flag_changes_total", inNetns(ns, "veth", "flag", "up", "change", "set"), 0, 1},
	}
}

// checkIncreases checks each counter at the window's start, and increase()
// and rate() of each over the window from the scrape at t0 to the scrape at
// t1.
//
// increase() extrapolates from the first and last samples in its range to
// the range's ends, unless they lie on them. A range of exactly t1-t0
// evaluated at t1 has its last sample at t1. Prometheus 2 selects a range
// with both ends closed: its first sample is at t0, nothing is extrapolated,
// and the answer is exact. Prometheus 3 leaves the start open: the sample
// at t0 falls out and the rest is extrapolated. There, the anchored
// modifier takes the sample at t0 as the range's start and extrapolates
// nothing, and the answer is exact again.
func checkIncreases(t *testing.T, pl *pipeline, cs []counterCheck) {
	t.Helper()
	p := pl.p
	window := pl.window()
	r := fmt.Sprintf("[%dms]", window.Milliseconds())
	if pl.leftOpen {
		r += " anchored"
	}
	for _, c := range cs {
		sel := pl.selector(c)
		if got := p.value(t, sel, pl.t0); got != c.base {
			t.Errorf("%s = %v at the window's start, want %v", sel, got, c.base)
		}
		if got := p.value(t, "increase("+sel+r+")", pl.t1); got != c.delta {
			offset := fmt.Sprintf("%dms", window.Milliseconds())
			raw := p.value(t, sel+" - "+sel+" offset "+offset, pl.t1)
			why := "the counter is wrong in Prometheus"
			if raw == c.delta {
				why = "the counter is right, so increase() left out or extrapolated past the sample at the window's start"
			}
			t.Errorf("increase(%s%s) = %v, want %v; raw difference %v: %s", sel, r, got, c.delta, raw, why)
		}
		want := c.delta / window.Seconds()
		if got := p.value(t, "rate("+sel+r+")", pl.t1); math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Errorf("rate(%s%s) = %v, want %v", sel, r, got, want)
		}
	}
	t.Logf("increase() and rate() exact over a %v window", window)
}

// checkBirth checks the counters of the namespace born inside the window.
// Where created timestamps are ingested, Prometheus stored a zero before
// each one's first value, and increase() over the window, which began
// before the namespace, is exactly each counter's value: the first links
// are counted. Elsewhere it sees only what a counter gained after its first
// scrape, extrapolated, or nothing for a series scraped once with its
// value; the test logs it.
func checkBirth(t *testing.T, pl *pipeline, born []counterCheck) {
	t.Helper()
	r := fmt.Sprintf("[%dms]", pl.window().Milliseconds())
	for _, c := range born {
		q := "increase(" + pl.selector(c) + r + ")"
		if !pl.created {
			v, err := pl.p.Query(t.Context(), q, pl.t1)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s = %v, of %v made: without created timestamps", q, v, c.delta)
			continue
		}
		if got := pl.p.value(t, q, pl.t1); got != c.delta {
			t.Errorf("%s = %v, want %v: the first value of a series born inside the window was not counted from zero", q, got, c.delta)
		}
	}
	if pl.created {
		t.Logf("a namespace born inside the window counted from zero")
	}
}

// ruleLine matches a rule of a rules file.
var ruleLine = regexp.MustCompile(`(?m)^\s*- (record|alert):`)

// checkRulesHealthy waits until Prometheus has evaluated every rule of
// rulesFile, and checks that every evaluation succeeded.
func checkRulesHealthy(t *testing.T, p *promServer) {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	want := len(ruleLine.FindAll(b, -1))
	deadline := time.Now().Add(10 * time.Second)
	for {
		rules, err := p.Rules(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var waiting, bad []string
		for _, r := range rules {
			switch r.Health {
			case "ok":
			case "unknown":
				waiting = append(waiting, r.Name)
			default:
				bad = append(bad, fmt.Sprintf("%s (%s): %s", r.Name, r.Health, r.LastError))
			}
		}
		switch {
		case len(bad) > 0:
			t.Errorf("rules not healthy: %s", strings.Join(bad, "; "))
			return
		case len(rules) != want:
			t.Fatalf("%d rules loaded, want the %d of %s", len(rules), want, rulesFile)
		case len(waiting) == 0:
			t.Logf("all %d rules healthy", len(rules))
			return
		case time.Now().After(deadline):
			t.Fatalf("rules not evaluated 10s after the window: %v", waiting)
		}
		time.Sleep(200 * time.Millisecond)
	}
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
