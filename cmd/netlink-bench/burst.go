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
	"strconv"
	"strings"
	"time"
)

const (
	// settle lets the listeners finish a burst before their CPU is
	// sampled, and lets stragglers arrive before a count is final.
	settle = 300 * time.Millisecond
	// cpuScrapeInterval spaces the scrapes made while a CPU sample may
	// still be open, so that serving them hardly weighs on the figure.
	cpuScrapeInterval = 200 * time.Millisecond
	// monitorStall is how long ip monitor may print nothing before the
	// bench stops waiting for it.
	monitorStall = 10 * time.Second
)

// A burstRun is one burst of veth pairs into a fresh namespace, with ip
// monitor listening next to the exporter.
type burstRun struct {
	want, expCount, ipCount, deletions, overruns int
	// other counts the link events of other namespaces that ip printed
	// while CPU was sampled: both listeners paid for them.
	other int
	// From just before ip -batch: until it exited, until ip monitor printed
	// the last creation, until the exporter applied the last event.
	batch, ipDone, expDone time.Duration
	expCPU, ipCPU          time.Duration
	// floor is what the floor listener counted and floorCPU its CPU, in
	// the same sample; floorErr says why there is no figure.
	floor    floorCount
	floorCPU time.Duration
	floorErr error
	// cpuLate is set when the exporter finished after its CPU sample was
	// closed; the sample was then taken again and includes a few scrapes.
	cpuLate  bool
	ipStderr string
}

// perEvent divides cpu among events.
func perEvent(cpu time.Duration, events int) time.Duration {
	if events == 0 {
		return 0
	}
	return cpu / time.Duration(events)
}

// burst runs the single-namespace burst cfg.repeats times and reports each
// run and the medians.
func (b *bench) burst(ctx context.Context) error {
	f, err := writeBatch(b.dir, "burst", vethPairs(b.cfg.pairs))
	if err != nil {
		return err
	}
	var runs []burstRun
	defer func() { b.reportBursts(runs) }()
	for i := range b.cfg.repeats {
		r, err := b.burstOnce(ctx, f, b.names.netns("b", i))
		if err != nil {
			return fmt.Errorf("burst %d: %w", i+1, err)
		}
		b.logf("burst %d: exporter %d/%d, ip %d, exporter %s/event, ip %s/event",
			i+1, r.expCount, r.want, r.ipCount, fmtMicros(perEvent(r.expCPU, r.want)), fmtMicros(perEvent(r.ipCPU, r.ipCount)))
		runs = append(runs, r)
	}
	return nil
}

func (b *bench) burstOnce(ctx context.Context, f batchFile, ns string) (burstRun, error) {
	e := b.exp
	r := burstRun{want: 2 * b.cfg.pairs}
	s, err := e.scrape(ctx)
	if err != nil {
		return r, err
	}
	overruns := s.total(mOverruns)

	if err := ip(ctx, "netns", "add", ns); err != nil {
		return r, err
	}
	nsid, _, err := e.waitWatched(ctx, 10*time.Millisecond, b.cfg.timeout, ns)
	if err != nil {
		return r, err
	}
	mon, err := startIPMonitor(nsid, isBurstLink)
	if err != nil {
		return r, err
	}
	defer mon.stop()
	if err := b.waitListening(ctx, mon, ns); err != nil {
		return r, err
	}
	// The floor listener starts after the ready links: it counts every
	// creation in ns, which from here on are the burst's.
	var fl *floorListener
	if b.floor == "" {
		r.floorErr = errors.New("floor listener not built")
	} else if fl, r.floorErr = startFloor(b.floor, nsid); fl != nil {
		defer func() {
			if fl != nil {
				_, _ = fl.stop()
			}
		}()
	}
	if err := sleep(ctx, settle); err != nil {
		return r, err
	}

	e0, err := readCPU(e.PID())
	if err != nil {
		return r, err
	}
	i0, err := readCPU(mon.pid)
	if err != nil {
		return r, err
	}
	var f0 cpuSample
	if fl != nil {
		if f0, err = readCPU(fl.pid); err != nil {
			return r, err
		}
	}
	events := mon.eventCount()
	t0 := time.Now()
	if err := ipBatch(ctx, f, "-n", ns); err != nil {
		return r, err
	}
	r.batch = time.Since(t0)
	last, monErr := mon.waitCreated(ctx, r.want, monitorStall)
	r.ipDone = last.Sub(t0)
	if err := sleep(ctx, settle); err != nil {
		return r, err
	}
	// Both samples close before the first scrape.
	e1, err := readCPU(e.PID())
	if err != nil {
		return r, err
	}
	i1, err := readCPU(mon.pid)
	if err != nil {
		return r, err
	}
	if fl != nil {
		f1, err := readCPU(fl.pid)
		if err != nil {
			return r, err
		}
		r.floorCPU = cpuSince(f0, f1)
		r.floor, r.floorErr = fl.stop()
		fl = nil
	}
	closed := time.Now()
	r.ipCount, _ = mon.progress()
	r.other = mon.eventCount() - events - r.ipCount
	r.ipStderr = mon.stop()
	if monErr != nil && r.ipStderr == "" {
		r.ipStderr = monErr.Error()
	}

	// A timeout leaves a short count, which the report shows.
	if _, _, err := e.waitFor(ctx, cpuScrapeInterval, b.cfg.timeout, func(s scrape) bool {
		return s.count(mCreations, ns, "veth") >= r.want
	}); err != nil {
		b.logf("burst in %s: %v", ns, err)
	}
	if err := sleep(ctx, settle); err != nil {
		return r, err
	}
	if s, err = e.scrape(ctx); err != nil {
		return r, err
	}
	r.expCount = s.count(mCreations, ns, "veth")
	r.overruns = int(s.total(mOverruns) - overruns)
	done := s.lastEvent(ns)
	r.expDone = done.Sub(t0)
	if done.After(closed) {
		r.cpuLate = true
		if e1, err = readCPU(e.PID()); err != nil {
			return r, err
		}
	}
	r.expCPU, r.ipCPU = cpuSince(e0, e1), cpuSince(i0, i1)

	if err := ip(ctx, "netns", "del", ns); err != nil {
		return r, err
	}
	if _, _, err := e.waitFor(ctx, 20*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		return s.watched(netnsIs(ns)) == 0 && s.count(mDeletions, ns, "veth") >= r.want
	}); err != nil {
		b.logf("deletions in %s: %v", ns, err)
	}
	if err := sleep(ctx, settle); err != nil {
		return r, err
	}
	if s, err = e.scrape(ctx); err != nil {
		return r, err
	}
	r.deletions = s.count(mDeletions, ns, "veth")
	return r, nil
}

