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

	dto "github.com/prometheus/client_model/go"
)

// namespace prefixes every metric name.
const namespace = "netlink"

// Descriptors of every metric the collector emits. They are package-level
// because they never change and are shared by every collector.
var (
	netnsPodInfoDesc = newGauge("netns", "pod_info",
		"The Kubernetes pod that the network namespace belongs to, always 1, from the node's CRI runtime. Label names follow kube-state-metrics (namespace, pod, uid). Kept for the namespace's retention after its death.",
		"netns", "namespace", "pod", "uid")
	netnsWatchedDesc = newGauge("netns", "watched",
		"Network namespaces now watched, by source: self (the exporter's own), dir (bind-mounted in a watched directory) or proc (held only by processes). The same three series whether or not namespaces are aggregated.",
		"source")
	netnsRecentLastEventDesc = newGauge("netns", "recent_last_event_timestamp_seconds",
		"With aggregated namespaces: Unix time of the last link event of each of the few namespaces (living or within the retention, the host aside) whose links changed last, with their pod, if any. A gauge over that window: a namespace's series goes when others' links change later.",
		"netns", "namespace", "pod")
	netnsRecentLinkChangesDesc = newGauge("netns", "recent_link_changes",
		"With aggregated namespaces: links created, deleted or moved in or out in each namespace of netlink_netns_recent_last_event_timestamp_seconds since it was watched. A gauge: the series goes with the namespace's place in that view, its counts stay in the aggregate.",
		"netns", "namespace", "pod")
	netnsDiscoveriesDesc = newCounter("netns", "discoveries_total",
		"Network namespaces that began to be watched.")
	netnsRemovalsDesc = newCounter("netns", "removals_total",
		"Watched network namespaces that died.")
	overrunsDesc = newCounter("", "overruns_total",
		"Receive-queue overruns (ENOBUFS) of the netlink event socket.")
	resyncsDesc = newCounter("", "resyncs_total",
		"Full re-reads of link state, by reason.",
		"reason")
	messagesDesc = newCounter("", "messages_total",
		"Netlink messages received on the event socket, by message type; messages of events or dumps that could not be decoded (malformed); datagrams from another sender than the kernel, dropped unread (foreign).",
		"type")
	dumpInterruptionsDesc = newCounter("", "dump_interruptions_total",
		"Dumps that the kernel marked interrupted (NLM_F_DUMP_INTR) because links or namespaces came and went while they ran; each is made again, never used.")
	registryRepairsDesc = newCounter("registry", "repairs_total",
		"Corrections of the namespace registry that the kernel's nsid announcements should have made, by reason: nsid_gone, nsid_unannounced, nsid_reused.",
		"reason")
	eventSubscribersDesc = newGauge("events", "subscribers",
		"Clients of the /events stream now connected.")
	eventsDroppedDesc = newCounter("events", "dropped_total",
		"Link events dropped for /events clients that did not keep up; each client is told how many it missed.")
)

// nsDescs are the descriptors of the per-namespace families. With pod
// labels (Options.PodLabels), each also has the namespace and pod labels of
// netlink_netns_pod_info.
type nsDescs struct {
	linkCreations, linkDeletions, linkMoves, linkFlagChanges, linkCarrierChanges,
	links, netnsInfo, netnsLastEvent *desc
}

func newNSDescs(podLabels bool) nsDescs {
	l := func(names ...string) []string {
		if podLabels {
			names = append(names, "namespace", "pod")
		}
		return names
	}
	return nsDescs{
		linkCreations: newCounter("link", "creations_total",
			"Links that came into existence in the namespace. Links present when the exporter started are not counted.",
			l("netns", "kind")...),
		linkDeletions: newCounter("link", "deletions_total",
			"Links that ceased to exist in the namespace, including those destroyed with it.",
			l("netns", "kind")...),
		linkMoves: newCounter("link", "moves_total",
			"Links moved into (direction=\"in\") or out of (direction=\"out\") the namespace; both series appear at the kind's first move. A move is not also counted as a creation or a deletion.",
			l("netns", "kind", "direction")...),
		linkFlagChanges: newCounter("link", "flag_changes_total",
			"Transitions of each IFF link flag, by flag (iproute2's names) and change (set or cleared). A series appears on its first change.",
			l("netns", "kind", "flag", "change")...),
		linkCarrierChanges: newCounter("link", "carrier_changes_total",
			"Carrier transitions of links in the namespace, from the kernel's per-link carrier counters.",
			l("netns", "kind", "direction")...),
		links: newGauge("", "links",
			"Links now present in the namespace, by kind and operational state (RFC 2863).",
			l("netns", "kind", "operstate")...),
		netnsInfo: newGauge("netns", "info",
			"Information about a watched network namespace, always 1. nsid is empty for the exporter's own namespace, which has no nsid. Dead namespaces have no series.",
			l("netns", "inode", "nsid", "source")...),
		netnsLastEvent: newGauge("netns", "last_event_timestamp_seconds",
			"Unix time of the last link event seen in the namespace. Absent until the first event.",
			l("netns")...),
	}
}

// The two sets of per-namespace descriptors, built once.
var (
	plainNSDescs = newNSDescs(false)
	podNSDescs   = newNSDescs(true)
)

// newCounter and newGauge describe a family of this package. The label
// names are given in any order and kept sorted, as series have them.
func newCounter(subsystem, name, help string, labels ...string) *desc {
	return newDesc(dto.MetricType_COUNTER, subsystem, name, help, labels)
}

func newGauge(subsystem, name, help string, labels ...string) *desc {
	return newDesc(dto.MetricType_GAUGE, subsystem, name, help, labels)
}

func newDesc(typ dto.MetricType, subsystem, name, help string, labels []string) *desc {
	fq := namespace + "_" + name
	if subsystem != "" {
		fq = namespace + "_" + subsystem + "_" + name
	}
	return &desc{name: fq, help: help, typ: typ, labels: slices.Sorted(slices.Values(labels))}
}
