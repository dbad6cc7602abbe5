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
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// prometheus3DirEnv names the directory of the Prometheus 3 binaries that
// `make prometheus3` builds; the repository's .cache/prometheus3 if unset.
const prometheus3DirEnv = "PROMETHEUS3_DIR"

// lookPrometheus3 returns the path of Prometheus 3's program name
// (prometheus or promtool). Where it is missing, it fails t in CI
// (CI=true), where .ci/run builds it; elsewhere it returns why the caller
// should skip.
func lookPrometheus3(t *testing.T, name string) (path, missing string) {
	t.Helper()
	dir := os.Getenv(prometheus3DirEnv)
	if dir == "" {
		dir = filepath.Join("..", ".cache", "prometheus3")
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err == nil {
		_, err = os.Stat(path)
	}
	switch {
	case err == nil:
		return path, ""
	case os.Getenv("CI") == "true":
		t.Fatalf("Prometheus 3's %s is needed and CI=true: %v (.ci/run builds it with make prometheus3)", name, err)
	}
	return "", fmt.Sprintf("skipping: Prometheus 3's %s is not built: %v (make prometheus3 builds it)", name, err)
}

// agentConfigFile is the product's configuration of Prometheus in agent
// mode, which TestE2EPrometheus runs between the exporter and a central
// Prometheus.
const agentConfigFile = "../deploy/prometheus/agent.yml"

// The cluster and node that agentConfigForTest gives the exporter.
const (
	agentCluster = "e2e"
	agentNode    = "e2e-node"
)

// agentConfigForTest returns a copy of agentConfigFile that scrapes the
// exporter at target every second and forwards to writeURL, and the name
// of its scrape job. The job keeps its relabelling: instead of Kubernetes
// discovery, a static target carries the meta labels that pod discovery
// gives the exporter's pod, which the relabelling keeps and labels with
// agentNode. The cluster label is agentCluster. Remote write sends a batch
// after a second rather than five, so that the test waits less.
func agentConfigForTest(t *testing.T, target, writeURL string) (file, job string) {
	t.Helper()
	b, err := os.ReadFile(agentConfigFile)
	if err != nil {
		t.Fatalf("the agent configuration is part of the product: %v", err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("%s: %v", agentConfigFile, err)
	}
	global := yamlMap(t, cfg["global"], "global")
	global["scrape_interval"], global["scrape_timeout"] = "1s", "1s"
	global["external_labels"] = map[string]any{"cluster": agentCluster}

	jobs := yamlList(t, cfg["scrape_configs"], "scrape_configs")
	rws := yamlList(t, cfg["remote_write"], "remote_write")
	if len(jobs) != 1 || len(rws) != 1 {
		t.Fatalf("%s: %d scrape jobs and %d remote writes, want one of each", agentConfigFile, len(jobs), len(rws))
	}
	j := yamlMap(t, jobs[0], "scrape_configs[0]")
	if _, ok := j["kubernetes_sd_configs"]; !ok {
		t.Fatalf("%s: the job has no kubernetes_sd_configs to stand in for", agentConfigFile)
	}
	delete(j, "kubernetes_sd_configs")
	j["scrape_interval"], j["scrape_timeout"] = "1s", "1s"
	j["static_configs"] = []any{map[string]any{
		"targets": []any{target},
		"labels": map[string]any{
			"__meta_kubernetes_pod_label_app_kubernetes_io_name": "netlink-exporter",
			"__meta_kubernetes_pod_container_port_name":          "metrics",
			"__meta_kubernetes_pod_node_name":                    agentNode,
		},
	}}
	rw := yamlMap(t, rws[0], "remote_write[0]")
	rw["url"] = writeURL
	rw["queue_config"] = map[string]any{"batch_send_deadline": "1s"}

	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "agent.yml")
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	job, _ = j["job_name"].(string)
	return file, job
}

// yamlMap returns v as a YAML mapping, failing t if it is not one.
func yamlMap(t *testing.T, v any, what string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: %s is %T, want a mapping", agentConfigFile, what, v)
	}
	return m
}

// yamlList returns v as a YAML sequence, failing t if it is not one.
func yamlList(t *testing.T, v any, what string) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%s: %s is %T, want a sequence", agentConfigFile, what, v)
	}
	return l
}