// readyWait is how long waitListening waits for ip monitor to print one
// link before it makes another.
const readyWait = 500 * time.Millisecond

// waitListening returns once ip monitor prints the creation of links in ns
// that are not part of the burst. ip subscribes some time after it starts,
// and says nothing of what came before: it makes links ready0, ready1, …
// until ip prints one.
func (b *bench) waitListening(ctx context.Context, mon *ipMonitor, ns string) error {
	deadline := time.Now().Add(b.cfg.timeout)
	for i := 0; ; i++ {
		name := fmt.Sprintf("ready%d", i)
		if err := ip(ctx, "-n", ns, "link", "add", name, "type", "bridge"); err != nil {
			return err
		}
		err := mon.waitOther(ctx, name, readyWait)
		if err == nil || !errors.As(err, new(timeoutError)) || time.Now().After(deadline) {
			return err
		}
	}
}

// isBurstLink reports whether name is one of vethPairs' links.
func isBurstLink(name string) bool {
	if len(name) < 2 || name[0] != 'a' && name[0] != 'b' {
		return false
	}
	_, err := strconv.Atoi(name[1:])
	return err == nil
}

// floorBar is how many times the floor listener's CPU per event the
// exporter may spend.
const floorBar = 2.0

// floorVoid says why a run's floor figure does not count, or is nil: the
// floor must have heard every creation of the burst.
func (r burstRun) floorVoid() error {
	switch {
	case r.floorErr != nil:
		return r.floorErr
	case r.floor.overruns > 0:
		return fmt.Errorf("floor listener overran %d times", r.floor.overruns)
	case r.floor.created < r.want:
		return fmt.Errorf("floor listener counted %d of %d creations", r.floor.created, r.want)
	}
	return nil
}

