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
	"google.golang.org/protobuf/types/known/timestamppb"

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

type collector struct {
	src       Source
	descs     nsDescs
	pods      bool
	aggregate bool
	recent    int
}

var _ prometheus.Collector = (*collector)(nil)

// New returns a collector that takes one snapshot of src per scrape.
func New(src Source, opts Options) prometheus.Collector {
	c := &collector{src: src, descs: plainNSDescs, pods: opts.PodLabels, aggregate: opts.Aggregate, recent: opts.Recent}
	if opts.PodLabels {
		c.descs = podNSDescs
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs.all() {
		ch <- d
	}
	for _, d := range otherDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Snapshot()
	e := emitter{ch: ch, descs: c.descs, pods: c.pods, started: s.Started}

	nss := s.Namespaces
	if c.aggregate {
		nss = aggregate(&s)
	}
	p := make(pairs, 8*len(nss))
	e.kindCounters(sortedKinds(nss), p)
	for i := range nss {
		e.namespace(&nss[i], p)
	}
	e.watched(s.Namespaces)
	if c.aggregate {
		e.recent(recent(s.Namespaces, c.recent), p)
	} else {
		for i := range nss {
			e.podInfo(&nss[i], p)
		}
	}

	e.counter(netnsDiscoveriesDesc, s.Discoveries)
	e.counter(netnsRemovalsDesc, s.Removals)
	e.counter(overrunsDesc, s.Overruns)
	if _, ok := s.Resyncs[overrunReason]; !ok {
		e.counter(resyncsDesc, 0, overrunReason)
	}
	for reason, n := range s.Resyncs {
		e.counter(resyncsDesc, n, reason)
	}
	for typ, n := range s.Messages {
		e.counter(messagesDesc, n, typ)
	}
	e.counter(dumpInterruptionsDesc, s.DumpInterruptions)
	// Every reason from the start, so that rate() and alerts see the first
	// repair.
	for _, reason := range netlinkmon.RepairReasons() {
		if _, ok := s.Repairs[reason]; !ok {
			e.counter(registryRepairsDesc, 0, reason)
		}
	}
	for reason, n := range s.Repairs {
		e.counter(registryRepairsDesc, n, reason)
	}
	e.send(eventSubscribersDesc, prometheus.GaugeValue, float64(s.EventSubscribers), nil)
	e.counter(eventsDroppedDesc, s.EventsDropped)
}

// An emitter sends const metrics. One that cannot be built (a label value
// that is not valid UTF-8, say) fails its own series, not the scrape: send
// replaces it with an invalid metric, and the registry rejects a sample
// alone.
type emitter struct {
	ch    chan<- prometheus.Metric
	descs nsDescs
	// pods adds the namespace and pod labels to per-namespace series.
	pods bool
	// started is when the counters that counter emits began: their
	// created timestamp, or none if zero.
	started time.Time
}

// A kindRef is the counters of one kind in one namespace, with their
// created timestamp, which every series of the kind shares.
type kindRef struct {
	netns   string
	pod     netlinkmon.Pod
	created *timestamppb.Timestamp
	*netlinkmon.KindCounters
}

// sortedKinds returns the counters of every kind in every namespace, sorted
// by kind, then namespace.
//
// The registry sorts each family's series by label values, in the order of
// the label names (direction, kind, netns). Emitting them in that order
// already makes its sort linear: at 1,000 namespaces it otherwise takes a
// fifth of the scrape. Any order is still correct, only slower.
func sortedKinds(nss []netlinkmon.Namespace) []kindRef {
	n := 0
	for i := range nss {
		n += len(nss[i].Kinds)
	}
	refs := make([]kindRef, 0, n)
	for i := range nss {
		for j := range nss[i].Kinds {
			k := &nss[i].Kinds[j]
			refs = append(refs, kindRef{nss[i].Name, nss[i].Pod, createdAt(k.Created), k})
		}
	}
	slices.SortFunc(refs, func(a, b kindRef) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.netns, b.netns))
	})
	return refs
}

// flagBitsByName are the flag bits in the order of their names.
var flagBitsByName = func() []int {
	bits := make([]int, netlinkmon.NumFlags)
	for b := range bits {
		bits[b] = b
	}
	slices.SortFunc(bits, func(a, b int) int {
		return strings.Compare(netlinkmon.FlagName(a), netlinkmon.FlagName(b))
	})
	return bits
}()

