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
	"time"
)

// Bars of the spec's "Cheap" line at scale, and the "never pins" bar.
const (
	rssBar    = 24 << 20
	scrapeBar = 15 * time.Millisecond
	// peakRSSBar bounds the peak RSS, scrapes and the parallel burst
	// included.
	peakRSSBar = 40 << 20
	pinBar     = time.Second
	scrapes    = 20
)

// scale has the exporter watch cfg.scaleNS namespaces of cfg.scaleLinks
// links, measures its memory and scrapes, then deletes them and checks that
// none was pinned and that the exporter's fds are back where they were.
func (b *bench) scale(ctx context.Context, bin string) error {
	e := b.exp
	m, want := b.cfg.scaleNS, b.cfg.scaleNS*b.cfg.scaleLinks
	set := b.newScaleSet("s")
	mine := netnsPrefix(b.names.netnsPrefix("s"))
	s, err := e.scrape(ctx)
	if err != nil {
		return err
	}
	removals := s.total(mRemovals)
	fds0, err := e.idleFDs()
	if err != nil {
		return err
	}

	start := time.Now()
	batch, err := b.createScaleSet(ctx, set)
	if err != nil {
		return err
	}
	if _, _, err := e.waitFor(ctx, 250*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		_, n := s.sum(mNetnsInfo, mine)
		return n >= m
	}); err != nil {
		return fmt.Errorf("namespaces not all watched: %w", err)
	}
	discovered := time.Since(start)
	b.rep.figure(fmt.Sprintf("discovery of %d namespaces created by one ip -batch", m),
		fmt.Sprintf("all watched %s after it ended (it took %s)", fmtDur(discovered-batch), fmtDur(batch)))

	if _, _, err := e.waitFor(ctx, 250*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		c, _ := s.sum(mCreations, mine)
		l, _ := s.sum(mLinks, mine)
		return int(c) >= want && int(l) >= want
	}); err != nil {
		b.logf("scale counts: %v", err)
	}
	if err := sleep(ctx, time.Second); err != nil {
		return err
	}
	if s, err = e.scrape(ctx); err != nil {
		return err
	}
	created, _ := s.sum(mCreations, mine)
	present, _ := s.sum(mLinks, mine)
	b.rep.check(exact, int(created) == want, fmt.Sprintf("scale creations (%d ns × %d links, lo included)", m, b.cfg.scaleLinks),
		fmt.Sprintf("%d/%d", int(created), want), "exact")
	b.rep.check(exact, int(present) == want, "scale netlink_links total", fmt.Sprintf("%d/%d", int(present), want), "exact")

	if err := b.measureScrapes(ctx, m); err != nil {
		return err
	}
	if err := b.measureAggregate(ctx, bin, m); err != nil {
		return err
	}
	if err := b.pin(ctx, set, "x", "y"); err != nil {
		return err
	}
	if err := b.deleteScale(ctx, set, removals); err != nil {
		return err
	}

	fds1, err := e.waitFDs(ctx, fds0)
	if err != nil {
		return err
	}
	b.rep.check(exact, fds1 == fds0, fmt.Sprintf("exporter fds after %d ns deleted", m),
		fmt.Sprintf("%s → %s", fds0, fds1), "back to start")
	return nil
}

// scrapeFigures are what measureScrapes reads of one exporter.
type scrapeFigures struct {
	idle, mem memSample
	plain, gz []time.Duration
	gzSize    int
	cpu       time.Duration // per scrape, plain and gzip alike
	last      scrape
	liveMiB   int
}

// measure scrapes e plainly and gzipped, scrapes times each, and reads its
// memory before and after.
func measure(ctx context.Context, e *exporter) (scrapeFigures, error) {
	var f scrapeFigures
	var err error
	if f.idle, err = readMem(e.PID()); err != nil {
		return f, err
	}
	if f.last, err = e.scrape(ctx); err != nil {
		return f, err
	}
	c0, err := readCPU(e.PID())
	if err != nil {
		return f, err
	}
	for range scrapes {
		d, _, err := e.timedGet(ctx, false)
		if err != nil {
			return f, err
		}
		f.plain = append(f.plain, d)
	}
	for range scrapes {
		d, n, err := e.timedGet(ctx, true)
		if err != nil {
			return f, err
		}
		f.gz, f.gzSize = append(f.gz, d), n
	}
	c1, err := readCPU(e.PID())
	if err != nil {
		return f, err
	}
	f.cpu = cpuSince(c0, c1) / time.Duration(2*scrapes)
	if f.mem, err = readMem(e.PID()); err != nil {
		return f, err
	}
	f.liveMiB, err = e.liveHeap(ctx)
	return f, err
}

func worst(d []time.Duration) time.Duration {
	w := d[0]
	for _, x := range d {
		w = max(w, x)
	}
	return w
}