func (b *bench) reportBursts(runs []burstRun) {
	if len(runs) == 0 {
		return
	}
	var (
		rows                          [][]string
		expCPU, ipCPU, flCPU, expDone []time.Duration
		ratios, flRatios              []float64
		exactNew, exactDel, late      int
		counts, dels                  []string
		voids                         []string
	)
	for i, r := range runs {
		ev, iv := perEvent(r.expCPU, r.want), perEvent(r.ipCPU, r.ipCount)
		expCPU, ipCPU, expDone = append(expCPU, ev), append(ipCPU, iv), append(expDone, r.expDone)
		if iv > 0 {
			ratios = append(ratios, float64(ev)/float64(iv))
		}
		fv, flRatio := "void", "-"
		if err := r.floorVoid(); err != nil {
			voids = append(voids, fmt.Sprintf("run %d: %v", i+1, err))
		} else if f := perEvent(r.floorCPU, r.want); f > 0 {
			flCPU, flRatios = append(flCPU, f), append(flRatios, float64(ev)/float64(f))
			fv, flRatio = fmtMicros(f), fmt.Sprintf("%.2f", ratioOf(ev, f))
		}
		if r.expCount == r.want {
			exactNew++
		}
		if r.deletions == r.want {
			exactDel++
		}
		if r.cpuLate {
			late++
		}
		counts, dels = append(counts, strconv.Itoa(r.expCount)), append(dels, strconv.Itoa(r.deletions))
		cpuNote := ""
		if r.cpuLate {
			cpuNote = " *"
		}
		rows = append(rows, []string{
			strconv.Itoa(i + 1),
			fmt.Sprintf("%d/%d", r.expCount, r.want), strconv.Itoa(r.ipCount), strconv.Itoa(r.floor.created),
			fmtDur(r.batch), fmtDur(r.ipDone), fmtDur(r.expDone), fmtRate(r.want, r.expDone),
			fmtMicros(ev) + cpuNote, fmtMicros(iv), fv, fmt.Sprintf("%.2f", ratioOf(ev, iv)), flRatio,
			strconv.Itoa(r.other), strconv.Itoa(r.overruns), fmt.Sprintf("%d/%d", r.deletions, r.want),
		})
		if r.ipStderr != "" {
			b.rep.add(row{bar: fmt.Sprintf("burst %d ip monitor", i+1), value: "stderr", kind: info, ok: true, note: r.ipStderr})
		}
	}
	med := func(d []time.Duration) string { return fmtMicros(median(d)) }
	medFloor := "-"
	if len(flCPU) > 0 {
		medFloor = med(flCPU)
	}
	rows = append(rows, []string{"median", "", "", "", "", "", fmtDur(median(expDone)), fmtRate(runs[0].want, median(expDone)),
		med(expCPU), med(ipCPU), medFloor, fmt.Sprintf("%.2f", median(ratios)), fmt.Sprintf("%.2f", median(flRatios)), "", "", ""})
	title := fmt.Sprintf("Burst: %d veth pairs with ip -batch into one namespace, %d run(s); times from the start of ip -batch,\n"+
		"rate = events / exporter done (bounded by how fast ip -batch creates them); CPU per burst event;\n"+
		"floor = a bare C listener of the exporter's design (cmd/netlink-bench/floor), void unless it heard every creation;\n"+
		"other = events of other namespaces on the host that every listener heard during the CPU sample", b.cfg.pairs, len(runs))
	if late > 0 {
		title += "\n* the exporter finished after its CPU sample closed; its figure includes a few scrapes"
	}
	b.rep.table(title, []string{"run", "exporter", "ip monitor", "floor", "ip -batch", "ip done", "exporter done", "exporter rate",
		"exporter CPU/ev", "ip CPU/ev", "floor CPU/ev", "×ip", "×floor", "other", "overruns", "deletions"}, rows)

	want := runs[0].want
	b.rep.check(exact, exactNew == len(runs), fmt.Sprintf("burst exact creations (%d pairs)", b.cfg.pairs),
		fmt.Sprintf("%s of %d", strings.Join(counts, ", "), want), "exact")
	b.rep.check(exact, exactDel == len(runs), "burst exact deletions at namespace death",
		fmt.Sprintf("%s of %d", strings.Join(dels, ", "), want), "exact")
	b.rep.check(perf, len(ratios) == len(runs) && median(ratios) <= 1, "exporter CPU per event (median)",
		fmt.Sprintf("%s (%.2f× ip)", med(expCPU), median(ratios)), fmt.Sprintf("≤ ip monitor (%s)", med(ipCPU)))
	floorRow := row{
		bar:   fmt.Sprintf("exporter CPU per event, × floor (median of %d valid runs)", len(flRatios)),
		value: fmt.Sprintf("%.2f× (%s vs floor %s, ip %s)", median(flRatios), med(expCPU), medFloor, med(ipCPU)),
		limit: fmt.Sprintf("≤ %.0f× floor", floorBar), kind: perf,
		ok:   len(flRatios) > 0 && median(flRatios) <= floorBar,
		note: strings.Join(voids, "; "),
	}
	if len(flRatios) == 0 {
		floorRow.value = "no valid floor figure"
	}
	b.rep.add(floorRow)
	// Absolute figures move with the machine: every one of the run is read
	// beside these.
	b.rep.figure("this run's reference listeners, CPU per event (median)",
		fmt.Sprintf("floor %s, ip monitor %s", medFloor, med(ipCPU)))
	b.rep.figure("burst events handled per second (median)",
		fmt.Sprintf("%s (done %s after start)", fmtRate(want, median(expDone)), fmtDur(median(expDone))))
}

func ratioOf(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
