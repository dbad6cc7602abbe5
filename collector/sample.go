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
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// A sample is a const metric whose label pairs, and for a counter its
// created timestamp, are shared with the other series of its namespace and
// kind. prometheus.NewConstMetric builds new pairs for every series, and
// that was half of a scrape at 1,000 namespaces.
type sample struct {
	desc  *prometheus.Desc
	value float64
	gauge bool
	// created is when a counter began at zero, or nil if the source does
	// not know. Only the protobuf format carries it: Prometheus 3 with
	// created-timestamp-zero-ingestion asks for that format and stores a
	// zero at this time before a new series' first value.
	created *timestamppb.Timestamp
	// labels are sorted by name, as the registry wants them.
	labels []*dto.LabelPair
}

var _ prometheus.Metric = (*sample)(nil)

func (s *sample) Desc() *prometheus.Desc { return s.desc }

func (s *sample) Write(m *dto.Metric) error {
	m.Label = s.labels
	if s.gauge {
		m.Gauge = &dto.Gauge{Value: &s.value}
	} else {
		m.Counter = &dto.Counter{Value: &s.value, CreatedTimestamp: s.created}
	}
	return nil
}

// createdAt returns t as a created timestamp, or nil for the zero time, which
// says that the source does not know when a counter began.
func createdAt(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// pairs hands out one label pair per name and value for one scrape.
type pairs map[[2]string]*dto.LabelPair

func (p pairs) get(name, value string) *dto.LabelPair {
	k := [2]string{name, value}
	lp, ok := p[k]
	if !ok {
		lp = &dto.LabelPair{Name: &k[0], Value: &k[1]}
		p[k] = lp
	}
	return lp
}
