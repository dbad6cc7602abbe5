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
	"bytes"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// detailSnapshot has two pods with the same link names, one of them dead,
// and a host with a link deleted within the retention.
func detailSnapshot() netlinkmon.InterfaceSnapshot {
	podDied := time.Unix(1700000100, 500e6)
	return netlinkmon.InterfaceSnapshot{Namespaces: []netlinkmon.NamespaceInterfaces{
		{
			Name: "host", Alive: true,
			Interfaces: []netlinkmon.Interface{
				{Index: 1, Name: "lo", Kind: "device", OperState: "unknown", Up: true, Carrier: true},
				{Index: 7, Name: "veth1a2b", Kind: "veth", OperState: "down", CarrierUp: 1, CarrierDown: 1, Deleted: time.Unix(1700000200, 0)},
			},
		},
		{
			Name: "pod-a", Alive: true,
			Interfaces: []netlinkmon.Interface{
				{Index: 1, Name: "lo", Kind: "device", OperState: "unknown", Up: true, Carrier: true},
				{Index: 2, Name: "br0", Kind: "bridge", OperState: "up", Up: true, Carrier: true},
				{Index: 3, Name: "eth0", Kind: "veth", OperState: "up", Master: "br0", Up: true, Carrier: true, CarrierUp: 2, CarrierDown: 1,
					Created: time.Unix(1700000050, 0)},
			},
		},
		{
			Name: "pod-b", Alive: false,
			Interfaces: []netlinkmon.Interface{
				{Index: 3, Name: "eth0", Kind: "veth", OperState: "lowerlayerdown", Up: true, CarrierUp: 1, CarrierDown: 2, Deleted: podDied},
			},
		},
	}}
}

const detailHeaders = `
# HELP netlink_interface_carrier Whether the link has carrier (IFF_LOWER_UP).
# TYPE netlink_interface_carrier gauge
# HELP netlink_interface_carrier_changes_total Carrier transitions of the link since the exporter first saw it in the namespace, from the kernel's per-link counters.
# TYPE netlink_interface_carrier_changes_total counter
# HELP netlink_interface_deleted_timestamp_seconds Unix time at which the link was deleted, moved out, or destroyed with its namespace. Only links kept for the retention have it.
# TYPE netlink_interface_deleted_timestamp_seconds gauge
# HELP netlink_interface_info Information about a link, always 1. master is the name of the link's master (a bridge, say), or empty. A deleted link keeps its final values for the retention.
# TYPE netlink_interface_info gauge
# HELP netlink_interface_series_dropped Per-link series that the limit left out of this scrape.
# TYPE netlink_interface_series_dropped gauge
# HELP netlink_interface_series_limit Most per-link series (netlink_interface_*, these two aside) that a scrape returns.
# TYPE netlink_interface_series_limit gauge
# HELP netlink_interface_up Whether the link is administratively up (IFF_UP).
# TYPE netlink_interface_up gauge
`

// withHeaders puts each metric's HELP and TYPE lines before its samples.
func withHeaders(samples string) string {
	var b strings.Builder
	lines := strings.Split(strings.TrimSpace(samples), "\n")
	headers := strings.Split(strings.TrimSpace(detailHeaders), "\n")
	for i := 0; i < len(headers); i += 2 {
		name := strings.Fields(headers[i])[2]
		var own []string
		for _, l := range lines {
			if strings.HasPrefix(l, name+"{") || strings.HasPrefix(l, name+" ") {
				own = append(own, l)
			}
		}
		if len(own) == 0 {
			continue
		}
		b.WriteString(headers[i] + "\n" + headers[i+1] + "\n" + strings.Join(own, "\n") + "\n")
	}
	return b.String()
}

func mustRegexp(tb testing.TB, re string) *regexp.Regexp {
	tb.Helper()
	return regexp.MustCompile("^(?:" + re + ")$")
}

