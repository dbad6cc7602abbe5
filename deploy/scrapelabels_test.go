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
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/scrape"
	"github.com/prometheus/prometheus/storage"
	"go.yaml.in/yaml/v2"
)

// What Prometheus stores of the exporter's series is tested here with
// Prometheus's own scrape code: the target labels that service discovery
// and the relabeling make, and the honor_labels setting, applied to a
// scrape of an exporter's text. The Prometheus Operator's part, the scrape
// config it generates from the ServiceMonitor, is written out below as its
// code and golden files have it (pkg/prometheus/promcfg.go): it adds the
// target labels namespace, service, pod, container, endpoint, job and
// node, then the ServiceMonitor's relabelings.

// podNamespace and podName are those of the pod whose namespace the
// exporter names, exporterPod is the exporter's own.
const (
	podNamespace = "shop"
	podName      = "web-0"
	exporterPod  = "netlink-exporter-x7k2p"
)

// exposition is part of what an exporter serves on a node with one pod;
// withPodLabels is the same with --pods.labels.
const (
	exposition = `# TYPE netlink_netns_pod_info gauge
netlink_netns_pod_info{namespace="shop",netns="cni-1234",pod="web-0",uid="6f1c0e52"} 1
# TYPE netlink_links gauge
netlink_links{kind="device",netns="host",operstate="unknown"} 1
netlink_links{kind="veth",netns="cni-1234",operstate="up"} 1
`
	withPodLabels = `# TYPE netlink_netns_pod_info gauge
netlink_netns_pod_info{namespace="shop",netns="cni-1234",pod="web-0",uid="6f1c0e52"} 1
# TYPE netlink_links gauge
netlink_links{kind="device",namespace="",netns="host",operstate="unknown",pod=""} 1
netlink_links{kind="veth",namespace="shop",netns="cni-1234",operstate="up",pod="web-0"} 1
`
)

// A capture is a storage that keeps the label sets of the samples a scrape
// commits.
type capture struct {
	mu     sync.Mutex
	series []labels.Labels
}

func (c *capture) AppenderV2(context.Context) storage.AppenderV2 { return &captureAppender{c: c} }

func (c *capture) get() []labels.Labels {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.series)
}

type captureAppender struct {
	c       *capture
	pending []labels.Labels
}

func (a *captureAppender) Append(_ storage.SeriesRef, ls labels.Labels, _, _ int64, _ float64, _ *histogram.Histogram, _ *histogram.FloatHistogram, _ storage.AppendV2Options) (storage.SeriesRef, error) {
	a.pending = append(a.pending, ls.Copy())
	return 0, nil
}

func (a *captureAppender) Commit() error {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	a.c.series = append(a.c.series, a.pending...)
	a.pending = nil
	return nil
}

func (a *captureAppender) Rollback() error {
	a.pending = nil
	return nil
}

