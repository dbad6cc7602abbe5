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

package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The detail stage's own exporters keep dead pods' links this long: long
// enough to scrape them after the bulk delete, short enough to see them go.
const detailRetention = 10 * time.Second

// interfaceMetrics are the per-link families of --links.detail, which the
// stage counts; netlink_interface_series_* are not per link.
var interfaceMetrics = []string{
	"netlink_interface_info", "netlink_interface_up", "netlink_interface_carrier",
	"netlink_interface_carrier_changes_total", "netlink_interface_deleted_timestamp_seconds",
}

// podLines is a host-side batch of a pod-like layout: each pod a namespace
// with lo and an eth0 veth whose peer is in the host namespace, enslaved to
// one host bridge, as a CNI bridge plugin makes them. The pod ends stay
// down: a link's state does not change its number of series.
func podLines(bridge, hostPrefix string, pods []string) []string {
	lines := []string{"link add " + bridge + " type bridge", "link set " + bridge + " up"}
	for i, ns := range pods {
		host := fmt.Sprintf("%s%d", hostPrefix, i)
		lines = append(lines,
			"netns add "+ns,
			fmt.Sprintf("link add %s type veth peer name eth0 netns %s", host, ns),
			fmt.Sprintf("link set %s master %s", host, bridge),
			"link set "+host+" up")
	}
	return lines
}

// A detailSample is what one exporter costs at one moment.
type detailSample struct {
	series, perLink int
	body            int
	rss, hwm        int64
	liveMB          int
	scrape, cpu     time.Duration // median scrape, and CPU per scrape
}

// detail measures --links.detail on cfg.detailPods pods: two exporters of
// its own, one with per-link series and one without, watch the same pods,
// so that the difference is the detail's.
func (b *bench) detail(ctx context.Context, bin string) error {
	pods := b.cfg.detailPods
	if pods == 0 {
		return nil
	}
	nsPrefix, hostPrefix := b.names.netnsPrefix("d"), b.names.linkPrefix("d")
	bridge := hostPrefix + "br"
	retention := "--netns.retention=" + detailRetention.String()
	off, err := startExporter(ctx, bin, b.cfg.timeout, retention)
	if err != nil {
		return err
	}
	defer b.stopOwn(off, "detail-off")
	// No limit in practice: the stage counts every series there is.
	on, err := startExporter(ctx, bin, b.cfg.timeout, retention, "--links.detail",
		"--links.detail.max-series=100000000", "--links.detail.netns-include=host|"+regexp.QuoteMeta(nsPrefix)+".*")
	if err != nil {
		return err
	}
	defer b.stopOwn(on, "detail-on")

	names := make([]string, pods)
	for i := range names {
		names[i] = b.names.netns("d", i)
	}
	f, err := writeBatch(b.dir, "pods-add", podLines(bridge, hostPrefix, names))
	if err != nil {
		return err
	}
	if err := ipBatch(ctx, f); err != nil {
		return err
	}
	mine := func(l labels) bool {
		return strings.HasPrefix(l["netns"], nsPrefix) ||
			l["netns"] == "host" && strings.HasPrefix(l["interface"], hostPrefix)
	}
	// Three links a pod, and the bridge.
	want := 3*pods + 1
	for _, e := range []*exporter{off, on} {
		if _, _, err := e.waitFor(ctx, 250*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
			c, _ := s.sum(mCreations, netnsPrefix(nsPrefix))
			return int(c) >= 2*pods
		}); err != nil {
			return fmt.Errorf("pods not all counted: %w", err)
		}
	}
	_, n := b.waitSeries(ctx, on, "netlink_interface_info", mine, want)
	b.rep.check(exact, n == want, fmt.Sprintf("detail: links of %d pods (lo, eth0, host veth) and the bridge", pods),
		fmt.Sprintf("%d/%d", n, want), "exact")

	var samples [2]detailSample
	for i, e := range []*exporter{off, on} {
		if samples[i], err = b.sampleDetail(ctx, e, mine); err != nil {
			return err
		}
	}
	b.reportDetail(pods, samples)

	// Deleted pods keep their links' series, one more each, for the
	// retention.
	f, err = writeBatch(b.dir, "pods-del", delLines(names))
	if err != nil {
		return err
	}
	if err := ipBatch(ctx, f); err != nil {
		return err
	}
	wantDeleted := 3 * pods
	s, deleted := b.waitSeries(ctx, on, "netlink_interface_deleted_timestamp_seconds", mine, wantDeleted)
	b.rep.check(exact, deleted == wantDeleted, fmt.Sprintf("detail: links of %d deleted pods kept for the retention", pods),
		fmt.Sprintf("%d/%d, %d per-link series", deleted, wantDeleted, perLink(s, mine)), "exact")

	start := time.Now()
	s, _, err = on.waitFor(ctx, 250*time.Millisecond, detailRetention+b.cfg.timeout, func(s scrape) bool {
		return perLink(s, mine) <= 5
	})
	if err != nil {
		b.logf("detail forgetting: %v", err)
	}
	b.rep.check(exact, perLink(s, mine) == 5, fmt.Sprintf("detail: deleted links forgotten after --netns.retention=%s", detailRetention),
		fmt.Sprintf("%d series left (the bridge's) %s after the deaths were seen", perLink(s, mine), fmtDur(time.Since(start))), "5")
	return nil
}

