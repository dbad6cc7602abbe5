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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

type fakeSource netlinkmon.Snapshot

func (f fakeSource) Snapshot() netlinkmon.Snapshot { return netlinkmon.Snapshot(f) }

type fakeInterfaces netlinkmon.InterfaceSnapshot

// released serves g to what takes a prometheus.Gatherer, as testutil's
// functions do: the families of each Gather are released when tb ends.
func released(tb testing.TB, g prometheus.TransactionalGatherer) prometheus.Gatherer {
	return releasedGatherer{tb, g}
}

type releasedGatherer struct {
	tb testing.TB
	g  prometheus.TransactionalGatherer
}

func (r releasedGatherer) Gather() ([]*dto.MetricFamily, error) {
	mfs, done, err := r.g.Gather()
	r.tb.Cleanup(done)
	return mfs, err
}

func (f fakeInterfaces) InterfaceSnapshot() netlinkmon.InterfaceSnapshot {
	return netlinkmon.InterfaceSnapshot(f)
}

// flagBit returns the bit of flag name, failing tb if there is none.
func flagBit(tb testing.TB, name string) int {
	tb.Helper()
	for b := range netlinkmon.NumFlags {
		if netlinkmon.FlagName(b) == name {
			return b
		}
	}
	tb.Fatalf("no flag %q", name)
	return -1
}

// started is when the monitor of fullSnapshot started.
var started = time.Unix(1699990000, 125e6)

// fullSnapshot has counters of every family, each kind with the time its
// counters began, except the device kind of ino-4026532400, whose time is
// unknown.
func fullSnapshot(tb testing.TB) netlinkmon.Snapshot {
	veth := netlinkmon.KindCounters{Kind: "veth", Created: started.Add(time.Minute),
		Creations: 4, Deletions: 1, MovesIn: 0, MovesOut: 2, CarrierUp: 3, CarrierDown: 1}
	veth.FlagsSet[flagBit(tb, "up")] = 4
	veth.FlagsCleared[flagBit(tb, "up")] = 1
	veth.FlagsSet[flagBit(tb, "lower_up")] = 3
	bridge := netlinkmon.KindCounters{Kind: "bridge", Created: started.Add(2 * time.Minute), Creations: 1}
	bridge.FlagsSet[flagBit(tb, "promisc")] = 2
	deadVeth := netlinkmon.KindCounters{Kind: "veth", Created: started.Add(time.Hour), Creations: 1, Deletions: 1, MovesIn: 1}
	deadVeth.FlagsCleared[flagBit(tb, "running")] = 1

	return netlinkmon.Snapshot{
		Namespaces: []netlinkmon.Namespace{
			{
				// A pod's namespace, dead and within its retention.
				Name: "cni-1234", Inode: 4026532300, NSID: 0, Source: netlinkmon.SourceDir,
				Alive: false, LastEvent: time.Unix(1700000100, 250e6),
				Pod:   netlinkmon.Pod{Namespace: "shop", Name: "web-0", UID: "6f1c0e52-uid"},
				Kinds: []netlinkmon.KindCounters{deadVeth},
			},
			{
				Name: "host", Inode: 4026531840, NSID: netlinkmon.NoNSID, Source: netlinkmon.SourceSelf,
				Alive: true, LastEvent: time.Unix(1700000000, 500e6),
				Kinds: []netlinkmon.KindCounters{bridge, {Kind: "device", Created: started}, veth},
				Links: []netlinkmon.LinkCount{
					{Kind: "bridge", OperState: "up", Count: 1},
					{Kind: "device", OperState: "unknown", Count: 1},
					{Kind: "veth", OperState: "lowerlayerdown", Count: 1},
					{Kind: "veth", OperState: "up", Count: 2},
				},
			},
			{
				// Seen, but with no event yet: no timestamp series.
				Name: "ino-4026532400", Inode: 4026532400, NSID: 7, Source: netlinkmon.SourceProc,
				Alive: true,
				Pod:   netlinkmon.Pod{Namespace: "kube-system", Name: "coredns-0", UID: "0b9d7a31-uid"},
				Kinds: []netlinkmon.KindCounters{{Kind: "device"}},
				Links: []netlinkmon.LinkCount{{Kind: "device", OperState: "down", Count: 1}},
			},
			{
				// Namespaces that died unnamed: link counters only.
				Name: netlinkmon.Unidentified, NSID: netlinkmon.NoNSID,
				Kinds: []netlinkmon.KindCounters{{Kind: "veth", Created: started.Add(3 * time.Hour), Creations: 5, Deletions: 5}},
			},
		},
		Discoveries: 3,
		Removals:    1,
		Overruns:    2,
		Resyncs:     map[string]uint64{"overrun": 2, "nsid": 1},
		Repairs:     map[string]uint64{"nsid_gone": 1, "nsid_unannounced": 0, "nsid_reused": 2},
		Messages:    map[string]uint64{"newlink": 17, "dellink": 2, "newnsid": 1, "malformed": 1, "foreign": 3},

		DumpInterruptions: 4,

		EventSubscribers: 2,
		EventsDropped:    40,
		Started:          started,
	}
}

