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

// Package collector exposes a netlinkmon snapshot as Prometheus metrics.
package collector

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// A Source provides the counters to expose. *netlinkmon.Monitor is one.
type Source interface {
	Snapshot() netlinkmon.Snapshot
}

// overrunReason is the resync reason that always has a series, so that
// rate() and alerts on overrun resyncs work before the first one.
const overrunReason = "overrun"

// Options configure the collector.
type Options struct {
	// PodLabels puts the namespace and pod labels of
	// netlink_netns_pod_info on every per-namespace series as well, empty
	// for a namespace that is no pod's: for queries without joins, at the
	// price of longer series.
	PodLabels bool
	// Aggregate serves the per-namespace families with a series set per
	// aggregate instead of per namespace: the host's own, Unidentified's,
	// and one for the namespaces of each source (aggregate-dir,
	// aggregate-proc), with the counts of every namespace that ever
	// belonged to it, so that they only grow. netlink_netns_info is the
	// host's alone, netlink_netns_pod_info is left out, and the
	// netlink_netns_recent_* gauges show the Recent namespaces whose
	// links changed last instead. The series no longer grow with the
	// namespaces.
	Aggregate bool
	// Recent is how many namespaces the netlink_netns_recent_* gauges
	// show with Aggregate.
	Recent int
}

type netlinkGatherer struct {
	builders  builders
	src       Source
	descs     nsDescs
	pods      bool
	aggregate bool
	recent    int
}

// New returns a gatherer of the netlink families, which takes one snapshot
// of src per Gather. It serves them without the registry's checks, which
// it makes itself (see builder): serve it beside a registry with Merge.
// The families of a Gather are reused once its done func is called.
func New(src Source, opts Options) prometheus.TransactionalGatherer {
	g := &netlinkGatherer{
		builders: newBuilders(), src: src, descs: plainNSDescs,
		pods: opts.PodLabels, aggregate: opts.Aggregate, recent: opts.Recent,
	}
	if opts.PodLabels {
		g.descs = podNSDescs
	}
	return g
}

// Gather implements prometheus.TransactionalGatherer.
func (g *netlinkGatherer) Gather() ([]*dto.MetricFamily, func(), error) {
	b := g.builders.get()
	mfs, err := g.build(b, g.src.Snapshot())
	return mfs, g.builders.release(b), err
}

// build makes the families of s with b.
func (g *netlinkGatherer) build(b *builder, s netlinkmon.Snapshot) ([]*dto.MetricFamily, error) {
	w := nsWriter{b: b, descs: g.descs, pods: g.pods}
	nss := s.Namespaces
	if g.aggregate {
		nss = aggregate(&s)
	}
	refs := w.refs(nss)
	w.kindCounters(w.sortedKinds(refs))
	w.links(refs)
	w.info(refs)
	w.watched(s.Namespaces)
	if g.aggregate {
		w.recent(recent(s.Namespaces, g.recent))
	} else {
		w.podInfo(refs)
	}
	w.global(&s)
	return b.gather()
}

// An nsWriter adds the families of a snapshot to a builder.
type nsWriter struct {
	b     *builder
	descs nsDescs
	// pods adds the namespace and pod labels to per-namespace series.
	pods bool
}

// An nsRef is a namespace with the label pairs of its own.
type nsRef struct {
	*netlinkmon.Namespace
	netns *dto.LabelPair
	// podNS and pod are the pod's namespace and name, with pod labels.
	podNS, pod *dto.LabelPair
}

// refs returns the namespaces of nss in the order of their label values:
// by name, or with pod labels by pod namespace, then name.
func (w nsWriter) refs(nss []netlinkmon.Namespace) []nsRef {
	refs := make([]nsRef, len(nss))
	for i := range nss {
		ns := &nss[i]
		refs[i] = nsRef{Namespace: ns, netns: w.b.pair("netns", ns.Name)}
		if w.pods {
			refs[i].podNS = w.b.sharedPair("namespace", ns.Pod.Namespace)
			refs[i].pod = w.b.sharedPair("pod", ns.Pod.Name)
		}
	}
	order := func(a, b nsRef) int {
		return cmp.Or(strings.Compare(a.Pod.Namespace, b.Pod.Namespace), strings.Compare(a.Name, b.Name))
	}
	if !w.pods {
		order = func(a, b nsRef) int { return strings.Compare(a.Name, b.Name) }
	}
	if !slices.IsSortedFunc(refs, order) {
		slices.SortStableFunc(refs, order)
	}
	return refs
}

