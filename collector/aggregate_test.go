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
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// clusterSnapshot is fullSnapshot with a living pod namespace more, and the
// sums of namespaces that left it: dir namespaces whose retention expired,
// and an earlier Unidentified.
func clusterSnapshot(tb testing.TB) netlinkmon.Snapshot {
	s := fullSnapshot(tb)
	web1 := netlinkmon.KindCounters{Kind: "veth", Created: started.Add(90 * time.Minute), Creations: 1, CarrierUp: 1}
	web1.FlagsSet[flagBit(tb, "up")] = 1
	s.Namespaces = append(s.Namespaces, netlinkmon.Namespace{
		Name: "cni-5678", Inode: 4026532500, NSID: 8, Source: netlinkmon.SourceDir,
		Alive: true, LastEvent: time.Unix(1700000200, 0),
		Pod:   netlinkmon.Pod{Namespace: "shop", Name: "web-1", UID: "1a2b-uid"},
		Kinds: []netlinkmon.KindCounters{{Kind: "device", Created: started.Add(90 * time.Minute)}, web1},
		Links: []netlinkmon.LinkCount{{Kind: "device", OperState: "unknown", Count: 1}, {Kind: "veth", OperState: "up", Count: 1}},
	})
	expired := netlinkmon.KindCounters{Kind: "veth", Created: started.Add(time.Minute), Creations: 20, Deletions: 20, CarrierUp: 20}
	expired.FlagsSet[flagBit(tb, "up")] = 20
	s.Expired = []netlinkmon.Namespace{
		{Source: netlinkmon.SourceDir, NSID: netlinkmon.NoNSID, LastEvent: time.Unix(1699999000, 0),
			Kinds: []netlinkmon.KindCounters{expired}},
		{Name: netlinkmon.Unidentified, NSID: netlinkmon.NoNSID,
			Kinds: []netlinkmon.KindCounters{{Kind: "veth", Created: started.Add(2 * time.Hour), Creations: 3, Deletions: 3}}},
	}
	return s
}