// fullNamespaceText is what fullSnapshot's namespaces expose, and
// fullOtherText the rest: the series of no namespace.
const (
	fullNamespaceText = `
# HELP netlink_link_carrier_changes_total Carrier transitions of links in the namespace, from the kernel's per-link carrier counters.
# TYPE netlink_link_carrier_changes_total counter
netlink_link_carrier_changes_total{direction="down",kind="bridge",netns="host"} 0
netlink_link_carrier_changes_total{direction="down",kind="device",netns="host"} 0
netlink_link_carrier_changes_total{direction="down",kind="device",netns="ino-4026532400"} 0
netlink_link_carrier_changes_total{direction="down",kind="veth",netns="cni-1234"} 0
netlink_link_carrier_changes_total{direction="down",kind="veth",netns="host"} 1
netlink_link_carrier_changes_total{direction="down",kind="veth",netns="unidentified"} 0
netlink_link_carrier_changes_total{direction="up",kind="bridge",netns="host"} 0
netlink_link_carrier_changes_total{direction="up",kind="device",netns="host"} 0
netlink_link_carrier_changes_total{direction="up",kind="device",netns="ino-4026532400"} 0
netlink_link_carrier_changes_total{direction="up",kind="veth",netns="cni-1234"} 0
netlink_link_carrier_changes_total{direction="up",kind="veth",netns="host"} 3
netlink_link_carrier_changes_total{direction="up",kind="veth",netns="unidentified"} 0
# HELP netlink_link_creations_total Links that came into existence in the namespace. Links present when the exporter started are not counted.
# TYPE netlink_link_creations_total counter
netlink_link_creations_total{kind="bridge",netns="host"} 1
netlink_link_creations_total{kind="device",netns="host"} 0
netlink_link_creations_total{kind="device",netns="ino-4026532400"} 0
netlink_link_creations_total{kind="veth",netns="cni-1234"} 1
netlink_link_creations_total{kind="veth",netns="host"} 4
netlink_link_creations_total{kind="veth",netns="unidentified"} 5
# HELP netlink_link_deletions_total Links that ceased to exist in the namespace, including those destroyed with it.
# TYPE netlink_link_deletions_total counter
netlink_link_deletions_total{kind="bridge",netns="host"} 0
netlink_link_deletions_total{kind="device",netns="host"} 0
netlink_link_deletions_total{kind="device",netns="ino-4026532400"} 0
netlink_link_deletions_total{kind="veth",netns="cni-1234"} 1
netlink_link_deletions_total{kind="veth",netns="host"} 1
netlink_link_deletions_total{kind="veth",netns="unidentified"} 5
# HELP netlink_link_flag_changes_total Transitions of each IFF link flag, by flag (iproute2's names) and change (set or cleared). A series appears on its first change.
# TYPE netlink_link_flag_changes_total counter
netlink_link_flag_changes_total{change="cleared",flag="running",kind="veth",netns="cni-1234"} 1
netlink_link_flag_changes_total{change="cleared",flag="up",kind="veth",netns="host"} 1
netlink_link_flag_changes_total{change="set",flag="lower_up",kind="veth",netns="host"} 3
netlink_link_flag_changes_total{change="set",flag="promisc",kind="bridge",netns="host"} 2
netlink_link_flag_changes_total{change="set",flag="up",kind="veth",netns="host"} 4
# HELP netlink_link_moves_total Links moved into (direction="in") or out of (direction="out") the namespace; both series appear at the kind's first move. A move is not also counted as a creation or a deletion.
# TYPE netlink_link_moves_total counter
netlink_link_moves_total{direction="in",kind="veth",netns="cni-1234"} 1
netlink_link_moves_total{direction="in",kind="veth",netns="host"} 0
netlink_link_moves_total{direction="out",kind="veth",netns="cni-1234"} 0
netlink_link_moves_total{direction="out",kind="veth",netns="host"} 2
# HELP netlink_links Links now present in the namespace, by kind and operational state (RFC 2863).
# TYPE netlink_links gauge
netlink_links{kind="bridge",netns="host",operstate="up"} 1
netlink_links{kind="device",netns="host",operstate="unknown"} 1
netlink_links{kind="device",netns="ino-4026532400",operstate="down"} 1
netlink_links{kind="veth",netns="host",operstate="lowerlayerdown"} 1
netlink_links{kind="veth",netns="host",operstate="up"} 2
# HELP netlink_netns_info Information about a watched network namespace, always 1. nsid is empty for the exporter's own namespace, which has no nsid. Dead namespaces have no series.
# TYPE netlink_netns_info gauge
netlink_netns_info{inode="4026531840",netns="host",nsid="",source="self"} 1
netlink_netns_info{inode="4026532400",netns="ino-4026532400",nsid="7",source="proc"} 1
# HELP netlink_netns_last_event_timestamp_seconds Unix time of the last link event seen in the namespace. Absent until the first event.
# TYPE netlink_netns_last_event_timestamp_seconds gauge
netlink_netns_last_event_timestamp_seconds{netns="cni-1234"} 1.70000010025e+09
netlink_netns_last_event_timestamp_seconds{netns="host"} 1.7000000005e+09
# HELP netlink_netns_pod_info The Kubernetes pod that the network namespace belongs to, always 1, from the node's CRI runtime. Label names follow kube-state-metrics (namespace, pod, uid). Kept for the namespace's retention after its death.
# TYPE netlink_netns_pod_info gauge
netlink_netns_pod_info{namespace="kube-system",netns="ino-4026532400",pod="coredns-0",uid="0b9d7a31-uid"} 1
netlink_netns_pod_info{namespace="shop",netns="cni-1234",pod="web-0",uid="6f1c0e52-uid"} 1
`
	fullOtherText = `
# HELP netlink_netns_watched Network namespaces now watched, by source: self (the exporter's own), dir (bind-mounted in a watched directory) or proc (held only by processes). The same three series whether or not namespaces are aggregated.
# TYPE netlink_netns_watched gauge
netlink_netns_watched{source="dir"} 0
netlink_netns_watched{source="proc"} 1
netlink_netns_watched{source="self"} 1
# HELP netlink_dump_interruptions_total Dumps that the kernel marked interrupted (NLM_F_DUMP_INTR) because links or namespaces came and went while they ran; each is made again, never used.
# TYPE netlink_dump_interruptions_total counter
netlink_dump_interruptions_total 4
# HELP netlink_events_dropped_total Link events dropped for /events clients that did not keep up; each client is told how many it missed.
# TYPE netlink_events_dropped_total counter
netlink_events_dropped_total 40
# HELP netlink_events_subscribers Clients of the /events stream now connected.
# TYPE netlink_events_subscribers gauge
netlink_events_subscribers 2
# HELP netlink_messages_total Netlink messages received on the event socket, by message type; messages of events or dumps that could not be decoded (malformed); datagrams from another sender than the kernel, dropped unread (foreign).
# TYPE netlink_messages_total counter
netlink_messages_total{type="dellink"} 2
netlink_messages_total{type="foreign"} 3
netlink_messages_total{type="malformed"} 1
netlink_messages_total{type="newlink"} 17
netlink_messages_total{type="newnsid"} 1
# HELP netlink_netns_discoveries_total Network namespaces that began to be watched.
# TYPE netlink_netns_discoveries_total counter
netlink_netns_discoveries_total 3
# HELP netlink_netns_removals_total Watched network namespaces that died.
# TYPE netlink_netns_removals_total counter
netlink_netns_removals_total 1
# HELP netlink_overruns_total Receive-queue overruns (ENOBUFS) of the netlink event socket.
# TYPE netlink_overruns_total counter
netlink_overruns_total 2
# HELP netlink_registry_repairs_total Corrections of the namespace registry that the kernel's nsid announcements should have made, by reason: nsid_gone, nsid_unannounced, nsid_reused.
# TYPE netlink_registry_repairs_total counter
netlink_registry_repairs_total{reason="nsid_gone"} 1
netlink_registry_repairs_total{reason="nsid_reused"} 2
netlink_registry_repairs_total{reason="nsid_unannounced"} 0
# HELP netlink_resyncs_total Full re-reads of link state, by reason.
# TYPE netlink_resyncs_total counter
netlink_resyncs_total{reason="nsid"} 1
netlink_resyncs_total{reason="overrun"} 2
`
)

