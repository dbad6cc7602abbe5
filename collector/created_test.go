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
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/netlink-exporter/netlink_exporter/pods"
)

// protoFirst is the Accept header of Prometheus 3 with
// --enable-feature=created-timestamp-zero-ingestion, which prefers the
// protobuf format: only it carries created timestamps.
const protoFirst = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7," +
	"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5," +
	"text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

// scrapeProto serves g through promhttp as the exporter does and decodes
// the protobuf answer to protoFirst.
func scrapeProto(t *testing.T, g prometheus.TransactionalGatherer) map[string]*dto.MetricFamily {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", protoFirst)
	rec := httptest.NewRecorder()
	promhttp.HandlerForTransactional(g, promhttp.HandlerOpts{}).ServeHTTP(rec, req)
	resp := rec.Result()
	format := expfmt.ResponseFormat(resp.Header)
	if resp.StatusCode != http.StatusOK || format.FormatType() != expfmt.TypeProtoDelim {
		t.Fatalf("GET /metrics: %d, Content-Type %q; want 200 and the delimited protobuf format", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	dec := expfmt.NewDecoder(resp.Body, format)
	mfs := make(map[string]*dto.MetricFamily)
	for {
		mf := new(dto.MetricFamily)
		err := dec.Decode(mf)
		if errors.Is(err, io.EOF) {
			return mfs
		}
		if err != nil {
			t.Fatal(err)
		}
		mfs[mf.GetName()] = mf
	}
}

// labelValue returns the value of the label name of m, or "".
func labelValue(m *dto.Metric, name string) string {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

// TestCollectCreated reads the counters as Prometheus 3 does with
// created-timestamp-zero-ingestion: in the protobuf format, through
// promhttp. Every series of a namespace and kind carries the time the kind's
// counters began, moves and flag changes included, which have a series only
// from their first count; the global counters carry the monitor's start,
// and the per-link ones the link's first sight. A counter whose start the
// source does not know, and a gauge, carry none.
func TestCollectCreated(t *testing.T) {
	snap := fullSnapshot(t)
	detail := detailSnapshot()
	ifaces, err := NewInterfaces(fakeInterfaces(detail), InterfaceOptions{MaxSeries: 100})
	if err != nil {
		t.Fatal(err)
	}
	g := Merge(New(fakeSource(snap), Options{}), ifaces)

	// want holds the created time of each series by namespace and kind
	// (netlink_link_*), namespace and link (netlink_interface_*), or ""
	// and "" (the global counters); the zero time for none.
	type key struct{ netns, of string }
	want := map[key]time.Time{{"", ""}: snap.Started}
	for _, ns := range snap.Namespaces {
		for _, k := range ns.Kinds {
			want[key{ns.Name, k.Kind}] = k.Created
		}
	}
	for _, ns := range detail.Namespaces {
		for _, i := range ns.Interfaces {
			want[key{ns.Name, i.Name}] = i.Created
		}
	}

	counters, withCreated := 0, 0
	for name, mf := range scrapeProto(t, g) {
		for _, m := range mf.GetMetric() {
			ct := m.GetCounter().GetCreatedTimestamp()
			if mf.GetType() != dto.MetricType_COUNTER {
				if ct != nil {
					t.Errorf("%s, a %v, has a created timestamp", name, mf.GetType())
				}
				continue
			}
			k := key{labelValue(m, "netns"), labelValue(m, "kind")}
			if i := labelValue(m, "interface"); i != "" {
				k.of = i
			}
			w, ok := want[k]
			if !ok {
				t.Errorf("%s%v: a series of no namespace and kind of the snapshot", name, m.GetLabel())
				continue
			}
			counters++
			switch {
			case w.IsZero() && ct != nil:
				t.Errorf("%s%v: created %v, want none", name, m.GetLabel(), ct.AsTime())
			case w.IsZero():
			case ct == nil:
				t.Errorf("%s%v: no created timestamp, want %v", name, m.GetLabel(), w)
			case !ct.AsTime().Equal(w):
				t.Errorf("%s%v: created %v, want %v", name, m.GetLabel(), ct.AsTime(), w)
			default:
				withCreated++
			}
		}
	}
	// 48 counters of fullText and 12 per-link ones, less the 4 of the
	// device kind of ino-4026532400 and 10 of links without a time.
	if counters != 60 || withCreated != 46 {
		t.Errorf("%d counter series, %d with a created timestamp; want 60 and 46", counters, withCreated)
	}
}

// The attribution's counters begin when its resolver was made: their
// series exist from then on, at zero.
func TestCollectPodsCreated(t *testing.T) {
	started := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewPods(fakePodSource(pods.Stats{
		Requests: map[string]uint64{"ListPodSandbox": 3}, Errors: map[string]uint64{"ListPodSandbox": 1},
		Started: started,
	})))
	n := 0
	for name, mf := range scrapeProto(t, prometheus.ToTransactionalGatherer(reg)) {
		for _, m := range mf.GetMetric() {
			n++
			if ct := m.GetCounter().GetCreatedTimestamp(); ct == nil || !ct.AsTime().Equal(started) {
				t.Errorf("%s%v: created %v, want %v", name, m.GetLabel(), ct.AsTime(), started)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d counters, want 2", n)
	}
}
