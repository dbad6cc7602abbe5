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
	"errors"
	"fmt"
	"sync"
	"time"
)

// parallel bursts veth pairs into cfg.parallelNS namespaces at once, one
// ip -batch each, and checks every namespace's count.
func (b *bench) parallel(ctx context.Context) error {
	e := b.exp
	n, pairs := b.cfg.parallelNS, b.cfg.parallelPairs
	want := 2 * pairs
	nss := make([]string, n)
	add := make([]string, n)
	for i := range nss {
		nss[i] = b.names.netns("q", i)
		add[i] = "netns add " + nss[i]
	}
	fAdd, err := writeBatch(b.dir, "parallel-add", add)
	if err != nil {
		return err
	}
	fPairs, err := writeBatch(b.dir, "parallel-pairs", vethPairs(pairs))
	if err != nil {
		return err
	}
	if err := ipBatch(ctx, fAdd); err != nil {
		return err
	}
	s, _, err := e.waitFor(ctx, 50*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		_, watched := s.sum(mNetnsInfo, netnsPrefix(b.names.netnsPrefix("q")))
		return watched == n
	})
	if err != nil {
		return fmt.Errorf("namespaces not watched: %w", err)
	}
	overruns, resyncs := s.total(mOverruns), s.total(mResyncs)
	if err := sleep(ctx, settle); err != nil {
		return err
	}

	c0, err := readCPU(e.PID())
	if err != nil {
		return err
	}
	t0 := time.Now()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, ns := range nss {
		wg.Go(func() { errs[i] = ipBatch(ctx, fPairs, "-n", ns) })
	}
	wg.Wait()
	batch := time.Since(t0)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	c1, err := readCPU(e.PID())
	if err != nil {
		return err
	}
	closed := time.Now()

	counted := func(s scrape) (exactNS, total int) {
		for _, ns := range nss {
			c := s.count(mCreations, ns, "veth")
			total += c
			if c == want {
				exactNS++
			}
		}
		return exactNS, total
	}
	if _, _, err := e.waitFor(ctx, cpuScrapeInterval, b.cfg.timeout, func(s scrape) bool {
		_, total := counted(s)
		return total >= n*want
	}); err != nil {
		b.logf("parallel burst: %v", err)
	}
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	if s, err = e.scrape(ctx); err != nil {
		return err
	}
	exactNS, total := counted(s)
	var done time.Time
	for _, ns := range nss {
		if t := s.lastEvent(ns); t.After(done) {
			done = t
		}
	}
	late := ""
	if done.After(closed) {
		late = " (includes scrapes: the exporter finished after the sample closed)"
		if c1, err = readCPU(e.PID()); err != nil {
			return err
		}
	}
	cpu := cpuSince(c0, c1)

	b.rep.check(exact, exactNS == n, fmt.Sprintf("parallel exact creations (%d ns × %d pairs)", n, pairs),
		fmt.Sprintf("%d/%d ns, %d/%d", exactNS, n, total, n*want), "exact")
	b.rep.figure("parallel burst handled",
		fmt.Sprintf("%s in %s (ip -batch %s), %d overruns, %d resyncs", fmtRate(n*want, done.Sub(t0)), fmtDur(done.Sub(t0)), fmtDur(batch),
			int(s.total(mOverruns)-overruns), int(s.total(mResyncs)-resyncs)))
	b.rep.figure("parallel exporter CPU per event", fmtMicros(cpu/time.Duration(n*want))+late)
	// The burst's namespaces and links are all held now: the peak so far
	// is the burst's, unless an earlier stage's was higher.
	if mem, err := readMem(e.PID()); err != nil {
		b.rep.failed("peak RSS after the parallel burst", err)
	} else {
		b.rep.check(perf, mem.hwm < peakRSSBar, "peak RSS so far, parallel burst included (VmHWM)",
			fmt.Sprintf("%s (RSS now %s)", fmtBytes(mem.hwm), fmtBytes(mem.rss)), "< "+fmtBytes(peakRSSBar))
	}

	// A veth from the host into each namespace shows when the kernel has
	// torn it down (its 4,000 veths take seconds), so that the next stage
	// does not measure that. Its inner end is one more veth deletion.
	fPin, err := writeBatch(b.dir, "parallel-pin", b.pinLines("q", nss))
	if err != nil {
		return err
	}
	if err := ipBatch(ctx, fPin); err != nil {
		return err
	}
	want++
	fDel, err := writeBatch(b.dir, "parallel-del", delLines(nss))
	if err != nil {
		return err
	}
	start := time.Now()
	if err := ipBatch(ctx, fDel); err != nil {
		return err
	}
	if _, _, err := e.waitFor(ctx, 20*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		return s.watched(netnsPrefix(b.names.netnsPrefix("q"))) == 0
	}); err != nil {
		b.logf("parallel deaths: %v", err)
	}
	died := time.Since(start) // from before ip -batch
	if _, _, err := e.waitFor(ctx, 50*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		t := 0
		for _, ns := range nss {
			t += s.count(mDeletions, ns, "veth")
		}
		return t >= n*want
	}); err != nil {
		b.logf("parallel deletions: %v", err)
	}
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	if s, err = e.scrape(ctx); err != nil {
		return err
	}
	exactDel, totalDel := 0, 0
	for _, ns := range nss {
		c := s.count(mDeletions, ns, "veth")
		totalDel += c
		if c == want {
			exactDel++
		}
	}
	b.rep.check(exact, exactDel == n, "parallel exact deletions at namespace death (+1 pin veth each)",
		fmt.Sprintf("%d/%d ns, %d/%d", exactDel, n, totalDel, n*want), "exact")
	b.rep.check(perf, died <= netnsDeathBar, fmt.Sprintf("deaths of %d namespaces seen", n), fmtDur(died), "≤ "+fmtDur(netnsDeathBar))
	if err := b.waitLinksGone(ctx, b.names.linkPrefix("q"), 5*time.Minute); err != nil {
		return fmt.Errorf("parallel namespaces pinned: %w", err)
	}
	b.rep.figure(fmt.Sprintf("kernel teardown of the %d namespaces (pin veths gone)", n), fmtDur(time.Since(start)))
	return nil
}

// delLines is a batch that deletes the namespaces nss.
func delLines(nss []string) []string {
	lines := make([]string, len(nss))
	for i, ns := range nss {
		lines[i] = "netns del " + ns
	}
	return lines
}
