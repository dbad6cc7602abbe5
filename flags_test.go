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
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlink-exporter/netlink_exporter/collector"
	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
	"github.com/netlink-exporter/netlink_exporter/pods"
)

func TestParseFlagsDefaults(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.metricsPath != "/metrics" || cfg.disableExporterMetrics || cfg.maxRequests != 40 {
		t.Errorf("web: path %q, disable %v, max requests %d; want /metrics, false, 40",
			cfg.metricsPath, cfg.disableExporterMetrics, cfg.maxRequests)
	}
	want := netlinkmon.Options{
		NetnsDirs:         []string{"/run/netns", "/var/run/docker/netns"},
		ProcScan:          true,
		RescanInterval:    netlinkmon.DefaultRescanInterval,
		Retention:         netlinkmon.DefaultRetention,
		ReceiveBufferSize: netlinkmon.DefaultReceiveBufferSize,
	}
	if diff := cmp.Diff(want, cfg.monitor); diff != "" {
		t.Errorf("monitor options (-want +got):\n%s", diff)
	}
	if got := *cfg.web.WebListenAddresses; len(got) != 1 || got[0] != defaultAddress {
		t.Errorf("listen addresses %q; want [%s]", got, defaultAddress)
	}
	if cfg.log.Level.String() != "info" {
		t.Errorf("log level %s; want info", cfg.log.Level)
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want func(*config) any
		val  any
	}{
		{"repeated dir replaces defaults", []string{"--netns.dir=/a", "--netns.dir=/b"},
			func(c *config) any { return c.monitor.NetnsDirs }, []string{"/a", "/b"}},
		{"dir deduplicated and cleaned", []string{"--netns.dir=/a/", "--netns.dir=/a"},
			func(c *config) any { return c.monitor.NetnsDirs }, []string{"/a"}},
		{"empty dir watches none", []string{"--netns.dir="},
			func(c *config) any { return c.monitor.NetnsDirs }, []string{}},
		{"no proc scan", []string{"--no-netns.proc"},
			func(c *config) any { return c.monitor.ProcScan }, false},
		{"rescan interval", []string{"--netns.rescan-interval=500ms"},
			func(c *config) any { return c.monitor.RescanInterval }, 500 * time.Millisecond},
		{"retention in days", []string{"--netns.retention=1d"},
			func(c *config) any { return c.monitor.Retention }, 24 * time.Hour},
		{"zero retention", []string{"--netns.retention=0s"},
			func(c *config) any { return c.monitor.Retention }, time.Duration(0)},
		{"buffer in bytes", []string{"--netlink.receive-buffer-size=1048576"},
			func(c *config) any { return c.monitor.ReceiveBufferSize }, 1 << 20},
		{"buffer with unit", []string{"--netlink.receive-buffer-size=8MiB"},
			func(c *config) any { return c.monitor.ReceiveBufferSize }, 8 << 20},
		{"no request limit", []string{"--web.max-requests=0"},
			func(c *config) any { return c.maxRequests }, 0},
		{"telemetry path", []string{"--web.telemetry-path=/netlink/metrics"},
			func(c *config) any { return c.metricsPath }, "/netlink/metrics"},
		{"disable exporter metrics", []string{"--web.disable-exporter-metrics"},
			func(c *config) any { return c.disableExporterMetrics }, true},
		{"default event clients", nil,
			func(c *config) any { return c.eventsMaxClients }, 8},
		{"no event stream", []string{"--web.events.max-clients=0"},
			func(c *config) any { return c.eventsMaxClients }, 0},
		{"pods by default", nil,
			func(c *config) any { return c.pods }, &pods.Options{ResyncInterval: pods.DefaultResyncInterval}},
		{"pods through an endpoint", []string{"--pods.runtime-endpoint=unix:///run/k3s/containerd/containerd.sock", "--pods.resync-interval=1m"},
			func(c *config) any { return c.pods }, &pods.Options{Endpoints: []string{"unix:///run/k3s/containerd/containerd.sock"}, ResyncInterval: time.Minute}},
		{"pods through endpoints in turn", []string{"--pods.runtime-endpoint=/host/run/containerd/containerd.sock", "--pods.runtime-endpoint=/host/run/crio/crio.sock"},
			func(c *config) any { return c.pods.Endpoints }, []string{"/host/run/containerd/containerd.sock", "/host/run/crio/crio.sock"}},
		{"no pods", []string{"--no-pods"},
			func(c *config) any { return c.pods }, (*pods.Options)(nil)},
		{"no pod labels by default", nil,
			func(c *config) any { return c.collector.PodLabels }, false},
		{"pod labels", []string{"--pods.labels"},
			func(c *config) any { return c.collector.PodLabels }, true},
		{"per-namespace series by default", nil,
			func(c *config) any { return c.collector }, collector.Options{Recent: defaultAggregateRecent}},
		{"aggregates", []string{"--netns.aggregate", "--netns.aggregate.recent=0"},
			func(c *config) any { return c.collector }, collector.Options{Aggregate: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.val, tt.want(&cfg)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Every bad value is an error that names its flag.
func TestParseFlagsErrors(t *testing.T) {
	tests := []struct {
		arg  string
		flag string
	}{
		{"--netns.aggregate.recent=-1", "--netns.aggregate.recent"},
		{"--netns.aggregate.recent=few", "--netns.aggregate.recent"},
		{"--netns.retention=banana", "--netns.retention"},
		{"--netns.retention=-1s", "--netns.retention"},
		{"--netns.rescan-interval=banana", "--netns.rescan-interval"},
		{"--netns.rescan-interval=0s", "--netns.rescan-interval"},
		{"--netns.rescan-interval=-5s", "--netns.rescan-interval"},
		{"--netlink.receive-buffer-size=banana", "--netlink.receive-buffer-size"},
		{"--netlink.receive-buffer-size=0", "--netlink.receive-buffer-size"},
		{"--netlink.receive-buffer-size=-1", "--netlink.receive-buffer-size"},
		{"--netlink.receive-buffer-size=4GiB", "--netlink.receive-buffer-size"},
		{"--web.max-requests=many", "--web.max-requests"},
		{"--web.max-requests=-1", "--web.max-requests"},
		{"--web.telemetry-path=metrics", "--web.telemetry-path"},
		{"--web.telemetry-path=/", "--web.telemetry-path"},
		{"--web.telemetry-path=/-/healthy", "--web.telemetry-path"},
		{"--web.telemetry-path=/-/ready", "--web.telemetry-path"},
		{"--web.telemetry-path=/events", "--web.telemetry-path"},
		{"--web.events.max-clients=-1", "--web.events.max-clients"},
		{"--web.events.max-clients=all", "--web.events.max-clients"},
		{"--web.telemetry-path=/{x}", "--web.telemetry-path"},
		{"--web.telemetry-path=/a//b", "--web.telemetry-path"},
		{"--web.telemetry-path=/a/../b", "--web.telemetry-path"},
		{"--log.level=loud", "--log.level"},
		{"--log.format=xml", "--log.format"},
		{"--netns.banana=1", "--netns.banana"},
		{"--web.config.file=/nonexistent/web.yml", "--web.config.file"},
		{"--links.detail.netns-include=(", "--links.detail.netns-include"},
		{"--links.detail.netns-exclude=[z-a]", "--links.detail.netns-exclude"},
		{"--links.detail.link-include=a**", "--links.detail.link-include"},
		{"--links.detail.link-exclude=(?<x)", "--links.detail.link-exclude"},
		{"--links.detail.max-series=0", "--links.detail.max-series"},
		{"--web.events.write-timeout=0s", "--web.events.write-timeout"},
		{"--web.events.write-timeout=soon", "--web.events.write-timeout"},
		{"--links.detail.max-series=-1", "--links.detail.max-series"},
		{"--links.detail.max-series=lots", "--links.detail.max-series"},
		{"--pods.runtime-endpoint=tcp://127.0.0.1:1", "--pods.runtime-endpoint"},
		{"--pods.runtime-endpoint=run/containerd/containerd.sock", "--pods.runtime-endpoint"},
		{"--pods.resync-interval=0s", "--pods.resync-interval"},
		{"--pods.resync-interval=often", "--pods.resync-interval"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			_, err := parseFlags([]string{tt.arg})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.flag) {
				t.Errorf("error %q does not name %s", err, tt.flag)
			}
		})
	}
}

// Per-link detail is off by default; its regular expressions match whole
// names, and an unset exclusion excludes nothing.
func TestParseDetailFlags(t *testing.T) {
	type match struct{ netns, link string }
	tests := []struct {
		name    string
		args    []string
		enabled bool
		max     int
		// selected and left are namespace and link names that the
		// options select and leave out.
		selected, left []match
	}{
		{
			name: "defaults", max: 10000,
			selected: []match{{"host", "lo"}, {"cni-1", "eth0"}, {"", ""}},
		},
		{
			name:    "enabled with a limit",
			args:    []string{"--links.detail", "--links.detail.max-series=50"},
			enabled: true, max: 50,
			selected: []match{{"host", "eth0"}},
		},
		{
			name:     "anchored includes",
			args:     []string{"--links.detail.netns-include=cni-.*", "--links.detail.link-include=eth"},
			max:      10000,
			selected: []match{{"cni-1", "eth"}},
			left:     []match{{"host", "eth"}, {"xcni-1", "eth"}, {"cni-1", "eth0"}, {"cni-1", "veth"}},
		},
		{
			name: "exclusions win",
			args: []string{
				"--links.detail.netns-include=.*", "--links.detail.netns-exclude=host|kube-.*",
				"--links.detail.link-exclude=lo",
			},
			max:      10000,
			selected: []match{{"cni-1", "eth0"}, {"cni-1", "lo0"}, {"hostx", "eth0"}},
			left:     []match{{"host", "eth0"}, {"kube-a", "eth0"}, {"cni-1", "lo"}},
		},
		{
			name:     "an empty include selects only empty names",
			args:     []string{"--links.detail.link-include="},
			max:      10000,
			selected: []match{{"host", ""}},
			left:     []match{{"host", "lo"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.monitor.LinkDetail != tt.enabled || cfg.interfaces.MaxSeries != tt.max {
				t.Errorf("enabled %v, max series %d; want %v, %d", cfg.monitor.LinkDetail, cfg.interfaces.MaxSeries, tt.enabled, tt.max)
			}
			o := cfg.interfaces
			sel := func(m match) bool {
				ok := func(in, ex *regexp.Regexp, s string) bool {
					return (in == nil || in.MatchString(s)) && (ex == nil || !ex.MatchString(s))
				}
				return ok(o.NetnsInclude, o.NetnsExclude, m.netns) && ok(o.LinkInclude, o.LinkExclude, m.link)
			}
			for _, m := range tt.selected {
				if !sel(m) {
					t.Errorf("%+v left out, want it selected", m)
				}
			}
			for _, m := range tt.left {
				if sel(m) {
					t.Errorf("%+v selected, want it left out", m)
				}
			}
		})
	}
}

// TestExampleWebConfig checks that the example web config, as shipped,
// passes the startup check once its certificate and key are in place.
func TestExampleWebConfig(t *testing.T) {
	pki, err := harness.NewPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("deploy/systemd/web-config.yml")
	if err != nil {
		t.Fatal(err)
	}
	// In the PKI's directory, where its relative cert_file and key_file
	// paths resolve.
	file := filepath.Join(pki.Dir, "web.yml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseFlags([]string{"--web.config.file=" + file}); err != nil {
		t.Error(err)
	}
}

// Pod labels need the attribution that --no-pods turns off.
func TestParseFlagsPodLabelsWithoutPods(t *testing.T) {
	_, err := parseFlags([]string{"--no-pods", "--pods.labels"})
	if err == nil || !strings.Contains(err.Error(), "--pods.labels") {
		t.Errorf("error %v; want one that names --pods.labels", err)
	}
}
