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
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/promslog"

	"github.com/netlink-exporter/netlink_exporter/collector"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
	"github.com/netlink-exporter/netlink_exporter/pods"
)

type fakeSource struct{}

func (fakeSource) Snapshot() netlinkmon.Snapshot {
	return netlinkmon.Snapshot{
		Namespaces: []netlinkmon.Namespace{{
			Name: "host", Inode: 4026531840, NSID: netlinkmon.NoNSID, Source: netlinkmon.SourceSelf, Alive: true,
			Kinds: []netlinkmon.KindCounters{{Kind: "veth", Creations: 2}},
			Links: []netlinkmon.LinkCount{{Kind: "veth", OperState: "up", Count: 2}},
		}},
		Discoveries: 1,
	}
}

func (fakeSource) InterfaceSnapshot() netlinkmon.InterfaceSnapshot {
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
func (fakeSource) Subscribe(buffer int, match func(*netlinkmon.Event) bool) *netlinkmon.Subscription {
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
			h, err := newHandler(cfg, fakeSource{}, podStats, promslog.NewNopLogger())
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