// measureScrapes reports memory, series, body size and scrape times with
// the scale set watched.
func (b *bench) measureScrapes(ctx context.Context, m int) error {
	f, err := measure(ctx, b.exp)
	if err != nil {
		return err
	}
	rss := max(f.idle.rss, f.mem.rss)
	b.rep.check(perf, rss < rssBar, fmt.Sprintf("RSS watching %d namespaces", m),
		fmt.Sprintf("%s (idle %s)", fmtBytes(rss), fmtBytes(f.idle.rss)), "< "+fmtBytes(rssBar))
	// The scale stage runs first, so the peak is the peak at this scale.
	b.rep.check(perf, f.mem.hwm < peakRSSBar, "peak RSS so far, scrapes included (VmHWM)", fmtBytes(f.mem.hwm), "< "+fmtBytes(peakRSSBar))
	b.rep.figure("Go heap live after GC at this scale", fmt.Sprintf("%d MiB", f.liveMiB))
	b.rep.figure("exporter CPU per scrape (plain and gzip)", fmtDur(f.cpu))
	b.rep.figure("/metrics at scale", fmt.Sprintf("%d series, %s (%s gzipped)", f.last.series(), fmtBytes(int64(len(f.last.body))), fmtBytes(int64(f.gzSize))))
	// The bar is the default scrape's; gzip, which Prometheus asks for,
	// is shown beside it.
	b.rep.check(perf, median(f.plain) < scrapeBar, fmt.Sprintf("scrape time, plain (median of %d)", len(f.plain)),
		fmt.Sprintf("%s (max %s)", fmtDur(median(f.plain)), fmtDur(worst(f.plain))), "< "+fmtDur(scrapeBar))
	b.rep.figure(fmt.Sprintf("scrape time, gzip (median of %d)", len(f.gz)),
		fmt.Sprintf("%s (max %s)", fmtDur(median(f.gz)), fmtDur(worst(f.gz))))
	return nil
}

// measureAggregate starts a second exporter in cluster mode
// (--netns.aggregate), waits until it watches the m namespaces of the scale
// set and the others of the directory, and reports its series, memory and
// scrape times beside the per-namespace figures above: reports, not bars.
func (b *bench) measureAggregate(ctx context.Context, bin string, m int) error {
	s, err := b.exp.scrape(ctx)
	if err != nil {
		return err
	}
	_, watched := s.sum(mNetnsInfo, func(labels) bool { return true })
	e, err := startExporter(ctx, bin, b.cfg.timeout, "--netns.aggregate")
	if err != nil {
		return err
	}
	defer func() {
		if err := e.Stop(stopTimeout); err != nil {
			b.rep.failed("cluster-mode exporter exits cleanly on SIGTERM", err)
		}
	}()
	if _, _, err := e.waitFor(ctx, 250*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		return int(s.total(mNetnsWatched)) >= watched
	}); err != nil {
		return fmt.Errorf("cluster mode: namespaces not all watched: %w", err)
	}
	f, err := measure(ctx, e)
	if err != nil {
		return err
	}
	b.rep.figure(fmt.Sprintf("cluster mode (--netns.aggregate) watching %d namespaces", m),
		fmt.Sprintf("%d series, %s; RSS %s (peak %s); scrape %s plain, %s gzip (medians of %d)",
			f.last.series(), fmtBytes(int64(len(f.last.body))), fmtBytes(max(f.idle.rss, f.mem.rss)), fmtBytes(f.mem.hwm),
			fmtDur(median(f.plain)), fmtDur(median(f.gz)), scrapes))
	return nil
}

// deleteScale deletes the pinned single namespaces one at a time, then the
// rest in bulk, and reports how fast the host ends went and the deaths
// were counted.
func (b *bench) deleteScale(ctx context.Context, set scaleSet, removals float64) error {
	e := b.exp
	var worst time.Duration
	for k, ns := range set.single {
		start := time.Now()
		if err := ip(ctx, "netns", "del", ns); err != nil {
			return err
		}
		if err := b.waitLinksGone(ctx, b.names.link("x", k), b.cfg.timeout); err != nil {
			return fmt.Errorf("namespace %s pinned: %w", ns, err)
		}
		worst = max(worst, time.Since(start))
	}
	if len(set.single) > 0 {
		// Each host end went (waitLinksGone fails the stage otherwise):
		// nothing was pinned. How fast is a time, and a time is a
		// performance bar.
		b.rep.check(perf, worst <= pinBar, fmt.Sprintf("pin: veth host end gone after ip netns del (%d ns, one by one)", len(set.single)),
			"max "+fmtDur(worst), "≤ "+fmtDur(pinBar))
	}

	c0, err := readCPU(e.PID())
	if err != nil {
		return err
	}
	start := time.Now()
	gone, err := b.bulkDelete(ctx, set, "y")
	if err != nil {
		return fmt.Errorf("bulk-deleted namespaces pinned: %w", err)
	}
	c1, err := readCPU(e.PID())
	if err != nil {
		return err
	}
	b.rep.figure("exporter CPU while the kernel tore the bulk down", fmtDur(cpuSince(c0, c1)))
	if _, _, err := e.waitFor(ctx, 100*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		return s.watched(netnsPrefix(b.names.netnsPrefix("s"))) == 0
	}); err != nil {
		b.logf("scale deaths: %v", err)
	}
	seen := time.Since(start)
	if len(set.bulk) > 0 {
		limit := "gone"
		ok := true
		if b.baseline > 0 {
			limit = fmt.Sprintf("≤ %s without exporter + %s", fmtDur(b.baseline), fmtDur(pinBar))
			ok = gone <= b.baseline+pinBar
		}
		b.rep.check(perf, ok, fmt.Sprintf("pin: bulk delete of %d ns, pinned host ends gone", len(set.all)-len(set.single)),
			fmtDur(gone), limit)
	}
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	s, err := e.scrape(ctx)
	if err != nil {
		return err
	}
	// Namespaces of other processes on the host may die meanwhile, so the
	// global counter may grow by more; each of ours is checked by name.
	n, alive := int(s.total(mRemovals)-removals), s.watched(netnsPrefix(b.names.netnsPrefix("s")))
	b.rep.check(exact, n >= len(set.all) && alive == 0, "netlink_netns_removals_total increase",
		fmt.Sprintf("%d (%d of ours still watched; all seen dying %s after the bulk delete began)", n, alive, fmtDur(seen)),
		fmt.Sprintf("≥ %d, none left", len(set.all)))
	return nil
}