// labels returns the label pairs of a series of r: sorted, which are in
// name order and hold r's netns pair, and the pod's namespace and name if
// the writer adds them. namespace sorts right before netns, and pod after
// every other per-namespace label but source.
func (w nsWriter) labels(r *nsRef, sorted ...*dto.LabelPair) []*dto.LabelPair {
	if !w.pods {
		return w.b.join(sorted)
	}
	out := w.b.labels.cut(len(sorted) + 2)[:0]
	for _, lp := range sorted {
		switch lp.GetName() {
		case "netns":
			out = append(out, r.podNS)
		case "source":
			out = append(out, r.pod)
		}
		out = append(out, lp)
	}
	if len(out) < cap(out) {
		out = append(out, r.pod)
	}
	return out
}

// links adds netlink_links, ordered by kind, then namespace and operstate.
func (w nsWriter) links(refs []nsRef) {
	type linkRef struct {
		ns *nsRef
		netlinkmon.LinkCount
	}
	var (
		kinds []string
		n     int
	)
	for i := range refs {
		for _, l := range refs[i].Links {
			kinds = addName(kinds, l.Kind)
		}
		n += len(refs[i].Links)
	}
	links := make([]linkRef, 0, n)
	for _, kind := range kinds {
		for i := range refs {
			for _, l := range refs[i].Links {
				if l.Kind == kind {
					links = append(links, linkRef{&refs[i], l})
				}
			}
		}
	}
	f := w.b.family(w.descs.links, len(links))
	for _, l := range links {
		f.gauge(float64(l.Count), w.labels(l.ns, w.b.sharedPair("kind", l.Kind), l.ns.netns, w.b.sharedPair("operstate", l.OperState)))
	}
}

// info adds netlink_netns_info of the living namespaces and the time of
// each namespace's last event.
func (w nsWriter) info(refs []nsRef) {
	info := w.b.family(w.descs.netnsInfo, len(refs))
	last := w.b.family(w.descs.netnsLastEvent, len(refs))
	for i := range refs {
		r := &refs[i]
		if r.Alive {
			nsid := ""
			if r.NSID != netlinkmon.NoNSID {
				nsid = strconv.FormatInt(int64(r.NSID), 10)
			}
			info.gauge(1, w.labels(r, w.b.pair("inode", strconv.FormatUint(r.Inode, 10)), r.netns,
				w.b.pair("nsid", nsid), w.b.sharedPair("source", string(r.Source))))
		}
		if !r.LastEvent.IsZero() {
			last.gauge(unixSeconds(r.LastEvent), w.labels(r, r.netns))
		}
	}
}

// podInfo adds netlink_netns_pod_info for each namespace that belongs to a
// pod, living or within its retention: a deleted pod's counts must still
// be joined to its name.
func (w nsWriter) podInfo(refs []nsRef) {
	f := w.b.family(netnsPodInfoDesc, 0)
	for i := range refs {
		r := &refs[i]
		if r.Pod == (netlinkmon.Pod{}) {
			continue
		}
		f.gauge(1, w.b.join([]*dto.LabelPair{
			w.b.sharedPair("namespace", r.Pod.Namespace), r.netns,
			w.b.pair("pod", r.Pod.Name), w.b.pair("uid", r.Pod.UID),
		}))
	}
}

// global adds the families of no namespace: the monitor's own counters,
// created when it started.
func (w nsWriter) global(s *netlinkmon.Snapshot) {
	started := w.b.timestamp(s.Started)
	counter := func(d *desc, v uint64) {
		w.b.family(d, 1).counter(v, started, nil)
	}
	// byLabel adds a family with a series per key of counts, and one of 0
	// for each of always that counts lacks, so that rate() and alerts see
	// the first count.
	byLabel := func(d *desc, counts map[string]uint64, always ...string) {
		f := w.b.family(d, len(counts)+len(always))
		for _, k := range always {
			if _, ok := counts[k]; !ok {
				f.counter(0, started, []*dto.LabelPair{w.b.pair(d.labels[0], k)})
			}
		}
		for k, n := range counts {
			f.counter(n, started, []*dto.LabelPair{w.b.pair(d.labels[0], k)})
		}
	}
	counter(netnsDiscoveriesDesc, s.Discoveries)
	counter(netnsRemovalsDesc, s.Removals)
	counter(overrunsDesc, s.Overruns)
	byLabel(resyncsDesc, s.Resyncs, overrunReason)
	byLabel(messagesDesc, s.Messages)
	counter(dumpInterruptionsDesc, s.DumpInterruptions)
	byLabel(registryRepairsDesc, s.Repairs, netlinkmon.RepairReasons()...)
	w.b.family(eventSubscribersDesc, 1).gauge(float64(s.EventSubscribers), nil)
	counter(eventsDroppedDesc, s.EventsDropped)
}

// unixSeconds adds the fraction after the whole seconds, which keeps the
// float closer to t than UnixNano()/1e9 does.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}