// fullText is what fullSnapshot exposes.
const fullText = fullNamespaceText + fullOtherText

// podLabelsText is fullText with Options.PodLabels: the per-namespace series
// have the namespace and pod labels, empty for namespaces of no pod.
const podLabelsText = `
# HELP netlink_link_carrier_changes_total Carrier transitions of links in the namespace, from the kernel's per-link carrier counters.
# TYPE netlink_link_carrier_changes_total counter
netlink_link_carrier_changes_total{direction="down",kind="bridge",namespace="",netns="host",pod=""} 0
netlink_link_carrier_changes_total{direction="down",kind="device",namespace="",netns="host",pod=""} 0
netlink_link_carrier_changes_total{direction="down",kind="device",namespace="kube-system",netns="ino-4026532400",pod="coredns-0"} 0
netlink_link_carrier_changes_total{direction="down",kind="veth",namespace="",netns="host",pod=""} 1
netlink_link_carrier_changes_total{direction="down",kind="veth",namespace="shop",netns="cni-1234",pod="web-0"} 0
netlink_link_carrier_changes_total{direction="down",kind="veth",namespace="",netns="unidentified",pod=""} 0
netlink_link_carrier_changes_total{direction="up",kind="bridge",namespace="",netns="host",pod=""} 0
netlink_link_carrier_changes_total{direction="up",kind="device",namespace="",netns="host",pod=""} 0
netlink_link_carrier_changes_total{direction="up",kind="device",namespace="kube-system",netns="ino-4026532400",pod="coredns-0"} 0
netlink_link_carrier_changes_total{direction="up",kind="veth",namespace="",netns="host",pod=""} 3
netlink_link_carrier_changes_total{direction="up",kind="veth",namespace="shop",netns="cni-1234",pod="web-0"} 0
netlink_link_carrier_changes_total{direction="up",kind="veth",namespace="",netns="unidentified",pod=""} 0
# HELP netlink_link_creations_total Links that came into existence in the namespace. Links present when the exporter started are not counted.
# TYPE netlink_link_creations_total counter
netlink_link_creations_total{kind="bridge",namespace="",netns="host",pod=""} 1
netlink_link_creations_total{kind="device",namespace="",netns="host",pod=""} 0
netlink_link_creations_total{kind="device",namespace="kube-system",netns="ino-4026532400",pod="coredns-0"} 0
netlink_link_creations_total{kind="veth",namespace="",netns="host",pod=""} 4
netlink_link_creations_total{kind="veth",namespace="shop",netns="cni-1234",pod="web-0"} 1
netlink_link_creations_total{kind="veth",namespace="",netns="unidentified",pod=""} 5
# HELP netlink_link_deletions_total Links that ceased to exist in the namespace, including those destroyed with it.
# TYPE netlink_link_deletions_total counter
netlink_link_deletions_total{kind="bridge",namespace="",netns="host",pod=""} 0
netlink_link_deletions_total{kind="device",namespace="",netns="host",pod=""} 0
netlink_link_deletions_total{kind="device",namespace="kube-system",netns="ino-4026532400",pod="coredns-0"} 0
netlink_link_deletions_total{kind="veth",namespace="",netns="host",pod=""} 1
netlink_link_deletions_total{kind="veth",namespace="shop",netns="cni-1234",pod="web-0"} 1
netlink_link_deletions_total{kind="veth",namespace="",netns="unidentified",pod=""} 5
# HELP netlink_link_flag_changes_total Transitions of each IFF link flag, by flag (iproute2's names) and change (set or cleared). A series appears on its first change.
# TYPE netlink_link_flag_changes_total counter
netlink_link_flag_changes_total{change="cleared",flag="running",kind="veth",namespace="shop",netns="cni-1234",pod="web-0"} 1
netlink_link_flag_changes_total{change="cleared",flag="up",kind="veth",namespace="",netns="host",pod=""} 1
netlink_link_flag_changes_total{change="set",flag="lower_up",kind="veth",namespace="",netns="host",pod=""} 3
netlink_link_flag_changes_total{change="set",flag="promisc",kind="bridge",namespace="",netns="host",pod=""} 2
netlink_link_flag_changes_total{change="set",flag="up",kind="veth",namespace="",netns="host",pod=""} 4
# HELP netlink_link_moves_total Links moved into (direction="in") or out of (direction="out") the namespace; both series appear at the kind's first move. A move is not also counted as a creation or a deletion.
# TYPE netlink_link_moves_total counter
netlink_link_moves_total{direction="in",kind="veth",namespace="",netns="host",pod=""} 0
netlink_link_moves_total{direction="in",kind="veth",namespace="shop",netns="cni-1234",pod="web-0"} 1
netlink_link_moves_total{direction="out",kind="veth",namespace="",netns="host",pod=""} 2
netlink_link_moves_total{direction="out",kind="veth",namespace="shop",netns="cni-1234",pod="web-0"} 0
# HELP netlink_links Links now present in the namespace, by kind and operational state (RFC 2863).
# TYPE netlink_links gauge
netlink_links{kind="bridge",namespace="",netns="host",operstate="up",pod=""} 1
netlink_links{kind="device",namespace="",netns="host",operstate="unknown",pod=""} 1
netlink_links{kind="device",namespace="kube-system",netns="ino-4026532400",operstate="down",pod="coredns-0"} 1
netlink_links{kind="veth",namespace="",netns="host",operstate="lowerlayerdown",pod=""} 1
netlink_links{kind="veth",namespace="",netns="host",operstate="up",pod=""} 2
# HELP netlink_netns_info Information about a watched network namespace, always 1. nsid is empty for the exporter's own namespace, which has no nsid. Dead namespaces have no series.
# TYPE netlink_netns_info gauge
netlink_netns_info{inode="4026531840",namespace="",netns="host",nsid="",pod="",source="self"} 1
netlink_netns_info{inode="4026532400",namespace="kube-system",netns="ino-4026532400",nsid="7",pod="coredns-0",source="proc"} 1
# HELP netlink_netns_last_event_timestamp_seconds Unix time of the last link event seen in the namespace. Absent until the first event.
# TYPE netlink_netns_last_event_timestamp_seconds gauge
netlink_netns_last_event_timestamp_seconds{namespace="",netns="host",pod=""} 1.7000000005e+09
netlink_netns_last_event_timestamp_seconds{namespace="shop",netns="cni-1234",pod="web-0"} 1.70000010025e+09
# HELP netlink_netns_pod_info The Kubernetes pod that the network namespace belongs to, always 1, from the node's CRI runtime. Label names follow kube-state-metrics (namespace, pod, uid). Kept for the namespace's retention after its death.
# TYPE netlink_netns_pod_info gauge
netlink_netns_pod_info{namespace="kube-system",netns="ino-4026532400",pod="coredns-0",uid="0b9d7a31-uid"} 1
netlink_netns_pod_info{namespace="shop",netns="cni-1234",pod="web-0",uid="6f1c0e52-uid"} 1
` + fullOtherText

