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
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// stageNames are the stages of a run, in order.
const stageNames = "prompt, scale, churn, detail, burst, parallel, pods, events, overrun, lifecycle"

// A config is what the command line sets.
type config struct {
	exporter string // prebuilt exporter binary; empty builds one
	strict   bool   // performance bars fail the exit code too
	quick    bool
	stages   []string // the stages to run; all if empty

	pairs         int // veth pairs per burst
	repeats       int
	parallelNS    int
	parallelPairs int
	scaleNS       int
	scaleLinks    int // links per scale namespace, lo included
	pinNS         int
	churn         int
	churnBatch    int
	churnRetain   time.Duration
	promptProbes  int
	overrun       bool
	overrunBuffer string
	detailPods    int
	pods          int // pods of the pods stage's first step; 0 skips it
	podsMax       int // pods of its second step; not above pods skips it
	podProbes     int // probe pods timed at each step
	busyNS        int // namespaces with bridges torn down in the lifecycle stage
	events        bool
	timeout       time.Duration // per wait
}

// parseFlags parses args (without the program name). -quick changes the
// defaults of the size flags; explicit size flags still win.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("netlink-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: netlink-bench [flags]\n\n"+
			"Measures netlink_exporter against the quality bars of docs/spec (needs root).\n"+
			"Exits 1 if an exactness bar fails, or with -strict a performance bar.\n\n")
		fs.PrintDefaults()
	}
	var c config
	fs.StringVar(&c.exporter, "exporter", "", "prebuilt netlink_exporter binary (default: go build the module that holds the working directory)")
	fs.BoolVar(&c.strict, "strict", false, "make failed performance bars fail the exit code too")
	var stages string
	fs.StringVar(&stages, "stages", "", "comma-separated stages to run, of "+stageNames+" (default all)")
	fs.BoolVar(&c.quick, "quick", false, "smoke run for CI: 1000 pairs, 3 repeats, 5x100 parallel, 100 namespaces, 50 churn cycles, 100 detail pods, 20 pod sandboxes with 3 probes and no second step, 20 busy namespaces")
	fs.IntVar(&c.pairs, "pairs", 2000, "veth pairs per burst")
	fs.IntVar(&c.repeats, "repeats", 3, "burst repetitions")
	fs.IntVar(&c.parallelNS, "parallel-ns", 20, "namespaces bursting at once")
	fs.IntVar(&c.parallelPairs, "parallel-pairs", 2000, "veth pairs per namespace in the parallel burst")
	fs.IntVar(&c.scaleNS, "scale-ns", 1000, "namespaces in the scale test")
	fs.IntVar(&c.scaleLinks, "scale-links", 10, "links per scale namespace, loopback included (the rest are bridges)")
	fs.IntVar(&c.pinNS, "pin-ns", 10, "scale namespaces that get a veth peer whose host end must vanish with them")
	fs.IntVar(&c.churn, "churn", 500, "namespace create/destroy cycles")
	fs.IntVar(&c.churnBatch, "churn-batch", 50, "namespaces created and destroyed together in the churn test")
	fs.DurationVar(&c.churnRetain, "churn-retention", 5*time.Second, "--netns.retention of the churn test's own exporter, which must forget the dead namespaces before memory is compared")
	fs.IntVar(&c.promptProbes, "prompt-probes", 10, "single link creations timed until they show on /metrics")
	fs.BoolVar(&c.overrun, "overrun", true, "also run a burst against a second exporter with a tiny receive buffer")
	fs.StringVar(&c.overrunBuffer, "overrun-buffer", "4096", "--netlink.receive-buffer-size of the overrun exporter")
	fs.IntVar(&c.detailPods, "detail-pods", 1000, "pods (a namespace with lo and a veth to a host bridge) of the --links.detail stage; 0 skips it")
	fs.IntVar(&c.pods, "pods", 110, "pod sandboxes of a real containerd at the pods stage's first step (kubelet's default maximum per node); 0 skips the stage")
	fs.IntVar(&c.podsMax, "pods-max", 1000, "pod sandboxes at the pods stage's second step, the most this machine runs in a few minutes (each costs a shim process, about 6 MiB); not above -pods skips it")
	fs.IntVar(&c.podProbes, "pod-probes", 10, "pods started one at a time at each step of the pods stage, timed until their names are on /metrics")
	fs.IntVar(&c.busyNS, "busy-ns", 150, "namespaces of 9 bridges each that the lifecycle stage deletes in bulk, to hold RTNL while an exporter starts and while one stops")
	fs.BoolVar(&c.events, "events", true, "also measure the exporter's CPU per event with an /events client reading, against none")
	fs.DurationVar(&c.timeout, "timeout", 60*time.Second, "longest wait for any one condition")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if stages != "" {
		c.stages = strings.Split(stages, ",")
	}
	if c.quick {
		set := make(map[string]bool)
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		// The smoke run's sizes, small enough for CI.
		for _, q := range []struct {
			name string
			p    *int
			v    int
		}{
			{"pairs", &c.pairs, 1000}, {"repeats", &c.repeats, 3},
			{"parallel-ns", &c.parallelNS, 5}, {"parallel-pairs", &c.parallelPairs, 100},
			{"scale-ns", &c.scaleNS, 100}, {"churn", &c.churn, 50},
			{"detail-pods", &c.detailPods, 100}, {"busy-ns", &c.busyNS, 20},
			{"pods", &c.pods, 20}, {"pods-max", &c.podsMax, 0}, {"pod-probes", &c.podProbes, 3},
		} {
			if !set[q.name] {
				*q.p = q.v
			}
		}
	}
	return c, c.validate()
}

