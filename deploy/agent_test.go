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

package deploy_test

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/config"
	// Registers kubernetes_sd_configs, which the configurations use.
	_ "github.com/prometheus/prometheus/discovery/kubernetes"
)

// agentConfigFile is the configuration of Prometheus in agent mode, which
// scrapes the exporters and forwards their samples to a central store.
const agentConfigFile = "prometheus/agent.yml"

// TestAgentConfig loads the agent's configuration with Prometheus's own
// config package, as prometheus --agent does, and checks that it scrapes
// the exporters exactly as the job of scrapeConfigFile does (whose
// relabelling TestScrapeConfigSelectsExporterPods checks), labels them with
// the cluster from the agent's environment, and forwards them.
func TestAgentConfig(t *testing.T) {
	t.Setenv("CLUSTER", "prod-eu1")
	logger := promslog.NewNopLogger()
	agent, err := config.LoadFile(agentConfigFile, true, logger)
	if err != nil {
		t.Fatal(err)
	}
	prom, err := config.LoadFile(scrapeConfigFile, false, logger)
	if err != nil {
		t.Fatal(err)
	}

	if got := agent.GlobalConfig.ExternalLabels.Get("cluster"); got != "prod-eu1" {
		t.Errorf("external label cluster = %q, want $CLUSTER expanded (prod-eu1)", got)
	}
	if n := len(agent.RemoteWriteConfigs); n != 1 || agent.RemoteWriteConfigs[0].URL == nil {
		t.Fatalf("%d remote_write configs, want one with a URL", n)
	}
	if rw := agent.RemoteWriteConfigs[0]; len(rw.WriteRelabelConfigs) > 0 {
		t.Errorf("write_relabel_configs %v: the dashboard needs every series, the exporter's process_* and the agent's up and scrape_* included", rw.WriteRelabelConfigs)
	}

	jobs, err := agent.GetScrapeConfigs()
	if err != nil {
		t.Fatal(err)
	}
	want, err := prom.GetScrapeConfigs()
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || len(want) != 1 {
		t.Fatalf("%d scrape jobs in %s, %d in %s; want 1 and 1", len(jobs), agentConfigFile, len(want), scrapeConfigFile)
	}
	got, w := jobs[0], want[0]
	if got.JobName != w.JobName || got.ScrapeInterval != w.ScrapeInterval || got.ScrapeTimeout != w.ScrapeTimeout {
		t.Errorf("job %s every %v (timeout %v), want %s every %v (timeout %v) as in %s",
			got.JobName, got.ScrapeInterval, got.ScrapeTimeout, w.JobName, w.ScrapeInterval, w.ScrapeTimeout, scrapeConfigFile)
	}
	if !reflect.DeepEqual(got.ServiceDiscoveryConfigs, w.ServiceDiscoveryConfigs) {
		t.Errorf("service discovery %+v, want %s's %+v", got.ServiceDiscoveryConfigs, scrapeConfigFile, w.ServiceDiscoveryConfigs)
	}
	if !reflect.DeepEqual(got.RelabelConfigs, w.RelabelConfigs) {
		t.Errorf("relabel_configs differ from %s's:\n%v\nwant\n%v", scrapeConfigFile, got.RelabelConfigs, w.RelabelConfigs)
	}

	// Debian's promtool (2.42) knows no agent mode and no Kubernetes
	// discovery; Prometheus 3's checks the file as the agent reads it.
	t.Run("promtool 3", func(t *testing.T) {
		promtool := requirePrometheus3(t, "promtool")
		out, err := exec.CommandContext(t.Context(), promtool, "check", "config", "--agent", "--lint=all", agentConfigFile).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "SUCCESS") {
			t.Errorf("promtool check config --agent %s: %v\n%s", agentConfigFile, err, out)
		}
	})
}
