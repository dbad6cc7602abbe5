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

package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/promslog"

	"github.com/netlink-exporter/netlink_exporter/collector"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
	"github.com/netlink-exporter/netlink_exporter/pods"
)

// A fakeSource serves one namespace. Its Ready and Healthy return
// notReady and unhealthy.
type fakeSource struct {
	notReady, unhealthy error
}

func (f *fakeSource) Ready() error   { return f.notReady }
func (f *fakeSource) Healthy() error { return f.unhealthy }

// fakeStart is when fakeSource's counters began.
var fakeStart = time.Unix(1700000000, 0)

func (*fakeSource) Snapshot() netlinkmon.Snapshot {
	return netlinkmon.Snapshot{
		Namespaces: []netlinkmon.Namespace{{
			Name: "host", Inode: 4026531840, NSID: netlinkmon.NoNSID, Source: netlinkmon.SourceSelf, Alive: true,
			Kinds: []netlinkmon.KindCounters{{Kind: "veth", Created: fakeStart, Creations: 2}},
			Links: []netlinkmon.LinkCount{{Kind: "veth", OperState: "up", Count: 2}},
		}},
		Discoveries: 1,
		Started:     fakeStart,
	}
}

func (*fakeSource) InterfaceSnapshot() netlinkmon.InterfaceSnapshot {
	return netlinkmon.InterfaceSnapshot{
		Namespaces: []netlinkmon.NamespaceInterfaces{{
			Name: "host", Inode: 4026531840, NSID: netlinkmon.NoNSID, Source: netlinkmon.SourceSelf, Alive: true,
			Interfaces: []netlinkmon.Interface{
				{Index: 2, Name: "eth0", Kind: "veth", OperState: "up", Up: true, Carrier: true},
				{Index: 3, Name: "veth9", Kind: "veth", OperState: "up", Up: true, Carrier: true},
			},
		}},
	}
}

// fakePodStats is a resolver that uses containerd.
type fakePodStats struct{}

func (fakePodStats) Stats() pods.Stats {
	return pods.Stats{
		Endpoint: "/run/containerd/containerd.sock", RuntimeName: "containerd", RuntimeVersion: "1.6.20",
		Requests: map[string]uint64{"ListPodSandbox": 3}, Errors: map[string]uint64{"ListPodSandbox": 0},
	}
}

