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
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"go.yaml.in/yaml/v2"
)

// scrapeConfigFile is the scrape job for a Prometheus without the
// Operator. Debian's promtool is built without Kubernetes service discovery
// and rejects kubernetes_sd_configs, so the job is read here: its relabel
// rules with Prometheus's own code, and run on the targets that Kubernetes
// discovery would make of the DaemonSet's pods.
const scrapeConfigFile = "kubernetes/prometheus-scrape-config.yml"

// A scrapeJob is the part of a Prometheus scrape config that the file uses;
// strict decoding rejects any other key.
type scrapeJob struct {
	JobName        string         `yaml:"job_name"`
	ScrapeInterval model.Duration `yaml:"scrape_interval"`
	ScrapeTimeout  model.Duration `yaml:"scrape_timeout"`
	HonorLabels    bool           `yaml:"honor_labels"`
	KubernetesSD   []struct {
		Role       string `yaml:"role"`
		Namespaces struct {
			Names []string `yaml:"names"`
		} `yaml:"namespaces"`
	} `yaml:"kubernetes_sd_configs"`
	RelabelConfigs []*relabel.Config `yaml:"relabel_configs"`
}

func readScrapeJob(t *testing.T) scrapeJob {
	t.Helper()
	data, err := os.ReadFile(scrapeConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		ScrapeConfigs []scrapeJob `yaml:"scrape_configs"`
	}
	if err := yaml.UnmarshalStrict(data, &file); err != nil {
		t.Fatalf("%s: %v", scrapeConfigFile, err)
	}
	if len(file.ScrapeConfigs) != 1 {
		t.Fatalf("%s: %d scrape configs, want 1", scrapeConfigFile, len(file.ScrapeConfigs))
	}
	job := file.ScrapeConfigs[0]
	for i, rc := range job.RelabelConfigs {
		if err := rc.Validate(model.UTF8Validation); err != nil {
			t.Fatalf("%s: relabel_configs[%d]: %v", scrapeConfigFile, i, err)
		}
	}
	return job
}

// podTargets are the targets that Kubernetes pod discovery makes of a pod:
// one per container port, with the pod's labels as meta labels.
func podTargets(podLabels map[string]string, node string, ports ...string) []map[string]string {
	var targets []map[string]string
	for _, p := range ports {
		t := map[string]string{
			model.AddressLabel:                          "10.0.0.1:9917",
			"__meta_kubernetes_namespace":               kubeNamespace,
			"__meta_kubernetes_pod_node_name":           node,
			"__meta_kubernetes_pod_container_port_name": p,
		}
		for k, v := range podLabels {
			t["__meta_kubernetes_pod_label_"+strings.NewReplacer(".", "_", "/", "_", "-", "_").Replace(k)] = v
		}
		targets = append(targets, t)
	}
	return targets
}

// TestScrapeConfigSelectsExporterPods relabels the targets of the rendered
// DaemonSet's pods, and of another pod, as Prometheus would.
func TestScrapeConfigSelectsExporterPods(t *testing.T) {
	job := readScrapeJob(t)
	ds := renderOne(t).daemonSets[0]

	if len(job.KubernetesSD) != 1 || job.KubernetesSD[0].Role != "pod" {
		t.Fatalf("kubernetes_sd_configs %+v, want one with role pod", job.KubernetesSD)
	}
	if names := job.KubernetesSD[0].Namespaces.Names; len(names) != 1 || names[0] != kubeNamespace {
		t.Errorf("kubernetes_sd_configs namespaces %q, want [%s], the kustomization's", names, kubeNamespace)
	}
	if job.ScrapeTimeout > job.ScrapeInterval || job.ScrapeInterval > model.Duration(time.Minute) {
		t.Errorf("scrape_interval %v, scrape_timeout %v: want the timeout within an interval of a minute at most", job.ScrapeInterval, job.ScrapeTimeout)
	}

	exporterLabels := ds.Spec.Template.Labels
	otherLabels := maps.Clone(exporterLabels)
	otherLabels["app.kubernetes.io/name"] = "node-exporter"
	tests := []struct {
		name    string
		targets []map[string]string
		want    int
	}{
		{"exporter pod: its metrics port", podTargets(exporterLabels, "node-1", metricsPort, "other"), 1},
		{"another pod", podTargets(otherLabels, "node-1", metricsPort), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var kept []labels.Labels
			for _, target := range tt.targets {
				lb := labels.NewBuilder(labels.FromMap(target))
				if relabel.ProcessBuilder(lb, job.RelabelConfigs...) {
					kept = append(kept, lb.Labels())
				}
			}
			if len(kept) != tt.want {
				t.Fatalf("kept %d targets %v, want %d", len(kept), kept, tt.want)
			}
			for _, l := range kept {
				if l.Get("__meta_kubernetes_pod_container_port_name") != metricsPort || l.Get("node") != "node-1" {
					t.Errorf("kept %v, want the %s port with node=node-1", l, metricsPort)
				}
			}
		})
	}
}
