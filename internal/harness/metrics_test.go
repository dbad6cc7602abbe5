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
	"slices"
	"strings"
	"testing"
)

const exposition = `# HELP netlink_link_creations_total Links that came into existence.
# TYPE netlink_link_creations_total counter
netlink_link_creations_total{kind="veth",netns="a"} 4000
netlink_link_creations_total{kind="bridge",netns="a"} 1
netlink_link_creations_total{kind="veth",netns="b\"q\\x"} 2
# TYPE netlink_links gauge
netlink_links{kind="veth",netns="a",operstate="up"} 3
netlink_links{kind="veth",netns="a",operstate="down"} 1
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0.5"} 0.001
go_gc_duration_seconds_sum 0.01
go_gc_duration_seconds_count 7
netlink_netns_removals_total 3
`

func TestParseMetrics(t *testing.T) {
	m, err := ParseMetrics(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m["go_gc_duration_seconds"]; ok {
		t.Error("the summary is parsed, want it left out")
	}
	tests := []struct {
		name   string
		labels map[string]string
		value  float64
		ok     bool
		sum    float64
		n      int
	}{
		{"netlink_link_creations_total", map[string]string{"netns": "a", "kind": "veth"}, 4000, true, 4000, 1},
		{"netlink_link_creations_total", map[string]string{"netns": `b"q\x`}, 2, true, 2, 1},
		{"netlink_link_creations_total", map[string]string{"netns": "a"}, 0, false, 4001, 2},
		{"netlink_link_creations_total", map[string]string{"netns": "c"}, 0, false, 0, 0},
		{"netlink_links", map[string]string{"operstate": "up"}, 3, true, 3, 1},
		// A missing label matches an empty value, as in Prometheus.
		{"netlink_links", map[string]string{"netns": "a", "master": ""}, 0, false, 4, 2},
		{"netlink_netns_removals_total", nil, 3, true, 3, 1},
	}
	for _, tt := range tests {
		v, ok := m.Value(tt.name, tt.labels)
		if ok != tt.ok || ok && v != tt.value {
			t.Errorf("Value(%s, %v) = %v, %v; want %v, %v", tt.name, tt.labels, v, ok, tt.value, tt.ok)
		}
		if sum, n := m.Sum(tt.name, tt.labels); sum != tt.sum || n != tt.n {
			t.Errorf("Sum(%s, %v) = %v, %d; want %v, %d", tt.name, tt.labels, sum, n, tt.sum, tt.n)
		}
	}
	want := []string{
		"netlink_link_creations_totalmap[kind:bridge netns:a]",
		"netlink_link_creations_totalmap[kind:veth netns:a]",
		"netlink_linksmap[kind:veth netns:a operstate:down]",
		"netlink_linksmap[kind:veth netns:a operstate:up]",
	}
	if got := m.Series(map[string]string{"netns": "a"}); !slices.Equal(got, want) {
		t.Errorf("Series(netns=a) =\n%q\nwant\n%q", got, want)
	}
}

func TestParseMetricsError(t *testing.T) {
	if _, err := ParseMetrics(strings.NewReader("netlink_links{kind=\"veth\" 1\n")); err == nil {
		t.Error("no error for a broken label set")
	}
}
