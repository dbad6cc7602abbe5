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
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/rtnlbusy"
)

const (
	// busyBridges is how many bridges each namespace of the lifecycle
	// stage holds: the kernel tears each down under RTNL.
	busyBridges = 9
	// heldAfter is how long a link dump must wait before RTNL counts as
	// held.
	heldAfter = 200 * time.Millisecond
	// exitBar is the spec's bound on how long after RTNL becomes free the
	// exporter exits on SIGTERM.
	exitBar = time.Second
	// lifecyclePoll is how often the stage asks the probes.
	lifecyclePoll = 10 * time.Millisecond
)

// A busyStart is what the lifecycle stage saw of an exporter started while
// RTNL was held.
type busyStart struct {
	held time.Duration // how long the probe that found RTNL held waited
	// From the exporter's exec: until /-/healthy answered, until /-/ready
	// answered 200, and until RTNL was free (the probe returned).
	listening, ready, free time.Duration
	// notReady counts the 503s of /-/ready while the probe waited;
	// unhealthy the failures of /-/healthy until ready.
	notReady, unhealthy int
	metrics503          bool // /metrics answered 503 before ready
}

// A busyStop is what the lifecycle stage saw of an exporter sent SIGTERM
// while its baseline waited for RTNL.
type busyStop struct {
	held time.Duration
	// From SIGTERM: until RTNL was free, until the exporter exited.
	free, exited time.Duration
	err          error  // Stop's: a status other than 0, or no exit in time
	waits        string // the exporter's threads in uninterruptible sleep
	// notMeasured says that RTNL was free before SIGTERM in every try.
	notMeasured bool
}

// lifecycle starts an exporter while the kernel holds RTNL to tear down
// cfg.busyNS namespaces of busyBridges bridges each (as a node that evicts
// its pods does), and times it until it listens and until it is ready; then
// does it again, sending SIGTERM while the baseline waits, and times the
// exit against the moment RTNL is free.
func (b *bench) lifecycle(ctx context.Context, bin string) error {
	start, err := b.busyStart(ctx, bin)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	stop, err := b.busyStop(ctx, bin)
	if err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	b.reportLifecycle(start, stop)
	return nil
}

// holdRTNL makes n namespaces named for stage, deletes them in bulk, and
// returns once a request for RTNL has waited heldAfter: that probe, still
// pending.
func (b *bench) holdRTNL(ctx context.Context, stage string, n int) (*rtnlbusy.Probe, error) {
	names := make([]string, n)
	for i := range names {
		names[i] = b.names.netns(stage, i)
	}
	td := rtnlbusy.New(names, busyBridges, b.dir)
	if err := td.Create(ctx); err != nil {
		return nil, err
	}
	if err := td.Delete(ctx); err != nil {
		return nil, err
	}
	return rtnlbusy.WaitHeld(ctx, heldAfter, b.cfg.timeout)
}

func (b *bench) busyStart(ctx context.Context, bin string) (busyStart, error) {
	var r busyStart
	probe, err := b.holdRTNL(ctx, "l", b.cfg.busyNS)
	if err != nil {
		return r, err
	}
	exec := time.Now()
	e, err := startListening(ctx, bin, b.cfg.timeout)
	if err != nil {
		return r, err
	}
	defer func() {
		if err := e.Stop(stopTimeout); err != nil {
			b.rep.failed("lifecycle exporter exits cleanly on SIGTERM", fmt.Errorf("%w: %s", err, e.logTail()))
		}
	}()
	r.listening = time.Since(exec)
	if _, err := poll(ctx, lifecyclePoll, b.cfg.timeout+2*time.Minute, func() (bool, error) {
		pending := probe.Pending()
		code, _, err := e.Get(ctx, harness.ReadyPath)
		if err != nil {
			return false, err
		}
		if code == http.StatusOK {
			r.ready = time.Since(exec)
			return true, nil
		}
		if pending {
			r.notReady++
		}
		if !r.metrics503 {
			code, _, err := e.Get(ctx, "/metrics")
			if err != nil {
				return false, err
			}
			r.metrics503 = code == http.StatusServiceUnavailable
		}
		code, _, err = e.Get(ctx, harness.HealthyPath)
		if err != nil {
			return false, err
		}
		if code != http.StatusOK {
			r.unhealthy++
		}
		return false, nil
	}); err != nil {
		return r, fmt.Errorf("exporter not ready: %w: %s", err, e.logTail())
	}
	<-probe.Done()
	free, err := probe.Returned()
	if err != nil {
		return r, err
	}
	r.held, r.free = free.Sub(probe.Started), free.Sub(exec)
	b.logf("lifecycle start: RTNL held %s; exporter listening %s, ready %s after exec; RTNL free %s after exec",
		fmtDur(r.held), fmtDur(r.listening), fmtDur(r.ready), fmtDur(r.free))
	return r, nil
}

// errFreedEarly says that RTNL was free before the exporter got SIGTERM.
var errFreedEarly = errors.New("RTNL was free before SIGTERM")

// stopTries bounds the attempts of busyStop, each with twice the
// namespaces of the one before, to send SIGTERM while RTNL is held.
const stopTries = 3

// busyStop sends SIGTERM to an exporter whose baseline waits for RTNL. If
// RTNL was free before, it tries again with twice the namespaces; after
// stopTries, the result says that it was not measured.
func (b *bench) busyStop(ctx context.Context, bin string) (busyStop, error) {
	n := b.cfg.busyNS
	for try := 1; ; try++ {
		r, err := b.busyStopOnce(ctx, bin, fmt.Sprintf("m%d-", try), n)
		switch {
		case !errors.Is(err, errFreedEarly):
			return r, err
		case try == stopTries:
			b.logf("lifecycle stop: %v %d times; not measured", err, try)
			return busyStop{notMeasured: true}, nil
		}
		n *= 2
		b.logf("lifecycle stop: %v; again with %d namespaces", err, n)
	}
}

