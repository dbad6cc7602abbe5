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
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/testcri"
)

// Bar of the spec's "Attributes pods" line.
const podNamedBar = time.Second

// podWorkers run sandboxes at once, as kubelet starts a node's pods in
// parallel; each sandbox takes the runtime about half a second here.
const podWorkers = 4

// podNamespaces are the Kubernetes namespaces that the stage's pods are
// spread over.
const podNamespaces = 5

// A podStep is what the attribution costs with some pods running.
type podStep struct {
	pods            int
	cpuOn, cpuOff   time.Duration // while the step's pods were started
	started         int           // pods started in the step
	rssOn, rssOff   int64
	delays          []time.Duration
	lists, statuses float64 // CRI calls per probe pod
	errors          float64
}

// pods measures the attribution of namespaces to pods on a real containerd
// (internal/testcri): two exporters of its own watch the same sandboxes,
// one naming their pods through CRI and one with --no-pods, so that the
// differences are the attribution's. At cfg.pods pods, then at
// cfg.podsMax, it reports the CPU and RSS added, and times probe pods from
// RunPodSandbox's return to their names on /metrics, counting the CRI
// calls each took.
func (b *bench) pods(ctx context.Context, bin string) error {
	if b.cfg.pods == 0 {
		return nil
	}
	if m := testcri.Missing(); m != "" {
		b.rep.figure("pods: stage skipped", m)
		return nil
	}
	rt, err := testcri.Start(ctx, testcri.Config{})
	if err != nil {
		return err
	}
	defer func() {
		start := time.Now()
		if err := rt.Close(); err != nil {
			b.rep.failed("pods: the runtime stops and leaves nothing", err)
		}
		b.logf("pods: runtime closed in %s", fmtDur(time.Since(start)))
	}()
	off, err := startExporter(ctx, bin, b.cfg.timeout, "--no-pods")
	if err != nil {
		return err
	}
	defer b.stopOwn(off, "pods-off")
	on, err := startExporter(ctx, bin, b.cfg.timeout, "--pods.runtime-endpoint="+rt.Socket)
	if err != nil {
		return err
	}
	defer b.stopOwn(on, "pods-on")

	targets := []int{b.cfg.pods}
	if b.cfg.podsMax > b.cfg.pods {
		targets = append(targets, b.cfg.podsMax)
	}
	running := 0
	var steps []podStep
	for _, target := range targets {
		st, err := b.podStep(ctx, rt, on, off, running, target-running-b.cfg.podProbes)
		if err != nil {
			return err
		}
		running += st.started + b.cfg.podProbes
		steps = append(steps, st)
	}
	b.reportPods(steps)
	return nil
}

// podStep starts n pods on top of running ones, measuring the exporters'
// CPU meanwhile, waits until all are named, then runs the probe pods one
// at a time.
func (b *bench) podStep(ctx context.Context, rt *testcri.Runtime, on, off *exporter, running, n int) (podStep, error) {
	st := podStep{started: max(n, 0)}
	b.logf("pods: starting %d pods on top of %d", st.started, running)
	on0, err := readCPU(on.PID())
	if err != nil {
		return st, err
	}
	off0, err := readCPU(off.PID())
	if err != nil {
		return st, err
	}
	if err := runPods(ctx, rt, running, st.started); err != nil {
		return st, err
	}
	want := running + st.started
	if _, _, err := on.waitFor(ctx, 250*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		return podsNamed(s) >= want
	}); err != nil {
		return st, fmt.Errorf("%d pods not all named: %w", want, err)
	}
	on1, err := readCPU(on.PID())
	if err != nil {
		return st, err
	}
	off1, err := readCPU(off.PID())
	if err != nil {
		return st, err
	}
	st.cpuOn, st.cpuOff = cpuSince(on0, on1), cpuSince(off0, off1)
	for i, e := range []*exporter{on, off} {
		mem, err := readMem(e.PID())
		if err != nil {
			return st, err
		}
		if i == 0 {
			st.rssOn = mem.rss
		} else {
			st.rssOff = mem.rss
		}
	}

	s0, err := on.scrape(ctx)
	if err != nil {
		return st, err
	}
	for i := range b.cfg.podProbes {
		name := fmt.Sprintf("probe-%d-%d", running, i)
		if _, err := rt.RunPod(ctx, testcri.PodConfig{Name: name, Namespace: "bench-probe"}); err != nil {
			return st, err
		}
		returned := time.Now()
		_, _, err := on.waitFor(ctx, 2*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
			_, ok := s.value("netlink_netns_pod_info", "pod", name)
			return ok
		})
		if err != nil {
			return st, fmt.Errorf("probe pod %s not named: %w", name, err)
		}
		st.delays = append(st.delays, time.Since(returned))
	}
	s1, err := on.scrape(ctx)
	if err != nil {
		return st, err
	}
	st.pods = running + st.started + b.cfg.podProbes
	probes := float64(b.cfg.podProbes)
	st.lists = (criCalls(s1, "netlink_pods_cri_requests_total", "ListPodSandbox") - criCalls(s0, "netlink_pods_cri_requests_total", "ListPodSandbox")) / probes
	st.statuses = (criCalls(s1, "netlink_pods_cri_requests_total", "PodSandboxStatus") - criCalls(s0, "netlink_pods_cri_requests_total", "PodSandboxStatus")) / probes
	st.errors, _ = s1.sum("netlink_pods_cri_errors_total", func(labels) bool { return true })
	return st, nil
}