// scrapeWith scrapes body, served by a test server, once with Prometheus's
// scrape manager, for the job of cfgYAML and a target with the given
// discovered labels, and returns the label sets of the samples stored.
func scrapeWith(t *testing.T, cfgYAML, job string, target map[string]string, body string) []labels.Labels {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	cfg, err := config.Load(cfgYAML, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, cfgYAML)
	}
	store := &capture{}
	m, err := scrape.NewManager(&scrape.Options{DiscoveryReloadInterval: model.Duration(10 * time.Millisecond)},
		nil, nil, nil, store, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ApplyConfig(cfg); err != nil {
		t.Fatal(err)
	}
	ls := model.LabelSet{model.AddressLabel: model.LabelValue(srv.Listener.Addr().String())}
	for k, v := range target {
		if k != model.AddressLabel {
			ls[model.LabelName(k)] = model.LabelValue(v)
		}
	}
	tsets := make(chan map[string][]*targetgroup.Group, 1)
	tsets <- map[string][]*targetgroup.Group{job: {{Source: "test", Targets: []model.LabelSet{ls}}}}
	done := make(chan struct{})
	go func() { _ = m.Run(tsets); close(done) }()
	defer func() { m.Stop(); <-done }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		got := store.get()
		if slices.ContainsFunc(got, func(l labels.Labels) bool { return l.Get(model.MetricNameLabel) == "up" }) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scrape of the target %v after 20s", ls)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sampleOf finds the sample of a metric with the exposed netns label, or
// the one "up".
func sampleOf(got []labels.Labels, name, netns string) (labels.Labels, bool) {
	i := slices.IndexFunc(got, func(l labels.Labels) bool {
		return l.Get(model.MetricNameLabel) == name && l.Get("netns") == netns
	})
	if i < 0 {
		return labels.EmptyLabels(), false
	}
	return got[i], true
}

// checkSamples compares the stored label sets of the samples of want,
// exactly; targetLabels are added to each.
func checkSamples(t *testing.T, got []labels.Labels, targetLabels map[string]string, want []map[string]string) {
	t.Helper()
	for _, w := range want {
		all := maps.Clone(w)
		maps.Copy(all, targetLabels)
		l, ok := sampleOf(got, w[model.MetricNameLabel], w["netns"])
		if !ok {
			t.Errorf("no sample %v among %v", w, got)
			continue
		}
		if wl := labels.FromMap(all); !labels.Equal(l, wl) {
			t.Errorf("stored %v, want %v", l, wl)
		}
	}
}

// operatorScrapeConfig writes the scrape config that the Prometheus
// Operator generates for endpoint i of the ServiceMonitor, without its
// sharding, at a short interval, and returns it with the job's name.
func operatorScrapeConfig(t *testing.T, sm *monitoringv1.ServiceMonitor, i int) (string, string) {
	t.Helper()
	ep := sm.Spec.Endpoints[i]
	type rc = map[string]any
	var rcs []rc
	rcs = append(rcs, rc{"source_labels": []string{"job"}, "target_label": "__tmp_prometheus_job_name"})
	for _, k := range slices.Sorted(maps.Keys(sm.Spec.Selector.MatchLabels)) {
		name := sanitize(k)
		rcs = append(rcs, rc{"action": "keep",
			"source_labels": []string{"__meta_kubernetes_service_label_" + name, "__meta_kubernetes_service_labelpresent_" + name},
			"regex":         "(" + sm.Spec.Selector.MatchLabels[k] + ");true"})
	}
	rcs = append(rcs,
		rc{"action": "keep", "source_labels": []string{"__meta_kubernetes_endpoint_port_name"}, "regex": ep.Port},
		rc{"source_labels": []string{"__meta_kubernetes_endpoint_address_target_kind", "__meta_kubernetes_endpoint_address_target_name"},
			"separator": ";", "regex": "Node;(.*)", "replacement": "${1}", "target_label": "node"},
		rc{"source_labels": []string{"__meta_kubernetes_endpoint_address_target_kind", "__meta_kubernetes_endpoint_address_target_name"},
			"separator": ";", "regex": "Pod;(.*)", "replacement": "${1}", "target_label": "pod"},
		rc{"source_labels": []string{"__meta_kubernetes_namespace"}, "target_label": "namespace"},
		rc{"source_labels": []string{"__meta_kubernetes_service_name"}, "target_label": "service"},
		rc{"source_labels": []string{"__meta_kubernetes_pod_name"}, "target_label": "pod"},
		rc{"source_labels": []string{"__meta_kubernetes_pod_container_name"}, "target_label": "container"},
		rc{"action": "drop", "source_labels": []string{"__meta_kubernetes_pod_phase"}, "regex": "(Failed|Succeeded)"},
		rc{"source_labels": []string{"__meta_kubernetes_service_name"}, "target_label": "job", "replacement": "${1}"},
	)
	if sm.Spec.JobLabel != "" {
		rcs = append(rcs, rc{"source_labels": []string{"__meta_kubernetes_service_label_" + sanitize(sm.Spec.JobLabel)},
			"target_label": "job", "regex": "(.+)", "replacement": "${1}"})
	}
	rcs = append(rcs, rc{"target_label": "endpoint", "replacement": ep.Port})
	for _, r := range ep.RelabelConfigs {
		c := rc{}
		if len(r.SourceLabels) > 0 {
			c["source_labels"] = r.SourceLabels
		}
		for k, v := range map[string]string{"target_label": r.TargetLabel, "regex": r.Regex, "action": strings.ToLower(r.Action)} {
			if v != "" {
				c[k] = v
			}
		}
		if r.Separator != nil {
			c["separator"] = *r.Separator
		}
		if r.Replacement != nil {
			c["replacement"] = *r.Replacement
		}
		rcs = append(rcs, c)
	}
	job := fmt.Sprintf("serviceMonitor/%s/%s/%d", sm.Namespace, sm.Name, i)
	out, err := yaml.Marshal(map[string]any{"scrape_configs": []map[string]any{{
		"job_name": job, "honor_labels": ep.HonorLabels, "metrics_path": "/metrics",
		"scrape_interval": "100ms", "scrape_timeout": "100ms", "relabel_configs": rcs,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(out), job
}

// sanitize makes a Kubernetes label name a Prometheus label name, as
// service discovery does in its meta labels.
func sanitize(name string) string {
	return regexp.MustCompile(`[^a-zA-Z0-9_]`).ReplaceAllString(name, "_")
}

// endpointsTarget is what endpoints discovery finds of the exporter's pod
// behind the Service: the labels the Operator's relabeling reads.
func endpointsTarget(svcLabels map[string]string, port string) map[string]string {
	t := map[string]string{
		"__meta_kubernetes_namespace":                    kubeNamespace,
		"__meta_kubernetes_service_name":                 "netlink-exporter",
		"__meta_kubernetes_endpoint_port_name":           port,
		"__meta_kubernetes_endpoint_address_target_kind": "Pod",
		"__meta_kubernetes_endpoint_address_target_name": exporterPod,
		"__meta_kubernetes_pod_name":                     exporterPod,
		"__meta_kubernetes_pod_container_name":           "netlink-exporter",
		"__meta_kubernetes_pod_node_name":                "node-1",
		"__meta_kubernetes_pod_phase":                    "Running",
	}
	for k, v := range svcLabels {
		t["__meta_kubernetes_service_label_"+sanitize(k)] = v
		t["__meta_kubernetes_service_labelpresent_"+sanitize(k)] = "true"
	}
	return t
}

// TestServiceMonitorLabels scrapes through the scrape config that the
// Operator makes of the shipped ServiceMonitor: the exporter's namespace and
// pod labels are stored as they are, series of no pod have neither, and
// none of the exporter's own pod's labels is left. Variants without the
// honor setting, and without the drop of the Operator's namespace label,
// show what each is for.
func TestServiceMonitorLabels(t *testing.T) {
	m := renderOne(t)
	svc, shipped := m.services[0], m.serviceMonitors[0]
	podInfo := map[string]string{"__name__": "netlink_netns_pod_info", "netns": "cni-1234", "namespace": podNamespace, "pod": podName, "uid": "6f1c0e52"}
	hostLinks := map[string]string{"__name__": "netlink_links", "netns": "host", "kind": "device", "operstate": "unknown"}
	podLinks := map[string]string{"__name__": "netlink_links", "netns": "cni-1234", "kind": "veth", "operstate": "up"}
	withPod := func(l map[string]string) map[string]string {
		l = maps.Clone(l)
		l["namespace"], l["pod"] = podNamespace, podName
		return l
	}

	tests := []struct {
		name   string
		mutate func(*monitoringv1.Endpoint)
		body   string
		// want are the exposed labels of samples; each also has the
		// target labels job, instance and node, and extra.
		want  []map[string]string
		extra map[string]string
	}{
		{name: "shipped", body: exposition, want: []map[string]string{podInfo, hostLinks, podLinks}},
		{name: "shipped, --pods.labels", body: withPodLabels, want: []map[string]string{podInfo, hostLinks, withPod(podLinks)}},
		{
			// Without honorLabels the exporter's labels would lose to the
			// Operator's, had they not been dropped: they stay, but the
			// setting says which wins.
			name: "without honorLabels", body: exposition,
			mutate: func(ep *monitoringv1.Endpoint) { ep.HonorLabels = false },
			want:   []map[string]string{podInfo, hostLinks, podLinks},
		},
		{
			// With honorLabels alone, the exporter's labels win where it
			// sets them, but the Operator's name the exporter's own pod on
			// every series that is no pod's.
			name: "without the drop of pod and namespace", body: exposition,
			mutate: func(ep *monitoringv1.Endpoint) {
				for i := range ep.RelabelConfigs {
					ep.RelabelConfigs[i].Regex = strings.ReplaceAll(ep.RelabelConfigs[i].Regex, "pod|namespace|", "")
				}
			},
			want: []map[string]string{
				podInfo,
				{"__name__": "netlink_links", "netns": "host", "kind": "device", "operstate": "unknown", "namespace": kubeNamespace, "pod": exporterPod},
			},
		},
		{
			// Without the drop, the exporter's pod's Kubernetes namespace
			// lands on every series that is no pod's, and the pod's
			// namespace is renamed away without honorLabels.
			name: "without honorLabels or the drop of namespace", body: exposition,
			mutate: func(ep *monitoringv1.Endpoint) {
				ep.HonorLabels = false
				for i := range ep.RelabelConfigs {
					ep.RelabelConfigs[i].Regex = strings.ReplaceAll(ep.RelabelConfigs[i].Regex, "|namespace", "")
				}
			},
			want: []map[string]string{
				{"__name__": "netlink_netns_pod_info", "netns": "cni-1234", "namespace": kubeNamespace, "exported_namespace": podNamespace, "pod": podName, "uid": "6f1c0e52"},
				{"__name__": "netlink_links", "netns": "host", "kind": "device", "operstate": "unknown", "namespace": kubeNamespace},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm := shipped.DeepCopy()
			if tt.mutate != nil {
				tt.mutate(&sm.Spec.Endpoints[0])
			}
			cfg, job := operatorScrapeConfig(t, sm, 0)
			got := scrapeWith(t, cfg, job, endpointsTarget(svc.Labels, metricsPort), tt.body)
			up, ok := sampleOf(got, "up", "")
			if !ok {
				t.Fatal("no up sample")
			}
			targetLabels := map[string]string{"job": up.Get("job"), "instance": up.Get("instance"), "node": "node-1"}
			if targetLabels["job"] != "netlink-exporter" {
				t.Errorf("job %q, want netlink-exporter (the jobLabel)", targetLabels["job"])
			}
			checkSamples(t, got, targetLabels, tt.want)
			if tt.mutate == nil {
				// Nothing of the exporter's own pod is left on any series.
				for _, l := range got {
					for _, name := range []string{"service", "endpoint", "container"} {
						if l.Has(name) {
							t.Errorf("%v has %s", l, name)
						}
					}
					if l.Get("pod") == exporterPod || l.Get("namespace") == kubeNamespace {
						t.Errorf("%v names the exporter's own pod", l)
					}
				}
			}
		})
	}
}

// TestScrapeConfigLabels scrapes through the plain scrape config, with pod
// discovery's target: the exporter's namespace and pod labels are stored as
// they are, and series of no pod have neither.
func TestScrapeConfigLabels(t *testing.T) {
	job := readScrapeJob(t)
	if !job.HonorLabels {
		t.Errorf("%s: honor_labels is false: the exporter's namespace and pod labels would lose to target labels of the same names", scrapeConfigFile)
	}
	ds := renderOne(t).daemonSets[0]
	target := podTargets(ds.Spec.Template.Labels, "node-1", metricsPort)[0]
	target["__meta_kubernetes_pod_name"] = exporterPod

	out, err := yaml.Marshal(map[string]any{"scrape_configs": []map[string]any{{
		"job_name": job.JobName, "honor_labels": job.HonorLabels, "metrics_path": "/metrics",
		"scrape_interval": "100ms", "scrape_timeout": "100ms", "relabel_configs": job.RelabelConfigs,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	got := scrapeWith(t, string(out), job.JobName, target, withPodLabels)
	up, _ := sampleOf(got, "up", "")
	targetLabels := map[string]string{"job": job.JobName, "instance": up.Get("instance"), "node": "node-1"}
	checkSamples(t, got, targetLabels, []map[string]string{
		{"__name__": "netlink_netns_pod_info", "netns": "cni-1234", "namespace": podNamespace, "pod": podName, "uid": "6f1c0e52"},
		{"__name__": "netlink_links", "netns": "host", "kind": "device", "operstate": "unknown"},
		{"__name__": "netlink_links", "netns": "cni-1234", "kind": "veth", "operstate": "up", "namespace": podNamespace, "pod": podName},
	})
}
