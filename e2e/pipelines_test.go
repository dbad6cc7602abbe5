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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// A pipeline is a way the exporter's samples reach a Prometheus that
// TestE2EPrometheus queries.
type pipeline struct {
	// name names the subtest. It is also the external label prometheus of
	// the server that evaluates the rules, on the alerts it sends.
	name string
	// p is the Prometheus that the test queries. It is nil where a binary
	// is missing, and skip says which.
	p    *promServer
	skip string
	// labels are added to every series on the way.
	labels map[string]string
	// leftOpen says that range selectors leave out a sample at the range's
	// start, as Prometheus 3's do; they have the anchored modifier.
	leftOpen bool
	// created says that the counters' created timestamps are ingested.
	created bool
	// t0 and t1 are the timestamps of the scrapes that begin and end the
	// test's window.
	t0, t1 model.Time
}

// selector returns the PromQL selector of c's series as p has it.
func (pl *pipeline) selector(c counterCheck) string { return c.selector(pl.labels) }

// withServers returns the pipelines that have a server, and skips t if
// none has.
func withServers(t *testing.T, ps []*pipeline) []*pipeline {
	t.Helper()
	out := slices.DeleteFunc(slices.Clone(ps), func(pl *pipeline) bool { return pl.p == nil })
	if len(out) == 0 {
		var why []string
		for _, pl := range ps {
			why = append(why, pl.name+": "+pl.skip)
		}
		t.Skip(strings.Join(why, "; "))
	}
	return out
}

// window is the time from t0 to t1.
func (pl *pipeline) window() time.Duration { return time.Duration(pl.t1-pl.t0) * time.Millisecond }

// createdTimestamps is the feature of Prometheus 3 that ingests created
// timestamps: it asks for the protobuf format, which carries them, and
// stores a zero before the first value of a new series.
const createdTimestamps = "--enable-feature=created-timestamp-zero-ingestion"

// startPipelines starts, for the exporter at target, with the rules of
// rulesFile and alerts sent to the alertmanagers:
//   - prometheus2: the prometheus on PATH (Debian's 2.42), scraping the
//     exporter;
//   - prometheus3: Prometheus 3, which `make prometheus3` builds, the same;
//   - prometheus3-created: Prometheus 3 with createdTimestamps;
//   - agent: Prometheus 3 in agent mode with createdTimestamps, scraping the
//     exporter with the agent configuration of deploy/ and forwarding to a
//     central Prometheus 3 that receives remote writes and evaluates the
//     rules.
//
// A pipeline whose binary is missing has no server, and its subtest skips;
// in CI, a missing binary fails the test.
func startPipelines(t *testing.T, target, rulesFile string, alertmanagers []string) []*pipeline {
	t.Helper()
	p2, missing2 := lookTool(t, "prometheus")
	p3, missing3 := lookPrometheus3(t, "prometheus")
	prom2 := &pipeline{name: "prometheus2", skip: missing2}
	prom3 := &pipeline{name: "prometheus3", skip: missing3, leftOpen: true}
	prom3Created := &pipeline{name: "prometheus3-created", skip: missing3, leftOpen: true, created: true}
	agent := &pipeline{name: "agent", skip: missing3, leftOpen: true, created: true,
		labels: map[string]string{"cluster": agentCluster, "node": agentNode}}

	server := func(pl *pipeline, flags ...string) promOptions {
		return promOptions{name: pl.name, target: target, rulesFile: rulesFile, alertmanagers: alertmanagers, flags: flags}
	}
	if p2 != "" {
		prom2.p = startPrometheus(t, p2, server(prom2))
	}
	if p3 != "" {
		prom3.p = startPrometheus(t, p3, server(prom3))
		prom3Created.p = startPrometheus(t, p3, server(prom3Created, createdTimestamps))
		central := server(agent, "--web.enable-remote-write-receiver")
		central.target = ""
		agent.p = startPrometheus(t, p3, central)
		config, job := agentConfigForTest(t, target, agent.p.URL+"/api/v1/write")
		agent.p.job = job
		startAgent(t, p3, config, createdTimestamps)
	}
	return []*pipeline{prom2, prom3, prom3Created, agent}
}