// clusterNamespaceText is what clusterSnapshot's namespaces expose with
// Options.Aggregate: the host's series as without it, one set of the dir
// namespaces living, dead and expired, one of the proc namespace, and
// Unidentified's with its earlier counts.
const clusterNamespaceText = `
# HELP netlink_link_carrier_changes_total Carrier transitions of links in the namespace, from the kernel's per-link carrier counters.
# TYPE netlink_link_carrier_changes_total counter
netlink_link_carrier_changes_total{direction="down",kind="device",netns="aggregate-dir"} 0
netlink_link_carrier_changes_total{direction="down",kind="device",netns="aggregate-proc"} 0
netlink_link_carrier_changes_total{direction="down",kind="bridge",netns="host"} 0
netlink_link_carrier_changes_total{direction="down",kind="device",netns="host"} 0
netlink_link_carrier_changes_total{direction="down",kind="veth",netns="aggregate-dir"} 0
netlink_link_carrier_changes_total{direction="down",kind="veth",netns="host"} 1
netlink_link_carrier_changes_total{direction="down",kind="veth",netns="unidentified"} 0
netlink_link_carrier_changes_total{direction="up",kind="device",netns="aggregate-dir"} 0
netlink_link_carrier_changes_total{direction="up",kind="device",netns="aggregate-proc"} 0
netlink_link_carrier_changes_total{direction="up",kind="bridge",netns="host"} 0
netlink_link_carrier_changes_total{direction="up",kind="device",netns="host"} 0
netlink_link_carrier_changes_total{direction="up",kind="veth",netns="aggregate-dir"} 21
netlink_link_carrier_changes_total{direction="up",kind="veth",netns="host"} 3
netlink_link_carrier_changes_total{direction="up",kind="veth",netns="unidentified"} 0
# HELP netlink_link_creations_total Links that came into existence in the namespace. Links present when the exporter started are not counted.
# TYPE netlink_link_creations_total counter
netlink_link_creations_total{kind="bridge",netns="host"} 1
netlink_link_creations_total{kind="device",netns="aggregate-dir"} 0
netlink_link_creations_total{kind="device",netns="aggregate-proc"} 0
netlink_link_creations_total{kind="device",netns="host"} 0
netlink_link_creations_total{kind="veth",netns="aggregate-dir"} 22
netlink_link_creations_total{kind="veth",netns="host"} 4
netlink_link_creations_total{kind="veth",netns="unidentified"} 8
# HELP netlink_link_deletions_total Links that ceased to exist in the namespace, including those destroyed with it.
# TYPE netlink_link_deletions_total counter
netlink_link_deletions_total{kind="bridge",netns="host"} 0
netlink_link_deletions_total{kind="device",netns="aggregate-dir"} 0
netlink_link_deletions_total{kind="device",netns="aggregate-proc"} 0
netlink_link_deletions_total{kind="device",netns="host"} 0
netlink_link_deletions_total{kind="veth",netns="aggregate-dir"} 21
netlink_link_deletions_total{kind="veth",netns="host"} 1
netlink_link_deletions_total{kind="veth",netns="unidentified"} 8
# HELP netlink_link_flag_changes_total Transitions of each IFF link flag, by flag (iproute2's names) and change (set or cleared). A series appears on its first change.
# TYPE netlink_link_flag_changes_total counter
netlink_link_flag_changes_total{change="cleared",flag="running",kind="veth",netns="aggregate-dir"} 1
netlink_link_flag_changes_total{change="cleared",flag="up",kind="veth",netns="host"} 1
netlink_link_flag_changes_total{change="set",flag="lower_up",kind="veth",netns="host"} 3
netlink_link_flag_changes_total{change="set",flag="promisc",kind="bridge",netns="host"} 2
netlink_link_flag_changes_total{change="set",flag="up",kind="veth",netns="aggregate-dir"} 21
netlink_link_flag_changes_total{change="set",flag="up",kind="veth",netns="host"} 4
# HELP netlink_link_moves_total Links moved into (direction="in") or out of (direction="out") the namespace; both series appear at the kind's first move. A move is not also counted as a creation or a deletion.
# TYPE netlink_link_moves_total counter
netlink_link_moves_total{direction="in",kind="veth",netns="aggregate-dir"} 1
netlink_link_moves_total{direction="in",kind="veth",netns="host"} 0
netlink_link_moves_total{direction="out",kind="veth",netns="aggregate-dir"} 0
netlink_link_moves_total{direction="out",kind="veth",netns="host"} 2
# HELP netlink_links Links now present in the namespace, by kind and operational state (RFC 2863).
# TYPE netlink_links gauge
netlink_links{kind="bridge",netns="host",operstate="up"} 1
netlink_links{kind="device",netns="aggregate-dir",operstate="unknown"} 1
netlink_links{kind="device",netns="aggregate-proc",operstate="down"} 1
netlink_links{kind="device",netns="host",operstate="unknown"} 1
netlink_links{kind="veth",netns="aggregate-dir",operstate="up"} 1
netlink_links{kind="veth",netns="host",operstate="lowerlayerdown"} 1
netlink_links{kind="veth",netns="host",operstate="up"} 2
# HELP netlink_netns_info Information about a watched network namespace, always 1. nsid is empty for the exporter's own namespace, which has no nsid. Dead namespaces have no series.
# TYPE netlink_netns_info gauge
netlink_netns_info{inode="4026531840",netns="host",nsid="",source="self"} 1
# HELP netlink_netns_last_event_timestamp_seconds Unix time of the last link event seen in the namespace. Absent until the first event.
# TYPE netlink_netns_last_event_timestamp_seconds gauge
netlink_netns_last_event_timestamp_seconds{netns="aggregate-dir"} 1.7000002e+09
netlink_netns_last_event_timestamp_seconds{netns="host"} 1.7000000005e+09
`

// clusterRecentText is the recent view of clusterSnapshot with Recent 2:
// the two dir namespaces, the proc one having seen no event.
const clusterRecentText = `
# HELP netlink_netns_recent_last_event_timestamp_seconds With aggregated namespaces: Unix time of the last link event of each of the few namespaces (living or within the retention, the host aside) whose links changed last, with their pod, if any. A gauge over that window: a namespace's series goes when others' links change later.
# TYPE netlink_netns_recent_last_event_timestamp_seconds gauge
netlink_netns_recent_last_event_timestamp_seconds{namespace="shop",netns="cni-1234",pod="web-0"} 1.70000010025e+09
netlink_netns_recent_last_event_timestamp_seconds{namespace="shop",netns="cni-5678",pod="web-1"} 1.7000002e+09
# HELP netlink_netns_recent_link_changes With aggregated namespaces: links created, deleted or moved in or out in each namespace of netlink_netns_recent_last_event_timestamp_seconds since it was watched. A gauge: the series goes with the namespace's place in that view, its counts stay in the aggregate.
# TYPE netlink_netns_recent_link_changes gauge
netlink_netns_recent_link_changes{namespace="shop",netns="cni-1234",pod="web-0"} 3
netlink_netns_recent_link_changes{namespace="shop",netns="cni-5678",pod="web-1"} 1
`