// Subscribe gives a stream that ends at once: the events are tested in
// package eventstream.
func (*fakeSource) Subscribe(buffer int, match func(*netlinkmon.Event) bool) *netlinkmon.Subscription {
	f := netlinkmon.NewFeed()
	f.Stop()
	return f.Subscribe(buffer, match)
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Code, string(body)
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		path     string
		wantCode int
		want     []string
		notWant  []string
	}{
		{
			name: "metrics with exporter metrics", path: "/metrics", wantCode: http.StatusOK,
			want: []string{
				`netlink_link_creations_total{kind="veth",netns="host"} 2`,
				`netlink_links{kind="veth",netns="host",operstate="up"} 2`,
				"netlink_exporter_build_info{",
				"go_goroutines ",
				"process_start_time_seconds ",
				"promhttp_metric_handler_requests_total{",
			},
		},
		{
			name: "metrics without exporter metrics", args: []string{"--web.disable-exporter-metrics"},
			path: "/metrics", wantCode: http.StatusOK,
			want:    []string{`netlink_link_creations_total{kind="veth",netns="host"} 2`, "netlink_exporter_build_info{"},
			notWant: []string{"go_", "process_", "promhttp_"},
		},
		{
			name: "custom telemetry path", args: []string{"--web.telemetry-path=/netlink"},
			path: "/netlink", wantCode: http.StatusOK,
			want: []string{"netlink_netns_discoveries_total 1"},
		},
		{
			name: "default path moved", args: []string{"--web.telemetry-path=/netlink"},
			path: "/metrics", wantCode: http.StatusNotFound,
		},
		{
			name: "landing page", path: "/", wantCode: http.StatusOK,
			want:    []string{"netlink_exporter", `href="/metrics"`, `href="/events"`},
			notWant: []string{"debug/pprof"},
		},
		{
			name: "no per-link series by default", path: "/metrics", wantCode: http.StatusOK,
			notWant: []string{"netlink_interface_"},
		},
		{
			name: "per-link series", args: []string{"--links.detail", "--links.detail.link-exclude=veth.*", "--links.detail.max-series=7"},
			path: "/metrics", wantCode: http.StatusOK,
			want: []string{
				`netlink_interface_info{ifindex="2",interface="eth0",kind="veth",master="",netns="host",operstate="up"} 1`,
				`netlink_interface_up{ifindex="2",interface="eth0",netns="host"} 1`,
				"netlink_interface_series_limit 7",
				"netlink_interface_series_dropped 0",
			},
			notWant: []string{`interface="veth9"`},
		},
		{
			name: "pod attribution's metrics", path: "/metrics", wantCode: http.StatusOK,
			want: []string{
				`netlink_pods_runtime_info{endpoint="/run/containerd/containerd.sock",runtime="containerd",version="1.6.20"} 1`,
				`netlink_pods_cri_requests_total{method="ListPodSandbox"} 3`,
			},
		},
		{
			name: "no pods", args: []string{"--no-pods"}, path: "/metrics", wantCode: http.StatusOK,
			notWant: []string{"netlink_pods_"},
		},
		{
			name: "pod labels", args: []string{"--pods.labels"}, path: "/metrics", wantCode: http.StatusOK,
			want: []string{`netlink_link_creations_total{kind="veth",namespace="",netns="host",pod=""} 2`},
		},
		{name: "events", path: "/events", wantCode: http.StatusOK},
		{
			name: "events off", args: []string{"--web.events.max-clients=0"},
			path: "/events", wantCode: http.StatusNotFound,
		},
		{
			name: "landing page without events", args: []string{"--web.events.max-clients=0"},
			path: "/", wantCode: http.StatusOK,
			want:    []string{`href="/metrics"`},
			notWant: []string{`href="/events"`},
		},
		{name: "healthy", path: "/-/healthy", wantCode: http.StatusOK, want: []string{"Healthy"}},
		{name: "ready", path: "/-/ready", wantCode: http.StatusOK, want: []string{"Ready"}},
		{name: "unknown path", path: "/nope", wantCode: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			var podStats collector.PodSource
			if cfg.pods != nil {
				podStats = fakePodStats{}
			}
			h, err := newHandler(cfg, &fakeSource{}, podStats, promslog.NewNopLogger())
			if err != nil {
				t.Fatal(err)
			}
			code, body := get(t, h, tt.path)
			if code != tt.wantCode {
				t.Errorf("GET %s: status %d; want %d", tt.path, code, tt.wantCode)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("GET %s: body lacks %q", tt.path, s)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(body, s) {
					t.Errorf("GET %s: body has %q", tt.path, s)
				}
			}
		})
	}
}

// The Accept headers of the scrapers the exporter serves.
const (
	// Prometheus 2.42, which parses an OpenMetrics _created line as a
	// series of its own.
	acceptPrometheus2 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75," +
		"text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
	// Prometheus 3 without created-timestamp-zero-ingestion, which does
	// the same.
	acceptPrometheus3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6," +
		"application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4," +
		"text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
	// Prometheus 3 with created-timestamp-zero-ingestion.
	acceptPrometheus3CT = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7," +
		"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6," +
		"application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4," +
		"text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
)

