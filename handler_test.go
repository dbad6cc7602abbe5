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

	"github.com/prometheus/common/promslog"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// A fakeSource serves one namespace. Its Ready and Healthy return
// notReady and unhealthy.
type fakeSource struct {
	notReady, unhealthy error
}

func (f *fakeSource) Ready() error   { return f.notReady }
func (f *fakeSource) Healthy() error { return f.unhealthy }

func (*fakeSource) Snapshot() netlinkmon.Snapshot {
	return netlinkmon.Snapshot{
		Namespaces: []netlinkmon.Namespace{{
			Name: "host", Inode: 4026531840, NSID: netlinkmon.NoNSID, Source: netlinkmon.SourceSelf, Alive: true,
			Kinds: []netlinkmon.KindCounters{{Kind: "veth", Creations: 2}},
			Links: []netlinkmon.LinkCount{{Kind: "veth", OperState: "up", Count: 2}},
		}},
		Discoveries: 1,
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
			h, err := newHandler(cfg, &fakeSource{}, promslog.NewNopLogger())
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

// TestHandlerLifecycle checks what each path answers before the baseline is
// read, once it is, and when the monitor is unhealthy, on one handler.
func TestHandlerLifecycle(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{notReady: errors.New("netlinkmon: reading the baseline: a request has waited 12s for the kernel")}
	h, err := newHandler(cfg, src, promslog.NewNopLogger())
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