// kindCounters emits the per-kind families, each in label order (see
// sortedKinds), with label pairs and a created timestamp shared between the
// series of a namespace and kind.
//
// Moves and flag changes have a series only once they count something, but
// they too were zero since their kind's counters began: their created
// timestamp is the kind's, so that Prometheus counts their first value as
// an increase from zero.
func (e emitter) kindCounters(refs []kindRef, p pairs) {
	base := make([][]*dto.LabelPair, len(refs))
	for i, r := range refs {
		base[i] = e.withPod(p, r.pod, p.get("kind", r.Kind), p.get("netns", r.netns))
	}
	// with puts the pairs that sort before "kind" in front of the base.
	with := func(i int, first ...*dto.LabelPair) []*dto.LabelPair {
		return append(first, base[i]...)
	}
	for i, r := range refs {
		e.counterPairs(e.descs.linkCreations, r.Creations, r.created, base[i])
	}
	for i, r := range refs {
		e.counterPairs(e.descs.linkDeletions, r.Deletions, r.created, base[i])
	}
	// Moves only where the kind has moved at all: most links never do,
	// and a loopback's two zero series in every namespace add up.
	in, out := p.get("direction", "in"), p.get("direction", "out")
	for i, r := range refs {
		if r.MovesIn+r.MovesOut != 0 {
			e.counterPairs(e.descs.linkMoves, r.MovesIn, r.created, with(i, in))
		}
	}
	for i, r := range refs {
		if r.MovesIn+r.MovesOut != 0 {
			e.counterPairs(e.descs.linkMoves, r.MovesOut, r.created, with(i, out))
		}
	}
	down, up := p.get("direction", "down"), p.get("direction", "up")
	for i, r := range refs {
		e.counterPairs(e.descs.linkCarrierChanges, r.CarrierDown, r.created, with(i, down))
	}
	for i, r := range refs {
		e.counterPairs(e.descs.linkCarrierChanges, r.CarrierUp, r.created, with(i, up))
	}
	// Only flags that changed: every flag, change and kind in every
	// namespace would be 38 series per kind, nearly all zero.
	cleared, set := p.get("change", "cleared"), p.get("change", "set")
	for _, bit := range flagBitsByName {
		flag := p.get("flag", netlinkmon.FlagName(bit))
		for i, r := range refs {
			if n := r.FlagsCleared[bit]; n != 0 {
				e.counterPairs(e.descs.linkFlagChanges, n, r.created, with(i, cleared, flag))
			}
		}
	}
	for _, bit := range flagBitsByName {
		flag := p.get("flag", netlinkmon.FlagName(bit))
		for i, r := range refs {
			if n := r.FlagsSet[bit]; n != 0 {
				e.counterPairs(e.descs.linkFlagChanges, n, r.created, with(i, set, flag))
			}
		}
	}
}

// namespace emits the series of ns that are not per kind.
func (e emitter) namespace(ns *netlinkmon.Namespace, p pairs) {
	netns := p.get("netns", ns.Name)
	for _, l := range ns.Links {
		e.gaugePairs(e.descs.links, float64(l.Count), e.withPod(p, ns.Pod,
			p.get("kind", l.Kind), netns, p.get("operstate", l.OperState)))
	}
	if ns.Alive {
		nsid := ""
		if ns.NSID != netlinkmon.NoNSID {
			nsid = strconv.FormatInt(int64(ns.NSID), 10)
		}
		e.gaugePairs(e.descs.netnsInfo, 1, e.withPod(p, ns.Pod,
			p.get("inode", strconv.FormatUint(ns.Inode, 10)), netns,
			p.get("nsid", nsid), p.get("source", string(ns.Source))))
	}
	if !ns.LastEvent.IsZero() {
		e.gaugePairs(e.descs.netnsLastEvent, unixSeconds(ns.LastEvent), e.withPod(p, ns.Pod, netns))
	}
}

// podInfo emits netlink_netns_pod_info for a namespace that belongs to a
// pod, living or within its retention: a deleted pod's counts must still
// be joined to its name.
func (e emitter) podInfo(ns *netlinkmon.Namespace, p pairs) {
	if ns.Pod == (netlinkmon.Pod{}) {
		return
	}
	e.gaugePairs(netnsPodInfoDesc, 1, []*dto.LabelPair{
		p.get("namespace", ns.Pod.Namespace), p.get("netns", ns.Name),
		p.get("pod", ns.Pod.Name), p.get("uid", ns.Pod.UID),
	})
}

// withPod returns the label pairs of a per-namespace series, sorted by name,
// with the pod's namespace and name among them if the collector adds them.
// The pairs given are sorted; namespace sorts right before netns, and pod
// after every other per-namespace label but source.
func (e emitter) withPod(p pairs, pod netlinkmon.Pod, sorted ...*dto.LabelPair) []*dto.LabelPair {
	if !e.pods {
		return sorted
	}
	out := make([]*dto.LabelPair, 0, len(sorted)+2)
	for _, lp := range sorted {
		switch lp.GetName() {
		case "netns":
			out = append(out, p.get("namespace", pod.Namespace))
		case "source":
			out = append(out, p.get("pod", pod.Name))
		}
		out = append(out, lp)
	}
	if sorted[len(sorted)-1].GetName() != "source" {
		out = append(out, p.get("pod", pod.Name))
	}
	return out
}

// unixSeconds adds the fraction after the whole seconds, which keeps the
// float closer to t than UnixNano()/1e9 does.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// counter emits a counter of no namespace, created at e.started.
func (e emitter) counter(d *prometheus.Desc, v uint64, labels ...string) {
	if e.started.IsZero() {
		e.send(d, prometheus.CounterValue, float64(v), labels)
		return
	}
	m, err := prometheus.NewConstMetricWithCreatedTimestamp(d, prometheus.CounterValue, float64(v), e.started, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	e.ch <- m
}

func (e emitter) counterPairs(d *prometheus.Desc, v uint64, created *timestamppb.Timestamp, labels []*dto.LabelPair) {
	e.ch <- &sample{desc: d, value: float64(v), created: created, labels: labels}
}

func (e emitter) gaugePairs(d *prometheus.Desc, v float64, labels []*dto.LabelPair) {
	e.ch <- &sample{desc: d, value: v, gauge: true, labels: labels}
}

func (e emitter) send(d *prometheus.Desc, t prometheus.ValueType, v float64, labels []string) {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	e.ch <- m
}
