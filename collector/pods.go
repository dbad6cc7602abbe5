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

package collector

import (
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netlink-exporter/netlink_exporter/pods"
)

// A PodSource says how the attribution of namespaces to pods goes.
// *pods.Resolver is one.
type PodSource interface {
	Stats() pods.Stats
}

var (
	podsRuntimeInfoDesc = prometheus.NewDesc(namespace+"_pods_runtime_info",
		"The CRI runtime that pods are attributed through, always 1. Absent while none answers.",
		[]string{"endpoint", "runtime", "version"}, nil)
	podsCRIRequestsDesc = prometheus.NewDesc(namespace+"_pods_cri_requests_total",
		"Calls to the CRI runtime, by method.",
		[]string{"method"}, nil)
	podsCRIErrorsDesc = prometheus.NewDesc(namespace+"_pods_cri_errors_total",
		"Calls to the CRI runtime that failed, by method. Failed calls are retried.",
		[]string{"method"}, nil)
)

type podsCollector struct {
	src PodSource
}

var _ prometheus.Collector = (*podsCollector)(nil)

// NewPods returns a collector of the attribution's own metrics: which
// runtime it uses, and its calls and their errors.
func NewPods(src PodSource) prometheus.Collector {
	return &podsCollector{src: src}
}

// Describe implements prometheus.Collector.
func (c *podsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- podsRuntimeInfoDesc
	ch <- podsCRIRequestsDesc
	ch <- podsCRIErrorsDesc
}

// Collect implements prometheus.Collector.
func (c *podsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Stats()
	if s.Endpoint != "" {
		m, err := prometheus.NewConstMetric(podsRuntimeInfoDesc, prometheus.GaugeValue, 1, s.Endpoint, s.RuntimeName, s.RuntimeVersion)
		ch <- orInvalid(podsRuntimeInfoDesc, m, err)
	}
	counter := func(d *prometheus.Desc, v uint64, method string) {
		var (
			m   prometheus.Metric
			err error
		)
		if s.Started.IsZero() {
			m, err = prometheus.NewConstMetric(d, prometheus.CounterValue, float64(v), method)
		} else {
			m, err = prometheus.NewConstMetricWithCreatedTimestamp(d, prometheus.CounterValue, float64(v), s.Started, method)
		}
		ch <- orInvalid(d, m, err)
	}
	for _, m := range slices.Sorted(maps.Keys(s.Requests)) {
		counter(podsCRIRequestsDesc, s.Requests[m], m)
	}
	for _, m := range slices.Sorted(maps.Keys(s.Errors)) {
		counter(podsCRIErrorsDesc, s.Errors[m], m)
	}
}

// orInvalid returns m, or an invalid metric of d if building m failed: a
// label value that is not valid UTF-8 fails its own series, not the scrape.
func orInvalid(d *prometheus.Desc, m prometheus.Metric, err error) prometheus.Metric {
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