func (b *bench) busyStopOnce(ctx context.Context, bin, stage string, n int) (busyStop, error) {
	var r busyStop
	probe, err := b.holdRTNL(ctx, stage, n)
	if err != nil {
		return r, err
	}
	e, err := startListening(ctx, bin, b.cfg.timeout)
	if err != nil {
		return r, err
	}
	defer e.Kill()
	// SIGTERM once the baseline waits in the kernel, which its thread's
	// state shows.
	if _, err := poll(ctx, lifecyclePoll, time.Second, func() (bool, error) {
		var d int
		r.waits, d = uninterruptible(e.PID())
		return d > 0, nil
	}); err != nil && !errors.As(err, new(timeoutError)) {
		return r, err
	}
	if !probe.Pending() {
		return r, errFreedEarly
	}
	term := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- e.Stop(b.cfg.timeout + 2*time.Minute) }()
	var exit time.Time
	select {
	case <-e.Done():
		exit = time.Now()
	case <-ctx.Done():
		return r, fmt.Errorf("interrupted: %w", ctx.Err())
	}
	r.err = <-stopped
	<-probe.Done()
	free, err := probe.Returned()
	if err != nil {
		return r, err
	}
	r.held, r.free, r.exited = free.Sub(probe.Started), free.Sub(term), exit.Sub(term)
	b.logf("lifecycle stop: RTNL held %s; SIGTERM, RTNL free %s later, exporter exited %s later",
		fmtDur(r.held), fmtDur(r.free), fmtDur(r.exited))
	return r, nil
}

func (b *bench) reportLifecycle(start busyStart, stop busyStop) {
	n := b.cfg.busyNS
	b.rep.figure(fmt.Sprintf("lifecycle: RTNL held by a bulk delete of %d ns × %d bridges", n, busyBridges), fmtDur(start.held))
	b.rep.check(perf, start.listening < start.free, "lifecycle: exporter listening while RTNL is held",
		fmt.Sprintf("%s after exec; RTNL free %s after exec", fmtDur(start.listening), fmtDur(start.free)), "before RTNL is free")
	b.rep.check(perf, start.notReady > 0 && start.metrics503, "lifecycle: /-/ready and /metrics 503 while the baseline waits",
		fmt.Sprintf("%d × /-/ready 503, /metrics 503: %v", start.notReady, start.metrics503), "503")
	b.rep.figure("lifecycle: ready after exec (after RTNL was free)",
		fmt.Sprintf("%s (%s)", fmtDur(start.ready), fmtDur(start.ready-start.free)))
	b.rep.check(exact, start.unhealthy == 0, "lifecycle: /-/healthy failures while the baseline waits",
		fmt.Sprintf("%d", start.unhealthy), "0")
	b.rep.check(exact, stop.err == nil, "lifecycle: exit status on SIGTERM while the baseline waits", errOr(stop.err, "0"), "0")
	if stop.notMeasured {
		b.rep.check(perf, false, "lifecycle: exit after RTNL was free (SIGTERM while waiting)",
			fmt.Sprintf("not measured: RTNL was free before SIGTERM %d times", stopTries), "≤ "+fmtDur(exitBar))
		return
	}
	b.rep.figure(fmt.Sprintf("lifecycle: RTNL held for the stop (%d ns or more)", n), fmtDur(stop.held))
	b.rep.check(perf, stop.exited-stop.free <= exitBar, "lifecycle: exit after RTNL was free (SIGTERM while waiting)",
		fmt.Sprintf("%s (SIGTERM → exit %s)", fmtDur(stop.exited-stop.free), fmtDur(stop.exited)), "≤ "+fmtDur(exitBar))
	b.rep.add(row{bar: "lifecycle: where the exporter waited at SIGTERM", value: "see note", kind: info, ok: true, note: stop.waits})
}

func errOr(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}

// uninterruptible counts the threads of process pid by state, and lists
// those in uninterruptible sleep (state D) with the top of their kernel
// stacks. It returns that text and the number in state D.
func uninterruptible(pid int) (string, int) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	if err != nil || len(tasks) == 0 {
		return fmt.Sprintf("cannot list the threads of %d: %v", pid, err), 0
	}
	states := make(map[byte]int)
	var waits []string
	for _, t := range tasks {
		stat, err := os.ReadFile(filepath.Join(t, "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// The state follows the command name's closing parenthesis.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 || i+2 >= len(stat) {
			continue
		}
		state := stat[i+2]
		states[state]++
		if state != 'D' {
			continue
		}
		stack, _ := os.ReadFile(filepath.Join(t, "stack"))
		var frames []string
		for line := range strings.Lines(string(stack)) {
			if _, f, ok := strings.Cut(strings.TrimSpace(line), "] "); ok {
				f, _, _ = strings.Cut(f, "+")
				frames = append(frames, f)
			}
		}
		frames = frames[:min(len(frames), 8)]
		waits = append(waits, fmt.Sprintf("thread %s in D: %s", filepath.Base(t), strings.Join(frames, " ← ")))
	}
	var counts []string
	for _, st := range slices.Sorted(maps.Keys(states)) {
		counts = append(counts, fmt.Sprintf("%d %c", states[st], st))
	}
	text := fmt.Sprintf("%d threads (%s)%s", len(tasks), strings.Join(counts, ", "), strings.Join(append([]string{""}, waits...), "; "))
	return text, len(waits)
}
