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
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// A bench is one run: its settings, the exporter under test, and the
// results so far.
type bench struct {
	cfg   config
	log   io.Writer // progress
	names naming
	dir   string // temporary files: batch files and the exporter binary
	exp   *exporter
	// floor is the floor listener's binary; empty if it was not built.
	floor string
	rep   *report
	// baseline is how long the kernel alone takes to tear down a bulk
	// deleted scale set; zero if not measured.
	baseline time.Duration
}

func newBench(cfg config, log io.Writer) (*bench, error) {
	names, err := newNaming()
	if err != nil {
		return nil, err
	}
	return &bench{cfg: cfg, log: log, names: names, rep: &report{}}, nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// A stage is one part of the run. Each adds its rows to the report and
// removes what it created; an error ends the stage, not the run.
type stage struct {
	name string
	run  func(context.Context) error
}

// run starts the exporter and runs every stage. It returns an error only
// if the exporter could not be started or the run was interrupted.
func (b *bench) run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "netlink-bench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	b.dir = dir
	defer os.RemoveAll(dir)
	// Cleanup gets its own context: it must run after an interrupt too.
	defer b.cleanup()

	bin := b.cfg.exporter
	if bin == "" {
		b.logf("building the exporter")
		if bin, err = buildExporter(ctx, dir); err != nil {
			return err
		}
	}
	if b.cfg.runs("burst") {
		b.logf("building the floor listener")
		if b.floor, err = buildFloor(ctx, dir); err != nil {
			// The burst's floor figures are void; the rest stands.
			b.logf("%v", err)
		}
	}
	// Before the exporter starts, so that it is the kernel's time alone.
	if b.cfg.runs("scale") {
		b.logf("kernel teardown baseline: %d namespaces", b.cfg.scaleNS)
		if b.baseline, err = b.teardownBaseline(ctx); err != nil {
			b.rep.failed("kernel teardown baseline", err)
			b.baseline = 0
			b.cleanup()
		} else {
			b.rep.figure(fmt.Sprintf("kernel alone: bulk delete of %d ns, pinned host ends gone", b.cfg.scaleNS), fmtDur(b.baseline))
		}
	}
	b.logf("starting the exporter")
	b.exp, err = startExporter(ctx, bin, b.cfg.timeout)
	if err != nil {
		return err
	}
	defer func() {
		if err := b.exp.Stop(stopTimeout); err != nil {
			b.rep.failed("exporter exits cleanly on SIGTERM", fmt.Errorf("%w: %s", err, b.exp.logTail()))
		}
	}()
	b.logf("exporter pid %d at %s (run id %s)", b.exp.PID(), b.exp.URL+"/metrics", b.names.id)

	all := []stage{
		// Scale first, while the exporter's heap has not yet held the
		// bursts' links: the memory bars are about steady state. Churn,
		// detail, overrun and lifecycle start exporters of their own.
		{"prompt", b.prompt},
		{"scale", func(ctx context.Context) error { return b.scale(ctx, bin) }},
		{"churn", func(ctx context.Context) error { return b.churn(ctx, bin) }},
		{"detail", func(ctx context.Context) error { return b.detail(ctx, bin) }},
		{"burst", b.burst},
		{"parallel", b.parallel},
		{"pods", func(ctx context.Context) error { return b.pods(ctx, bin) }},
		{"events", b.events},
		{"overrun", func(ctx context.Context) error { return b.overrun(ctx, bin) }},
		{"lifecycle", func(ctx context.Context) error { return b.lifecycle(ctx, bin) }},
	}
	var stages []stage
	for _, s := range all {
		switch {
		case !b.cfg.runs(s.name),
			s.name == "events" && !b.cfg.events,
			s.name == "overrun" && !b.cfg.overrun:
		default:
			stages = append(stages, s)
		}
	}
	for _, s := range stages {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", ctx.Err())
		}
		b.logf("stage %s", s.name)
		start := time.Now()
		if err := s.run(ctx); err != nil {
			b.rep.failed(s.name+" stage", err)
			b.logf("stage %s failed: %v", s.name, err)
			b.cleanup() // so the next stage starts from a clean host
		}
		b.logf("stage %s took %s", s.name, fmtDur(time.Since(start)))
		select {
		case <-b.exp.Done():
			return fmt.Errorf("exporter exited during stage %s: %v: %s", s.name, b.exp.Err(), b.exp.logTail())
		default:
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	if mem, err := readMem(b.exp.PID()); err == nil {
		b.rep.figure("exporter RSS at the end of the run (peak)", fmt.Sprintf("%s (%s)", fmtBytes(mem.rss), fmtBytes(mem.hwm)))
	}
	return nil
}

func (b *bench) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := b.names.cleanup(ctx, b.dir); err != nil {
		b.logf("%v", err)
	}
}

// printResults writes the machine, the stages' detail tables and the bar
// table.
func (b *bench) printResults(w io.Writer, wall time.Duration) {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	ipv, _ := exec.Command("ip", "-V").Output()
	mode := "full"
	if b.cfg.quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "netlink-bench %s run, %s, %d CPUs, kernel %s, %s, %s\n",
		mode, time.Now().Format(time.DateOnly), runtime.NumCPU(),
		strings.TrimSpace(string(kernel)), strings.TrimSpace(string(ipv)), runtime.Version())
	for _, s := range b.rep.sections {
		fmt.Fprintf(w, "\n%s\n%s", s.title, s.text)
	}
	fmt.Fprintln(w)
	b.rep.print(w)
	fmt.Fprintf(w, "\nwall time %s\n", fmtDur(wall))
}
