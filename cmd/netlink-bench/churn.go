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
	"time"
)

// churnHeapBar is how much the heap that the GC finds live may grow over
// the churn, in MiB (the GC trace's resolution). RSS is shown too, but the
// Go runtime returns freed memory to the kernel slowly, so it is no leak
// test.
const churnHeapBar = 1

// A churnState is what is compared before and after the churn.
type churnState struct {
	goroutines, heapInuse float64
	discoveries, removals float64
	fds                   fdSample
	rss                   int64
	liveMB                int
}

// churn creates and destroys cfg.churn namespaces, each with a veth to the
// host, cfg.churnBatch at a time, waiting each time until the exporter
// watches them all and has seen them all die. It uses an exporter of its
// own with a short --netns.retention: the spec lets a dead namespace's
// series stay for the retention, so memory can only be compared once they
// have gone. A first batch warms the exporter up and is not compared.
func (b *bench) churn(ctx context.Context, bin string) error {
	if b.cfg.churn == 0 {
		return nil
	}
	retain := b.cfg.churnRetain
	e, err := startExporter(ctx, bin, b.cfg.timeout, "--netns.retention="+retain.String())
	if err != nil {
		return err
	}
	defer func() {
		select {
		case <-e.Done(): // it was asked for its goroutines
			return
		default:
		}
		if err := e.Stop(stopTimeout); err != nil {
			b.rep.failed("churn exporter exits cleanly on SIGTERM", fmt.Errorf("%w: %s", err, e.logTail()))
		}
	}()
	batch := b.cfg.churnBatch
	if _, err := b.churnBatch(ctx, e, 0, batch); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	if err := sleep(ctx, retain+2*time.Second); err != nil {
		return err
	}
	before, err := b.churnState(ctx, e)
	if err != nil {
		return err
	}

	var worst churnTimes
	for first := batch; first < batch+b.cfg.churn; first += batch {
		t, err := b.churnBatch(ctx, e, first, min(batch, batch+b.cfg.churn-first))
		if err != nil {
			return err
		}
		worst = worst.max(t)
	}

	// Let the retention expire; pruning runs every second.
	if err := sleep(ctx, retain+2*time.Second); err != nil {
		return err
	}
	after, err := b.churnState(ctx, e)
	if err != nil {
		return err
	}
	if after.goroutines > before.goroutines {
		// What served the last batches may take a moment to end.
		_, err := poll(ctx, 200*time.Millisecond, 10*time.Second, func() (bool, error) {
			n, err := e.goroutines(ctx)
			after.goroutines = n
			return n <= before.goroutines, err
		})
		if err != nil && !errors.As(err, new(timeoutError)) {
			return err
		}
	}
	if after.fds != before.fds {
		if after.fds, err = e.waitFDs(ctx, before.fds); err != nil {
			return err
		}
	}
	note := ""
	if after.goroutines > before.goroutines {
		// What the extra goroutines are: GOTRACEBACK=all and SIGQUIT.
		path, summary, err := e.quitDump("churn-goroutines")
		if err != nil {
			note = err.Error()
		} else {
			note = fmt.Sprintf("%s (dump in %s)", summary, path)
		}
	}
	b.reportChurn(before, after, worst, note)
	return nil
}

// churnState samples the exporter with no scrape connection open.
func (b *bench) churnState(ctx context.Context, e *exporter) (churnState, error) {
	var c churnState
	s, err := e.scrape(ctx)
	if err != nil {
		return c, err
	}
	c.heapInuse = s.total(mHeapInuse)
	c.discoveries, c.removals = s.total(mDiscoveries), s.total(mRemovals)
	if c.liveMB, err = e.liveHeap(ctx); err != nil {
		return c, err
	}
	if c.goroutines, err = e.goroutines(ctx); err != nil {
		return c, err
	}
	if c.fds, err = e.idleFDs(); err != nil {
		return c, err
	}
	m, err := readMem(e.PID())
	c.rss = m.rss
	return c, err
}

// churnTimes are the slowest moments of the churn batches: from the end of
// the ip -batch that made them until all were watched, and from the start
// of the one that deleted them until their veths' host ends were gone and
// the exporter had seen them all die.
type churnTimes struct {
	watched, gone, seen time.Duration
}

func (t churnTimes) max(u churnTimes) churnTimes {
	return churnTimes{max(t.watched, u.watched), max(t.gone, u.gone), max(t.seen, u.seen)}
}