func TestInterfaces(t *testing.T) {
	tests := []struct {
		name string
		opts func(t *testing.T) InterfaceOptions
		want string
	}{
		{
			name: "every link",
			opts: func(*testing.T) InterfaceOptions { return InterfaceOptions{MaxSeries: 1000} },
			want: `
netlink_interface_carrier{ifindex="1",interface="lo",netns="host"} 1
netlink_interface_carrier{ifindex="7",interface="veth1a2b",netns="host"} 0
netlink_interface_carrier{ifindex="1",interface="lo",netns="pod-a"} 1
netlink_interface_carrier{ifindex="2",interface="br0",netns="pod-a"} 1
netlink_interface_carrier{ifindex="3",interface="eth0",netns="pod-a"} 1
netlink_interface_carrier{ifindex="3",interface="eth0",netns="pod-b"} 0
netlink_interface_carrier_changes_total{direction="down",ifindex="1",interface="lo",netns="host"} 0
netlink_interface_carrier_changes_total{direction="up",ifindex="1",interface="lo",netns="host"} 0
netlink_interface_carrier_changes_total{direction="down",ifindex="7",interface="veth1a2b",netns="host"} 1
netlink_interface_carrier_changes_total{direction="up",ifindex="7",interface="veth1a2b",netns="host"} 1
netlink_interface_carrier_changes_total{direction="down",ifindex="1",interface="lo",netns="pod-a"} 0
netlink_interface_carrier_changes_total{direction="up",ifindex="1",interface="lo",netns="pod-a"} 0
netlink_interface_carrier_changes_total{direction="down",ifindex="2",interface="br0",netns="pod-a"} 0
netlink_interface_carrier_changes_total{direction="up",ifindex="2",interface="br0",netns="pod-a"} 0
netlink_interface_carrier_changes_total{direction="down",ifindex="3",interface="eth0",netns="pod-a"} 1
netlink_interface_carrier_changes_total{direction="up",ifindex="3",interface="eth0",netns="pod-a"} 2
netlink_interface_carrier_changes_total{direction="down",ifindex="3",interface="eth0",netns="pod-b"} 2
netlink_interface_carrier_changes_total{direction="up",ifindex="3",interface="eth0",netns="pod-b"} 1
netlink_interface_deleted_timestamp_seconds{ifindex="7",interface="veth1a2b",netns="host"} 1.7000002e+09
netlink_interface_deleted_timestamp_seconds{ifindex="3",interface="eth0",netns="pod-b"} 1.7000001005e+09
netlink_interface_info{ifindex="1",interface="lo",kind="device",master="",netns="host",operstate="unknown"} 1
netlink_interface_info{ifindex="7",interface="veth1a2b",kind="veth",master="",netns="host",operstate="down"} 1
netlink_interface_info{ifindex="1",interface="lo",kind="device",master="",netns="pod-a",operstate="unknown"} 1
netlink_interface_info{ifindex="2",interface="br0",kind="bridge",master="",netns="pod-a",operstate="up"} 1
netlink_interface_info{ifindex="3",interface="eth0",kind="veth",master="br0",netns="pod-a",operstate="up"} 1
netlink_interface_info{ifindex="3",interface="eth0",kind="veth",master="",netns="pod-b",operstate="lowerlayerdown"} 1
netlink_interface_series_dropped 0
netlink_interface_series_limit 1000
netlink_interface_up{ifindex="1",interface="lo",netns="host"} 1
netlink_interface_up{ifindex="7",interface="veth1a2b",netns="host"} 0
netlink_interface_up{ifindex="1",interface="lo",netns="pod-a"} 1
netlink_interface_up{ifindex="2",interface="br0",netns="pod-a"} 1
netlink_interface_up{ifindex="3",interface="eth0",netns="pod-a"} 1
netlink_interface_up{ifindex="3",interface="eth0",netns="pod-b"} 1
`,
		},
		{
			name: "includes",
			opts: func(t *testing.T) InterfaceOptions {
				return InterfaceOptions{MaxSeries: 1000, NetnsInclude: mustRegexp(t, "pod-.*"), LinkInclude: mustRegexp(t, "eth0|lo")}
			},
			want: `
netlink_interface_carrier{ifindex="1",interface="lo",netns="pod-a"} 1
netlink_interface_carrier{ifindex="3",interface="eth0",netns="pod-a"} 1
netlink_interface_carrier{ifindex="3",interface="eth0",netns="pod-b"} 0
netlink_interface_carrier_changes_total{direction="down",ifindex="1",interface="lo",netns="pod-a"} 0
netlink_interface_carrier_changes_total{direction="up",ifindex="1",interface="lo",netns="pod-a"} 0
netlink_interface_carrier_changes_total{direction="down",ifindex="3",interface="eth0",netns="pod-a"} 1
netlink_interface_carrier_changes_total{direction="up",ifindex="3",interface="eth0",netns="pod-a"} 2
netlink_interface_carrier_changes_total{direction="down",ifindex="3",interface="eth0",netns="pod-b"} 2
netlink_interface_carrier_changes_total{direction="up",ifindex="3",interface="eth0",netns="pod-b"} 1
netlink_interface_deleted_timestamp_seconds{ifindex="3",interface="eth0",netns="pod-b"} 1.7000001005e+09
netlink_interface_info{ifindex="1",interface="lo",kind="device",master="",netns="pod-a",operstate="unknown"} 1
netlink_interface_info{ifindex="3",interface="eth0",kind="veth",master="br0",netns="pod-a",operstate="up"} 1
netlink_interface_info{ifindex="3",interface="eth0",kind="veth",master="",netns="pod-b",operstate="lowerlayerdown"} 1
netlink_interface_series_dropped 0
netlink_interface_series_limit 1000
netlink_interface_up{ifindex="1",interface="lo",netns="pod-a"} 1
netlink_interface_up{ifindex="3",interface="eth0",netns="pod-a"} 1
netlink_interface_up{ifindex="3",interface="eth0",netns="pod-b"} 1
`,
		},
		{
			// Anchored: "pod" alone would match no namespace, and "eth"
			// no link.
			name: "exclusion wins",
			opts: func(t *testing.T) InterfaceOptions {
				return InterfaceOptions{
					MaxSeries:    1000,
					NetnsInclude: mustRegexp(t, "pod-.*"), NetnsExclude: mustRegexp(t, "pod-b"),
					LinkInclude: mustRegexp(t, ".*"), LinkExclude: mustRegexp(t, "lo|eth"),
				}
			},
			want: `
netlink_interface_carrier{ifindex="2",interface="br0",netns="pod-a"} 1
netlink_interface_carrier{ifindex="3",interface="eth0",netns="pod-a"} 1
netlink_interface_carrier_changes_total{direction="down",ifindex="2",interface="br0",netns="pod-a"} 0
netlink_interface_carrier_changes_total{direction="up",ifindex="2",interface="br0",netns="pod-a"} 0
netlink_interface_carrier_changes_total{direction="down",ifindex="3",interface="eth0",netns="pod-a"} 1
netlink_interface_carrier_changes_total{direction="up",ifindex="3",interface="eth0",netns="pod-a"} 2
netlink_interface_info{ifindex="2",interface="br0",kind="bridge",master="",netns="pod-a",operstate="up"} 1
netlink_interface_info{ifindex="3",interface="eth0",kind="veth",master="br0",netns="pod-a",operstate="up"} 1
netlink_interface_series_dropped 0
netlink_interface_series_limit 1000
netlink_interface_up{ifindex="2",interface="br0",netns="pod-a"} 1
netlink_interface_up{ifindex="3",interface="eth0",netns="pod-a"} 1
`,
		},
		{
			// host's lo (5 series) fits in 10, its deleted veth (6) does
			// not, and everything after it is left out too, though
			// pod-a's lo (5) alone would fit.
			name: "cap",
			opts: func(*testing.T) InterfaceOptions { return InterfaceOptions{MaxSeries: 10} },
			want: `
netlink_interface_carrier{ifindex="1",interface="lo",netns="host"} 1
netlink_interface_carrier_changes_total{direction="down",ifindex="1",interface="lo",netns="host"} 0
netlink_interface_carrier_changes_total{direction="up",ifindex="1",interface="lo",netns="host"} 0
netlink_interface_info{ifindex="1",interface="lo",kind="device",master="",netns="host",operstate="unknown"} 1
netlink_interface_series_dropped 27
netlink_interface_series_limit 10
netlink_interface_up{ifindex="1",interface="lo",netns="host"} 1
`,
		},
		{
			name: "nothing selected",
			opts: func(t *testing.T) InterfaceOptions {
				return InterfaceOptions{MaxSeries: 1, NetnsInclude: mustRegexp(t, "pod")}
			},
			want: `
netlink_interface_series_dropped 0
netlink_interface_series_limit 1
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewInterfaces(fakeInterfaces(detailSnapshot()), tt.opts(t))
			if err != nil {
				t.Fatal(err)
			}
			expectGathered(t, c, withHeaders(tt.want))
		})
	}
}

// The cap keeps links by namespace name, then ifindex, whatever order the
// source gives them in.
func TestInterfacesCapOrder(t *testing.T) {
	sorted := detailSnapshot()
	shuffled := detailSnapshot()
	slices.Reverse(shuffled.Namespaces)
	for i := range shuffled.Namespaces {
		slices.Reverse(shuffled.Namespaces[i].Interfaces)
	}
	for _, max := range []int{5, 11, 12, 16, 27} {
		want, err := NewInterfaces(fakeInterfaces(sorted), InterfaceOptions{MaxSeries: max})
		if err != nil {
			t.Fatal(err)
		}
		got, err := NewInterfaces(fakeInterfaces(shuffled), InterfaceOptions{MaxSeries: max})
		if err != nil {
			t.Fatal(err)
		}
		var wantText bytes.Buffer
		if err := gatherText(want, &wantText); err != nil {
			t.Fatal(err)
		}
		if err := testutil.GatherAndCompare(released(t, got), &wantText); err != nil {
			t.Errorf("limit %d: %v", max, err)
		}
	}
}

// gatherText writes what g gathers in the text format.
func gatherText(g prometheus.TransactionalGatherer, w *bytes.Buffer) error {
	mfs, done, err := g.Gather()
	defer done()
	if err != nil {
		return err
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(w, mf); err != nil {
			return err
		}
	}
	return nil
}

// A changingSource serves the detail that the test set last.
type changingSource struct {
	changing[netlinkmon.InterfaceSnapshot]
}

func (s *changingSource) InterfaceSnapshot() netlinkmon.InterfaceSnapshot { return s.get() }

// The log says once when the cap starts leaving series out, and once when
// it stops.
func TestInterfacesCapLog(t *testing.T) {
	small := detailSnapshot()
	small.Namespaces = small.Namespaces[:1]
	src := &changingSource{}
	src.set(small)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	c, err := NewInterfaces(src, InterfaceOptions{MaxSeries: 12, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	scrapes := []struct {
		snap    netlinkmon.InterfaceSnapshot
		dropped float64
		log     string
	}{
		{snap: small, dropped: 0},
		{snap: detailSnapshot(), dropped: 21,
			log: `level=WARN msg="Per-link series over their limit; leaving the rest out until they fit" limit=12 dropped=21`},
		{snap: detailSnapshot(), dropped: 21},
		{snap: small, dropped: 0,
			log: `level=INFO msg="Per-link series back under their limit" limit=12 series=11`},
		{snap: small, dropped: 0},
	}
	for i, s := range scrapes {
		src.set(s.snap)
		logs.Reset()
		// Each scrape releases its families, so that the next reuses
		// the builder that the last one left.
		mfs, done, err := c.Gather()
		if err != nil {
			t.Fatalf("scrape %d: %v", i, err)
		}
		var dropped float64 = -1
		for _, mf := range mfs {
			if mf.GetName() == "netlink_interface_series_dropped" {
				dropped = mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		if dropped != s.dropped {
			t.Errorf("scrape %d: netlink_interface_series_dropped %v, want %v", i, dropped, s.dropped)
		}
		if got := strings.TrimSpace(logs.String()); got != s.log {
			t.Errorf("scrape %d: log %q, want %q", i, got, s.log)
		}
		done()
	}
}

func TestNewInterfacesNeedsALimit(t *testing.T) {
	for _, max := range []int{0, -1} {
		if _, err := NewInterfaces(fakeInterfaces{}, InterfaceOptions{MaxSeries: max}); err == nil {
			t.Errorf("NewInterfaces with a limit of %d succeeded, want an error", max)
		}
	}
}

// A link name that is not valid UTF-8 is exported with U+FFFD in its
// place, and the ifindex keeps such links apart.
func TestInterfacesInvalidName(t *testing.T) {
	snap := netlinkmon.InterfaceSnapshot{Namespaces: []netlinkmon.NamespaceInterfaces{{
		Name: "host", Alive: true,
		Interfaces: []netlinkmon.Interface{
			{Index: 4, Name: "v\xff", Kind: "veth", OperState: "down", Master: "b\xfe"},
			{Index: 5, Name: "v\xfe", Kind: "veth", OperState: "down"},
		},
	}}}
	c, err := NewInterfaces(fakeInterfaces(snap), InterfaceOptions{MaxSeries: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := `
netlink_interface_carrier{ifindex="4",interface="v\uFFFD",netns="host"} 0
netlink_interface_carrier{ifindex="5",interface="v\uFFFD",netns="host"} 0
netlink_interface_carrier_changes_total{direction="down",ifindex="4",interface="v\uFFFD",netns="host"} 0
netlink_interface_carrier_changes_total{direction="up",ifindex="4",interface="v\uFFFD",netns="host"} 0
netlink_interface_carrier_changes_total{direction="down",ifindex="5",interface="v\uFFFD",netns="host"} 0
netlink_interface_carrier_changes_total{direction="up",ifindex="5",interface="v\uFFFD",netns="host"} 0
netlink_interface_info{ifindex="4",interface="v\uFFFD",kind="veth",master="b\uFFFD",netns="host",operstate="down"} 1
netlink_interface_info{ifindex="5",interface="v\uFFFD",kind="veth",master="",netns="host",operstate="down"} 1
netlink_interface_series_dropped 0
netlink_interface_series_limit 100
netlink_interface_up{ifindex="4",interface="v\uFFFD",netns="host"} 0
netlink_interface_up{ifindex="5",interface="v\uFFFD",netns="host"} 0
`
	want = strings.ReplaceAll(want, `\uFFFD`, "\uFFFD")
	if err := testutil.GatherAndCompare(released(t, c), strings.NewReader(withHeaders(want))); err != nil {
		t.Error(err)
	}
}