const clusterWatchedText = `
# HELP netlink_netns_watched Network namespaces now watched, by source: self (the exporter's own), dir (bind-mounted in a watched directory) or proc (held only by processes). The same three series whether or not namespaces are aggregated.
# TYPE netlink_netns_watched gauge
netlink_netns_watched{source="dir"} 1
netlink_netns_watched{source="proc"} 1
netlink_netns_watched{source="self"} 1
`

func TestCollectAggregate(t *testing.T) {
	// fullOtherText begins with the watched namespaces of fullSnapshot.
	others := fullOtherText[strings.Index(fullOtherText, "# HELP netlink_dump_interruptions_total"):]
	full := clusterNamespaceText + clusterRecentText + clusterWatchedText + others
	expectGathered(t, New(fakeSource(clusterSnapshot(t)), Options{Aggregate: true, Recent: 2}), full)

	// Recent bounds the view: the namespace whose links changed last.
	latest := `
# HELP netlink_netns_recent_link_changes With aggregated namespaces: links created, deleted or moved in or out in each namespace of netlink_netns_recent_last_event_timestamp_seconds since it was watched. A gauge: the series goes with the namespace's place in that view, its counts stay in the aggregate.
# TYPE netlink_netns_recent_link_changes gauge
netlink_netns_recent_link_changes{namespace="shop",netns="cni-5678",pod="web-1"} 1
`
	c := New(fakeSource(clusterSnapshot(t)), Options{Aggregate: true, Recent: 1})
	if err := testutil.GatherAndCompare(released(t, c), strings.NewReader(latest), "netlink_netns_recent_link_changes"); err != nil {
		t.Error(err)
	}
	// Without aggregation there is no such view: every namespace has
	// its own series.
	n, err := testutil.GatherAndCount(released(t, New(fakeSource(clusterSnapshot(t)), Options{Recent: 2})), "netlink_netns_recent_link_changes")
	if err != nil || n != 0 {
		t.Errorf("%d recent series without aggregation (%v), want none", n, err)
	}
}

// A dead namespace's counts stay in its aggregate when its retention
// expires and the monitor moves them to Snapshot.Expired, and so does the
// time the aggregate's series began.
func TestCollectAggregateExpiry(t *testing.T) {
	before := clusterSnapshot(t)
	after := clusterSnapshot(t)
	// cni-1234, dead, expires: its counts join the sum of dir namespaces.
	i := 0
	dead := after.Namespaces[i]
	if dead.Name != "cni-1234" || dead.Alive {
		t.Fatalf("namespace %d is %s, alive %v; want cni-1234, dead", i, dead.Name, dead.Alive)
	}
	after.Namespaces = append(after.Namespaces[:i:i], after.Namespaces[i+1:]...)
	sum := &after.Expired[0]
	sum.Kinds = addKind(sum.Kinds, &dead.Kinds[0])
	sum.LastEvent = dead.LastEvent

	families := []string{
		"netlink_link_creations_total", "netlink_link_deletions_total", "netlink_link_moves_total",
		"netlink_link_flag_changes_total", "netlink_link_carrier_changes_total", "netlink_links",
		"netlink_netns_last_event_timestamp_seconds",
	}
	var want strings.Builder
	for _, name := range families {
		want.WriteString(familyText(clusterNamespaceText, name))
	}
	for _, snap := range []netlinkmon.Snapshot{before, after} {
		c := New(fakeSource(snap), Options{Aggregate: true, Recent: 2})
		if err := testutil.GatherAndCompare(released(t, c), strings.NewReader(want.String()), families...); err != nil {
			t.Error(err)
		}
	}

	// The created timestamps: the earliest of the aggregate's namespaces',
	// the expired ones' included.
	for _, snap := range []netlinkmon.Snapshot{before, after} {
		for _, m := range scrapeProto(t, New(fakeSource(snap), Options{Aggregate: true}))["netlink_link_creations_total"].GetMetric() {
			want := map[[2]string]time.Time{
				{"aggregate-dir", "veth"}:   started.Add(time.Minute),
				{"aggregate-dir", "device"}: started.Add(90 * time.Minute),
				{"unidentified", "veth"}:    started.Add(2 * time.Hour),
				{"host", "veth"}:            started.Add(time.Minute),
			}[[2]string{labelValue(m, "netns"), labelValue(m, "kind")}]
			if want.IsZero() {
				continue
			}
			if got := m.GetCounter().GetCreatedTimestamp(); got == nil || !got.AsTime().Equal(want) {
				t.Errorf("creations%v: created %v, want %v", m.GetLabel(), got.AsTime(), want)
			}
		}
	}
}

// familyText returns the lines of text that belong to the family name.
func familyText(text, name string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "#" && f[2] == name,
			len(f) >= 1 && f[0] != "#" && (f[0] == name || strings.HasPrefix(f[0], name+"{")):
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
