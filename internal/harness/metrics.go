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

package harness

import (
	"fmt"
	"io"
	"sort"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// A Sample is one series of a scrape: its labels and its value.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Metrics are the counter, gauge and untyped samples of a scrape, by metric
// family name. Summaries and histograms are left out.
type Metrics map[string][]Sample

// ParseMetrics parses the text exposition format.
func ParseMetrics(r io.Reader) (Metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("harness: parse metrics: %w", err)
	}
	m := make(Metrics, len(fams))
	for name, f := range fams {
		for _, s := range f.GetMetric() {
			var v float64
			switch {
			case s.Counter != nil:
				v = s.GetCounter().GetValue()
			case s.Gauge != nil:
				v = s.GetGauge().GetValue()
			case s.Untyped != nil:
				v = s.GetUntyped().GetValue()
			default:
				continue
			}
			labels := make(map[string]string, len(s.GetLabel()))
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			m[name] = append(m[name], Sample{Labels: labels, Value: v})
		}
	}
	return m, nil
}

// Matches reports whether s has every label of want; a missing label
// matches an empty value, as in Prometheus.
func (s Sample) Matches(want map[string]string) bool {
	for k, v := range want {
		if s.Labels[k] != v {
			return false
		}
	}
	return true
}

// Value returns the value of the one series of name that has the labels
// (others may differ), and false if there is none or more than one.
func (m Metrics) Value(name string, labels map[string]string) (float64, bool) {
	var v float64
	n := 0
	for _, s := range m[name] {
		if s.Matches(labels) {
			v = s.Value
			n++
		}
	}
	return v, n == 1
}

// Sum adds up the series of name that have the labels, and returns how many
// there were.
func (m Metrics) Sum(name string, labels map[string]string) (float64, int) {
	return m.SumFunc(name, func(s Sample) bool { return s.Matches(labels) })
}

// SumFunc adds up the series of name that keep selects, and returns how
// many there were.
func (m Metrics) SumFunc(name string, keep func(Sample) bool) (float64, int) {
	var v float64
	n := 0
	for _, s := range m[name] {
		if keep(s) {
			v += s.Value
			n++
		}
	}
	return v, n
}

// Series lists the series, of any family, that have the labels, as
// name{labels}, sorted.
func (m Metrics) Series(labels map[string]string) []string {
	var out []string
	for name, ss := range m {
		for _, s := range ss {
			if s.Matches(labels) {
				out = append(out, name+fmt.Sprint(s.Labels))
			}
		}
	}
	sort.Strings(out)
	return out
}
