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

type collector struct {
	src Source
}

var _ prometheus.Collector = (*collector)(nil)

// New returns a collector that takes one snapshot of src per scrape.
func New(src Source) prometheus.Collector {
	return &collector{src: src}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Snapshot()
	e := emitter{ch: ch}

	p := make(pairs, 8*len(s.Namespaces))
	e.kindCounters(sortedKinds(s.Namespaces), p)
	for i := range s.Namespaces {
		e.namespace(&s.Namespaces[i], p)
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
	ch chan<- prometheus.Metric
}

// A kindRef is the counters of one kind in one namespace.
type kindRef struct {
	netns string
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
			refs = append(refs, kindRef{nss[i].Name, &nss[i].Kinds[j]})
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
// sortedKinds), with label pairs shared between the series of a namespace
// and kind.
func (e emitter) kindCounters(refs []kindRef, p pairs) {
	base := make([][]*dto.LabelPair, len(refs))
	for i, r := range refs {
		base[i] = []*dto.LabelPair{p.get("kind", r.Kind), p.get("netns", r.netns)}
	}
	// with puts the pairs that sort before "kind" in front of the base.
	with := func(i int, first ...*dto.LabelPair) []*dto.LabelPair {
		return append(first, base[i]...)
	}
	for i, r := range refs {
		e.counterPairs(linkCreationsDesc, r.Creations, base[i])
	}
	for i, r := range refs {
		e.counterPairs(linkDeletionsDesc, r.Deletions, base[i])
	}
	// Moves only where the kind has moved at all: most links never do,
	// and a loopback's two zero series in every namespace add up.
	in, out := p.get("direction", "in"), p.get("direction", "out")
	for i, r := range refs {
		if r.MovesIn+r.MovesOut != 0 {
			e.counterPairs(linkMovesDesc, r.MovesIn, with(i, in))
		}
	}
	for i, r := range refs {
		if r.MovesIn+r.MovesOut != 0 {
			e.counterPairs(linkMovesDesc, r.MovesOut, with(i, out))
		}
	}
	down, up := p.get("direction", "down"), p.get("direction", "up")
	for i, r := range refs {
		e.counterPairs(linkCarrierChangesDesc, r.CarrierDown, with(i, down))
	}
	for i, r := range refs {
		e.counterPairs(linkCarrierChangesDesc, r.CarrierUp, with(i, up))
	}
	// Only flags that changed: every flag, change and kind in every
	// namespace would be 38 series per kind, nearly all zero.
	cleared, set := p.get("change", "cleared"), p.get("change", "set")
	for _, bit := range flagBitsByName {
		flag := p.get("flag", netlinkmon.FlagName(bit))
		for i, r := range refs {
			if n := r.FlagsCleared[bit]; n != 0 {
				e.counterPairs(linkFlagChangesDesc, n, with(i, cleared, flag))
			}
		}
	}
	for _, bit := range flagBitsByName {
		flag := p.get("flag", netlinkmon.FlagName(bit))
		for i, r := range refs {
			if n := r.FlagsSet[bit]; n != 0 {
				e.counterPairs(linkFlagChangesDesc, n, with(i, set, flag))
			}
		}
	}
}

// namespace emits the series of ns that are not per kind.
func (e emitter) namespace(ns *netlinkmon.Namespace, p pairs) {
	netns := p.get("netns", ns.Name)
	for _, l := range ns.Links {
		e.gaugePairs(linksDesc, float64(l.Count), []*dto.LabelPair{
			p.get("kind", l.Kind), netns, p.get("operstate", l.OperState),
		})
	}
	if ns.Alive {
		nsid := ""
		if ns.NSID != netlinkmon.NoNSID {
			nsid = strconv.FormatInt(int64(ns.NSID), 10)
		}
		e.gaugePairs(netnsInfoDesc, 1, []*dto.LabelPair{
			p.get("inode", strconv.FormatUint(ns.Inode, 10)), netns,
			p.get("nsid", nsid), p.get("source", string(ns.Source)),
		})
	}
	if !ns.LastEvent.IsZero() {
		e.gaugePairs(netnsLastEventDesc, unixSeconds(ns.LastEvent), []*dto.LabelPair{netns})
	}
}

// unixSeconds adds the fraction after the whole seconds, which keeps the
// float closer to t than UnixNano()/1e9 does.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

func (e emitter) counter(d *prometheus.Desc, v uint64, labels ...string) {
	e.send(d, prometheus.CounterValue, float64(v), labels)
}

func (e emitter) counterPairs(d *prometheus.Desc, v uint64, labels []*dto.LabelPair) {
	e.ch <- &sample{desc: d, value: float64(v), labels: labels}
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