// emptyText is what a monitor that has seen nothing yet exposes: the
// unlabelled counters, and the overrun resync series so alerts have one.
const emptyText = `
# HELP netlink_netns_watched Network namespaces now watched, by source: self (the exporter's own), dir (bind-mounted in a watched directory) or proc (held only by processes). The same three series whether or not namespaces are aggregated.
# TYPE netlink_netns_watched gauge
netlink_netns_watched{source="dir"} 0
netlink_netns_watched{source="proc"} 0
netlink_netns_watched{source="self"} 0
# HELP netlink_dump_interruptions_total Dumps that the kernel marked interrupted (NLM_F_DUMP_INTR) because links or namespaces came and went while they ran; each is made again, never used.
# TYPE netlink_dump_interruptions_total counter
netlink_dump_interruptions_total 0
# HELP netlink_events_dropped_total Link events dropped for /events clients that did not keep up; each client is told how many it missed.
# TYPE netlink_events_dropped_total counter
netlink_events_dropped_total 0
# HELP netlink_events_subscribers Clients of the /events stream now connected.
# TYPE netlink_events_subscribers gauge
netlink_events_subscribers 0
# HELP netlink_netns_discoveries_total Network namespaces that began to be watched.
# TYPE netlink_netns_discoveries_total counter
netlink_netns_discoveries_total 0
# HELP netlink_netns_removals_total Watched network namespaces that died.
# TYPE netlink_netns_removals_total counter
netlink_netns_removals_total 0
# HELP netlink_overruns_total Receive-queue overruns (ENOBUFS) of the netlink event socket.
# TYPE netlink_overruns_total counter
netlink_overruns_total 0
# HELP netlink_registry_repairs_total Corrections of the namespace registry that the kernel's nsid announcements should have made, by reason: nsid_gone, nsid_unannounced, nsid_reused.
# TYPE netlink_registry_repairs_total counter
netlink_registry_repairs_total{reason="nsid_gone"} 0
netlink_registry_repairs_total{reason="nsid_reused"} 0
netlink_registry_repairs_total{reason="nsid_unannounced"} 0
# HELP netlink_resyncs_total Full re-reads of link state, by reason.
# TYPE netlink_resyncs_total counter
netlink_resyncs_total{reason="overrun"} 0
`

