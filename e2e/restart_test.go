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
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// TestE2EPrometheusRestart restarts the exporter, as a rollout does, under
// each pipeline of TestE2EPrometheus, and checks what increase() makes of
// a counter across the restart. The target keeps its address, as a node's
// exporter does, so the series keep their labels: a rate over a window with
// the restart in it, such as the rules' 1-day baselines, sees one counter
// reset. The links that the old exporter counted and those that the new one
// counts are in increase(); those made while neither ran are lost, and the
// new one takes the links present at its start as its baseline.
//
// The new exporter counts more links before its first scrape than the old
// one had counted in all. Without created timestamps Prometheus then sees
// no reset, the counter having grown, and loses what the old exporter had
// counted, unless it scraped the new one before those links came; the test
// logs which. With them, Prometheus stores a zero at the new exporter's
// start and counts every link; the test asserts it.
func TestE2EPrometheusRestart(t *testing.T) {
	t.Parallel()
	testns.RequireRoot(t)
	if !testns.Isolate(t) {
		return
	}
	testns.IP(t, "link", "set", "lo", "up")
	// The exporters listen on addr beside the harness's own port.
	addr := freeAddr(t)
	args := append([]string{"--web.listen-address=" + addr}, dirOnly...)
	old := startRestartable(t, args)
	pipelines := startPipelines(t, addr, rulesFile, nil)
	running := withServers(t, pipelines)

	ns := testns.Add(t)
	pairs := func(prefix string, n int) {
		lines := make([]string, n)
		for i := range lines {
			lines[i] = fmt.Sprintf("link add %s%d type veth peer name %s%dp", prefix, i, prefix, i)
		}
		testns.IPBatch(t, ns, lines)
	}
	creations := func(v float64) []counterCheck {
		return []counterCheck{{"netlink_link_creations_total", inNetns(ns, "veth"), v, 0}}
	}
	// The series exists before the window.
	pairs("base", 1)
	waitCounters(old, creations(2), false)
	start := time.Now()
	for _, pl := range running {
		pl.t0 = pl.p.scrapedAfter(t, start)
	}

	const before, lost, after = 1, 1, 3
	pairs("before", before)
	waitCounters(old, creations(2+2*before), false)
	// Every pipeline has the old exporter's last count.
	counted := time.Now()
	for _, pl := range running {
		pl.p.scrapedAfter(t, counted)
	}
	if err := old.proc.Stop(stopTimeout); err != nil {
		t.Fatal(err)
	}
	pairs("lost", lost)
	restarted := startExporter(t, args...)
	pairs("after", after)
	waitCounters(restarted, creations(2*after), false)
	end := time.Now()
	for _, pl := range running {
		pl.t1 = pl.p.scrapedAfter(t, end)
	}

	want := float64(2 * (before + after))
	for _, pl := range pipelines {
		t.Run(pl.name, func(t *testing.T) {
			if pl.p == nil {
				t.Skip(pl.skip)
			}
			r := fmt.Sprintf("[%dms]", pl.window().Milliseconds())
			if pl.leftOpen {
				r += " anchored"
			}
			q := "increase(" + pl.selector(creations(0)[0]) + r + ")"
			got := pl.p.value(t, q, pl.t1)
			switch {
			case pl.created && got != want:
				t.Errorf("%s = %v, want %v: the %d links counted before the restart and the %d after",
					q, got, want, 2*before, 2*after)
			case !pl.created:
				t.Logf("%s = %v of the %v counted before and after the restart (%d lost while no exporter ran)", q, got, want, 2*lost)
			default:
				t.Logf("%s = %v: every link counted before and after the restart (%d lost while no exporter ran)", q, got, 2*lost)
			}
		})
	}
}

// startRestartable starts an exporter with args that the test stops
// itself, and returns it; Cleanup kills it if the test did not stop it.
func startRestartable(t *testing.T, args []string) *exporter {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	p, err := harness.StartExporter(ctx, exporterBinary(), harness.Options{Args: args})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return &exporter{Client: p.Client, t: t, proc: p}
}

// freeAddr returns a loopback address whose port is free now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