// runPods runs n pods through podWorkers workers, numbered from first and
// spread over podNamespaces Kubernetes namespaces.
func runPods(ctx context.Context, rt *testcri.Runtime, first, n int) error {
	jobs := make(chan int)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range podWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				ns := "bench-" + strconv.Itoa(i%podNamespaces)
				if _, err := rt.RunPod(ctx, testcri.PodConfig{Name: "pod-" + strconv.Itoa(i), Namespace: ns}); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := first; i < first+n; i++ {
		if ctx.Err() != nil || len(errs) > 0 {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(errs) > 0 {
		return fmt.Errorf("%d pods failed, the first: %w", len(errs), errs[0])
	}
	return ctx.Err()
}

// podsNamed counts the namespaces that the exporter ties to a pod.
func podsNamed(s scrape) int {
	_, n := s.sum("netlink_netns_pod_info", func(l labels) bool { return strings.HasPrefix(l["namespace"], "bench-") })
	return n
}

func criCalls(s scrape, name, method string) float64 {
	v, _ := s.value(name, "method", method)
	return v
}

func (b *bench) reportPods(steps []podStep) {
	var rows [][]string
	for _, st := range steps {
		perPod := "-"
		if st.started > 0 {
			perPod = fmtDur((st.cpuOn - st.cpuOff) / time.Duration(st.started))
		}
		rows = append(rows, []string{
			strconv.Itoa(st.pods),
			fmt.Sprintf("%s / %s (%s a pod)", fmtDur(st.cpuOn), fmtDur(st.cpuOff), perPod),
			fmt.Sprintf("%s / %s (%s)", fmtBytes(st.rssOn), fmtBytes(st.rssOff), signedBytes(st.rssOn-st.rssOff)),
			fmt.Sprintf("median %s, max %s", fmtDur(median(st.delays)), fmtDur(slices.Max(st.delays))),
			fmt.Sprintf("%.1f List + %.1f Status", st.lists, st.statuses),
		})
	}
	b.rep.table(fmt.Sprintf("Pods: sandboxes of a real containerd, started %d at a time; two exporters watch them, with CRI attribution and --no-pods.\n"+
		"CPU while the step's pods started (with / without), RSS after; named = from RunPodSandbox's return to netlink_netns_pod_info on /metrics,\n"+
		"%d probe pods started one at a time after the step's; CRI calls per probe pod", podWorkers, b.cfg.podProbes),
		[]string{"pods", "CPU with / without", "RSS with / without", "named after", "CRI calls a pod"}, rows)
	for _, st := range steps {
		worst := slices.Max(st.delays)
		b.rep.check(perf, worst <= podNamedBar, fmt.Sprintf("pods: named on /metrics after RunPodSandbox (%d probes at %d pods)", len(st.delays), st.pods),
			fmt.Sprintf("median %s, max %s", fmtDur(median(st.delays)), fmtDur(worst)), "≤ "+fmtDur(podNamedBar))
		b.rep.check(exact, st.errors == 0, fmt.Sprintf("pods: CRI errors at %d pods", st.pods), fmt.Sprintf("%.0f", st.errors), "0")
	}
}