func TestCollect(t *testing.T) {
	reversed := fullSnapshot(t)
	slices.Reverse(reversed.Namespaces)
	tests := []struct {
		name string
		snap netlinkmon.Snapshot
		opts Options
		want string
	}{
		{name: "full", snap: fullSnapshot(t), want: fullText},
		// The order of the output is the builder's, not the source's.
		{name: "unsorted source", snap: reversed, want: fullText},
		{name: "pod labels", snap: fullSnapshot(t), opts: Options{PodLabels: true}, want: podLabelsText},
		{name: "empty", snap: netlinkmon.Snapshot{}, want: emptyText},
		{name: "empty with pod labels", snap: netlinkmon.Snapshot{}, opts: Options{PodLabels: true}, want: emptyText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectGathered(t, New(fakeSource(tt.snap), tt.opts), tt.want)
		})
	}
}

// expectGathered checks that g gathers exactly want, in the text format,
// with none of the errors or lint problems that client_golang finds, and
// already as prometheus.Gatherers would make it: with its checks made and
// its series sorted. The exporter serves g without either.
func expectGathered(t *testing.T, tg prometheus.TransactionalGatherer, want string) {
	t.Helper()
	g := released(t, tg)
	got := gatherChecked(t, g)
	if err := testutil.GatherAndCompare(g, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	problems, err := testutil.GatherAndLint(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	for _, mf := range got {
		descs, ok := descsByName[mf.GetName()]
		if !ok {
			continue
		}
		for _, m := range mf.GetMetric() {
			var names []string
			for _, lp := range m.GetLabel() {
				names = append(names, lp.GetName())
			}
			if !slices.ContainsFunc(descs, func(d *desc) bool { return slices.Equal(names, d.labels) }) {
				t.Errorf("%s: a series with labels %v; want those of its descriptor", mf.GetName(), names)
			}
		}
	}
}

// gatherChecked returns what g gathers, failing t on an error, or if
// prometheus.Gatherers, which checks every series and sorts families and
// series, makes anything else of it.
func gatherChecked(t *testing.T, g prometheus.Gatherer) []*dto.MetricFamily {
	t.Helper()
	got, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	checked, err := prometheus.Gatherers{g}.Gather()
	if err != nil {
		t.Fatalf("client_golang's checks: %v", err)
	}
	if diff := cmp.Diff(checked, got, protocmp.Transform()); diff != "" {
		t.Errorf("gathered out of order (-sorted +got):\n%s", diff)
	}
	return got
}

// descsByName holds the descriptors of this package's families, for the
// label names of their series: two for a per-namespace family, with and
// without pod labels.
var descsByName = func() map[string][]*desc {
	m := make(map[string][]*desc)
	ns := func(d nsDescs) []*desc {
		return []*desc{
			d.linkCreations, d.linkDeletions, d.linkMoves, d.linkFlagChanges, d.linkCarrierChanges,
			d.links, d.netnsInfo, d.netnsLastEvent,
		}
	}
	for _, d := range append(append(ns(plainNSDescs), ns(podNSDescs)...),
		netnsPodInfoDesc, netnsWatchedDesc, netnsRecentLastEventDesc, netnsRecentLinkChangesDesc,
		netnsDiscoveriesDesc, netnsRemovalsDesc, overrunsDesc, resyncsDesc, messagesDesc,
		dumpInterruptionsDesc, registryRepairsDesc, eventSubscribersDesc, eventsDroppedDesc,
		interfaceInfoDesc, interfaceUpDesc, interfaceCarrierDesc, interfaceCarrierChangesDesc,
		interfaceDeletedDesc, interfaceSeriesLimitDesc, interfaceSeriesDroppedDesc) {
		m[d.name] = append(m[d.name], d)
	}
	return m
}()

// A label value that is not valid UTF-8 (a bind-mount file name can be any
// bytes) fails the series that have it, with an error that names them, and
// not the others.
func TestCollectInvalidLabel(t *testing.T) {
	snap := netlinkmon.Snapshot{Namespaces: []netlinkmon.Namespace{
		{
			Name: "bad\xff", Alive: true, Source: netlinkmon.SourceDir,
			Kinds: []netlinkmon.KindCounters{{Kind: "veth", Creations: 1}},
		},
		{
			Name: "good", Alive: true, Source: netlinkmon.SourceDir,
			Kinds: []netlinkmon.KindCounters{{Kind: "veth", Creations: 2}},
		},
	}}
	mfs, err := released(t, New(fakeSource(snap), Options{})).Gather()
	const want = `collector: netlink_link_creations_total{kind="veth",netns="bad\xff"}: label netns: value not valid UTF-8`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Gather: %v; want an error with %q", err, want)
	}
	var text strings.Builder
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&text, mf); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(text.String(), "bad") {
		t.Errorf("gathered series of the invalid namespace:\n%s", text.String())
	}
	for _, s := range []string{`netlink_link_creations_total{kind="veth",netns="good"} 2`, "netlink_overruns_total 0"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("gathered no %s", s)
		}
	}
}

// Two series with the same labels (two namespaces of one name, which the
// monitor never makes) are one series and an error, as in client_golang's
// registry.
func TestCollectDuplicate(t *testing.T) {
	ns := netlinkmon.Namespace{
		Name: "twice", Alive: true, Source: netlinkmon.SourceDir,
		Kinds: []netlinkmon.KindCounters{{Kind: "veth", Creations: 1}},
	}
	mfs, err := released(t, New(fakeSource(netlinkmon.Snapshot{Namespaces: []netlinkmon.Namespace{ns, ns}}), Options{})).Gather()
	const want = `collector: netlink_link_creations_total{kind="veth",netns="twice"}: duplicate series`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Gather: %v; want an error with %q", err, want)
	}
	for _, mf := range mfs {
		if mf.GetName() == "netlink_link_creations_total" && len(mf.GetMetric()) != 1 {
			t.Errorf("%d creation series, want 1", len(mf.GetMetric()))
		}
	}
}