// runs reports whether the stage is to run.
func (c config) runs(stage string) bool {
	return len(c.stages) == 0 || slices.Contains(c.stages, stage)
}

func (c config) validate() error {
	for _, s := range c.stages {
		if !slices.Contains(strings.Split(stageNames, ", "), s) {
			return fmt.Errorf("-stages: no stage %q, want some of %s", s, stageNames)
		}
	}
	for name, v := range map[string]int{
		"-pairs": c.pairs, "-repeats": c.repeats, "-parallel-ns": c.parallelNS,
		"-parallel-pairs": c.parallelPairs, "-scale-ns": c.scaleNS, "-scale-links": c.scaleLinks,
		"-churn-batch": c.churnBatch, "-prompt-probes": c.promptProbes, "-busy-ns": c.busyNS,
	} {
		if v < 1 {
			return fmt.Errorf("%s: must be at least 1, got %d", name, v)
		}
	}
	switch {
	case c.pinNS < 0 || c.pinNS > c.scaleNS:
		return fmt.Errorf("-pin-ns: must be between 0 and -scale-ns (%d), got %d", c.scaleNS, c.pinNS)
	case c.churn < 0:
		return fmt.Errorf("-churn: must not be negative, got %d", c.churn)
	case c.detailPods < 0:
		return fmt.Errorf("-detail-pods: must not be negative, got %d", c.detailPods)
	case c.pods < 0:
		return fmt.Errorf("-pods: must not be negative, got %d", c.pods)
	case c.pods > 0 && c.podProbes < 1:
		return fmt.Errorf("-pod-probes: must be at least 1, got %d", c.podProbes)
	case c.pods > 0 && c.podProbes > c.pods:
		return fmt.Errorf("-pod-probes: must not be above -pods (%d), got %d", c.pods, c.podProbes)
	case c.podsMax > 2000:
		return fmt.Errorf("-pods-max: the runtime's network has room for 2,000 pods, got %d", c.podsMax)
	case c.timeout <= 0:
		return errors.New("-timeout: must be positive")
	case c.churnRetain <= 0:
		return errors.New("-churn-retention: must be positive")
	}
	return nil
}