// churnBatch creates n namespaces numbered from first, each with a veth to
// the host, waits until e watches them all, deletes them, and waits until
// they are gone and e has seen them die.
func (b *bench) churnBatch(ctx context.Context, e *exporter, first, n int) (churnTimes, error) {
	var t churnTimes
	var nss, add []string
	for i := first; i < first+n; i++ {
		ns := b.names.netns("c", i)
		nss = append(nss, ns)
		add = append(add, "netns add "+ns,
			fmt.Sprintf("link add %s type veth peer name eth0 netns %s", b.names.link("c", i), ns))
	}
	fAdd, err := writeBatch(b.dir, "churn-add", add)
	if err != nil {
		return t, err
	}
	fDel, err := writeBatch(b.dir, "churn-del", delLines(nss))
	if err != nil {
		return t, err
	}
	mine := netnsPrefix(b.names.netnsPrefix("c"))
	if err := ipBatch(ctx, fAdd); err != nil {
		return t, err
	}
	start := time.Now() // the last namespace was created just before
	if _, _, err := e.waitFor(ctx, 20*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		return s.watched(mine) == n
	}); err != nil {
		return t, fmt.Errorf("churn namespaces %d-%d not watched: %w", first, first+n-1, err)
	}
	t.watched = time.Since(start)

	start = time.Now()
	if err := ipBatch(ctx, fDel); err != nil {
		return t, err
	}
	if err := b.waitLinksGone(ctx, b.names.linkPrefix("c"), b.cfg.timeout); err != nil {
		return t, fmt.Errorf("churn namespaces pinned: %w", err)
	}
	t.gone = time.Since(start)
	if _, _, err := e.waitFor(ctx, 20*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		return s.watched(mine) == 0
	}); err != nil {
		return t, fmt.Errorf("deaths of churn namespaces %d-%d not seen: %w", first, first+n-1, err)
	}
	t.seen = time.Since(start)
	return t, nil
}

func (b *bench) reportChurn(before, after churnState, worst churnTimes, goroutineNote string) {
	c := b.cfg.churn
	disc, rem := int(after.discoveries-before.discoveries), int(after.removals-before.removals)
	// The global counters also count other processes' namespaces, if
	// any; ours were each checked by name.
	b.rep.check(exact, disc >= c && rem >= c, fmt.Sprintf("churn: %d namespaces watched and seen dying", c),
		fmt.Sprintf("each of ours; counters +%d discovered, +%d removed", disc, rem), fmt.Sprintf("≥ %d", c))
	b.rep.check(perf, worst.watched <= netnsWatchedBar && worst.seen <= netnsDeathBar,
		fmt.Sprintf("churn: batches of %d all watched after ip -batch / seen dying", b.cfg.churnBatch),
		fmt.Sprintf("max %s / max %s", fmtDur(worst.watched), fmtDur(worst.seen)), "≤ "+fmtDur(netnsWatchedBar))
	// Every host end went, or churnBatch failed the stage: the bar is the
	// time, a performance bar.
	b.rep.check(perf, worst.gone <= pinBar, "churn: veth host ends gone after ip netns del",
		fmt.Sprintf("max %s per batch", fmtDur(worst.gone)), "≤ "+fmtDur(pinBar))
	b.rep.add(row{bar: "churn: exporter goroutines", value: fmt.Sprintf("%.0f → %.0f", before.goroutines, after.goroutines),
		limit: "no growth", kind: exact, ok: after.goroutines <= before.goroutines, note: goroutineNote})
	b.rep.check(exact, after.fds == before.fds, "churn: exporter fds", fmt.Sprintf("%s → %s", before.fds, after.fds), "no growth")
	b.rep.check(perf, after.liveMB-before.liveMB <= churnHeapBar,
		fmt.Sprintf("churn: heap live after GC, retention (%s) expired", b.cfg.churnRetain),
		fmt.Sprintf("%d → %d MiB", before.liveMB, after.liveMB), fmt.Sprintf("≤ +%d MiB", churnHeapBar))
	b.rep.figure("churn: exporter RSS (heap in use)", fmt.Sprintf("%s → %s (%s → %s)",
		fmtBytes(before.rss), fmtBytes(after.rss), fmtBytes(int64(before.heapInuse)), fmtBytes(int64(after.heapInuse))))
}