// TestHandlerCreatedTimestamps checks where the counters' created
// timestamps go: into the protobuf format, which Prometheus 3 asks for when
// it ingests them, and into no text format as _created lines, which the
// Prometheus versions that do not ingest them would store as extra series.
func TestHandlerCreatedTimestamps(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(cfg, &fakeSource{}, nil, promslog.NewNopLogger())
	if err != nil {
		t.Fatal(err)
	}
	serve := func(accept string) *http.Response {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}

	for _, accept := range []string{"", acceptPrometheus2, acceptPrometheus3, "application/openmetrics-text;version=1.0.0"} {
		resp := serve(accept)
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `netlink_link_creations_total{kind="veth",netns="host"} 2`) {
			t.Errorf("Accept %q: %d, %s; want the counters", accept, resp.StatusCode, body)
		}
		if strings.Contains(string(body), "_created") {
			t.Errorf("Accept %q: %s: the body has _created lines", accept, resp.Header.Get("Content-Type"))
		}
	}

	resp := serve(acceptPrometheus3CT)
	format := expfmt.ResponseFormat(resp.Header)
	if format.FormatType() != expfmt.TypeProtoDelim {
		t.Fatalf("Accept of Prometheus 3 with created timestamps: Content-Type %q, want protobuf", resp.Header.Get("Content-Type"))
	}
	dec := expfmt.NewDecoder(resp.Body, format)
	want := map[string]bool{"netlink_link_creations_total": true, "netlink_netns_discoveries_total": true}
	for {
		var mf dto.MetricFamily
		err := dec.Decode(&mf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !want[mf.GetName()] {
			continue
		}
		delete(want, mf.GetName())
		if ct := mf.GetMetric()[0].GetCounter().GetCreatedTimestamp(); !ct.AsTime().Equal(fakeStart) {
			t.Errorf("%s: created timestamp %v, want %v", mf.GetName(), ct.AsTime(), fakeStart)
		}
	}
	if len(want) > 0 {
		t.Errorf("no %v in the protobuf answer", want)
	}
}

// TestHandlerLifecycle checks what each path answers before the baseline is
// read, once it is, and when the monitor is unhealthy, on one handler.
func TestHandlerLifecycle(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{notReady: errors.New("netlinkmon: reading the baseline: a request has waited 12s for the kernel")}
	h, err := newHandler(cfg, src, nil, promslog.NewNopLogger())
	if err != nil {
		t.Fatal(err)
	}
	const reason = "netlinkmon: reading the baseline: a request has waited 12s for the kernel\n"
	steps := []struct {
		name     string
		setup    func()
		path     string
		wantCode int
		wantBody string // the whole body, if set
		want     []string
		notWant  []string
	}{
		{name: "metrics before the baseline", path: "/metrics", wantCode: http.StatusServiceUnavailable, wantBody: reason},
		{name: "not ready before the baseline", path: "/-/ready", wantCode: http.StatusServiceUnavailable, wantBody: reason},
		{name: "healthy before the baseline", path: "/-/healthy", wantCode: http.StatusOK, wantBody: "Healthy\n"},
		{name: "landing page before the baseline", path: "/", wantCode: http.StatusOK, want: []string{`href="/metrics"`}},
		{name: "events before the baseline", path: "/events", wantCode: http.StatusOK},
		{
			name: "metrics once ready count the refused scrape", setup: func() { src.notReady = nil },
			path: "/metrics", wantCode: http.StatusOK,
			want: []string{
				`netlink_link_creations_total{kind="veth",netns="host"} 2`,
				`promhttp_metric_handler_requests_total{code="503"} 1`,
				`promhttp_metric_handler_requests_total{code="200"} 0`,
			},
		},
		{name: "ready", path: "/-/ready", wantCode: http.StatusOK, wantBody: "Ready\n"},
		{
			name: "unhealthy", setup: func() { src.unhealthy = errors.New("netlinkmon: the loop has made no progress for 1m1s") },
			path: "/-/healthy", wantCode: http.StatusServiceUnavailable, wantBody: "netlinkmon: the loop has made no progress for 1m1s\n",
		},
		{name: "metrics while unhealthy", path: "/metrics", wantCode: http.StatusOK, want: []string{`netlink_link_creations_total{kind="veth",netns="host"} 2`}},
		{
			name: "stopped", setup: func() { src.notReady = errors.New("netlinkmon: stopped") },
			path: "/metrics", wantCode: http.StatusServiceUnavailable, wantBody: "netlinkmon: stopped\n",
			notWant: []string{"netlink_"},
		},
	}
	for _, s := range steps {
		if s.setup != nil {
			s.setup()
		}
		code, body := get(t, h, s.path)
		if code != s.wantCode {
			t.Errorf("%s: GET %s: status %d; want %d", s.name, s.path, code, s.wantCode)
		}
		if s.wantBody != "" && body != s.wantBody {
			t.Errorf("%s: GET %s: body %q; want %q", s.name, s.path, body, s.wantBody)
		}
		for _, w := range s.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: GET %s: body lacks %q", s.name, s.path, w)
			}
		}
		for _, w := range s.notWant {
			if strings.Contains(body, w) {
				t.Errorf("%s: GET %s: body has %q", s.name, s.path, w)
			}
		}
	}
}