// waitSeries waits until e has at least want series of name that keep
// selects, and returns the last scrape and how many it had.
func (b *bench) waitSeries(ctx context.Context, e *exporter, name string, keep func(labels) bool, want int) (scrape, int) {
	s, _, err := e.waitFor(ctx, 250*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		_, n := s.sum(name, keep)
		return n >= want
	})
	if err != nil {
		b.logf("waiting for %d %s: %v", want, name, err)
	}
	_, n := s.sum(name, keep)
	return s, n
}

func (b *bench) stopOwn(e *exporter, name string) {
	if err := e.Stop(stopTimeout); err != nil {
		b.rep.failed(name+" exporter exits cleanly on SIGTERM", fmt.Errorf("%w: %s", err, e.logTail()))
	}
}

// perLink counts the per-link series that keep selects.
func perLink(s scrape, keep func(labels) bool) int {
	total := 0
	for _, name := range interfaceMetrics {
		_, n := s.sum(name, keep)
		total += n
	}
	return total
}

// sampleDetail measures an exporter's memory and scrapes.
func (b *bench) sampleDetail(ctx context.Context, e *exporter, keep func(labels) bool) (detailSample, error) {
	var d detailSample
	s, err := e.scrape(ctx)
	if err != nil {
		return d, err
	}
	d.series, d.perLink, d.body = s.series(), perLink(s, keep), len(s.body)
	c0, err := readCPU(e.PID())
	if err != nil {
		return d, err
	}
	var times []time.Duration
	for range scrapes {
		t, _, err := e.timedGet(ctx, false)
		if err != nil {
			return d, err
		}
		times = append(times, t)
	}
	c1, err := readCPU(e.PID())
	if err != nil {
		return d, err
	}
	d.scrape, d.cpu = median(times), cpuSince(c0, c1)/scrapes
	mem, err := readMem(e.PID())
	if err != nil {
		return d, err
	}
	d.rss, d.hwm = mem.rss, mem.hwm
	d.liveMB, err = e.liveHeap(ctx)
	return d, err
}

func (b *bench) reportDetail(pods int, s [2]detailSample) {
	var rows [][]string
	for i, name := range []string{"without --links.detail", "with --links.detail"} {
		x := s[i]
		rows = append(rows, []string{name, strconv.Itoa(x.series), strconv.Itoa(x.perLink), fmtBytes(int64(x.body)),
			fmt.Sprintf("%s (peak %s)", fmtBytes(x.rss), fmtBytes(x.hwm)), fmt.Sprintf("%d MiB", x.liveMB),
			fmtDur(x.scrape), fmtDur(x.cpu)})
	}
	b.rep.table(fmt.Sprintf("Per-link detail: %d pods (a namespace with lo and eth0, its veth peer on a host bridge), two exporters watching them;\n"+
		"per-link = netlink_interface_* series of these pods and the bridge; scrape = median of %d plain scrapes", pods, scrapes),
		[]string{"exporter", "series", "per-link", "body", "RSS", "heap live", "scrape", "CPU/scrape"}, rows)
	per1000 := float64(s[1].perLink-5) * 1000 / float64(pods)
	b.rep.figure("detail: per-link series per 1,000 pods", fmt.Sprintf("%.0f (%.0f a pod)", per1000, per1000/1000))
	b.rep.figure("detail: added per 1,000 pods (series, RSS, scrape time)", fmt.Sprintf("%+.0f series, %s, %s",
		float64(s[1].series-s[0].series)*1000/float64(pods),
		signedBytes((s[1].rss-s[0].rss)*1000/int64(pods)),
		signedDur((s[1].scrape-s[0].scrape)*1000/time.Duration(pods))))
}

func signedBytes(n int64) string {
	if n < 0 {
		return "-" + fmtBytes(-n)
	}
	return "+" + fmtBytes(n)
}

func signedDur(d time.Duration) string {
	if d < 0 {
		return "-" + fmtDur(-d)
	}
	return "+" + fmtDur(d)
}
