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
	"cmp"
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// Per-link series. They exist only when the monitor keeps per-link detail
// (netlinkmon.Options.LinkDetail) and this collector is registered.
var (
	interfaceInfoDesc = newDesc("interface", "info",
		"Information about a link, always 1. master is the name of the link's master (a bridge, say), or empty. A deleted link keeps its final values for the retention.",
		"netns", "interface", "ifindex", "kind", "master", "operstate")
	interfaceUpDesc = newDesc("interface", "up",
		"Whether the link is administratively up (IFF_UP).",
		"netns", "interface", "ifindex")
	interfaceCarrierDesc = newDesc("interface", "carrier",
		"Whether the link has carrier (IFF_LOWER_UP).",
		"netns", "interface", "ifindex")
	interfaceCarrierChangesDesc = newDesc("interface", "carrier_changes_total",
		"Carrier transitions of the link since the exporter first saw it in the namespace, from the kernel's per-link counters.",
		"netns", "interface", "ifindex", "direction")
	interfaceDeletedDesc = newDesc("interface", "deleted_timestamp_seconds",
		"Unix time at which the link was deleted, moved out, or destroyed with its namespace. Only links kept for the retention have it.",
		"netns", "interface", "ifindex")
	interfaceSeriesLimitDesc = newDesc("interface", "series_limit",
		"Most per-link series (netlink_interface_*, these two aside) that a scrape returns.")
	interfaceSeriesDroppedDesc = newDesc("interface", "series_dropped",
		"Per-link series that the limit left out of this scrape.")
)

// seriesPerLink is how many series a present link has: info, up, carrier,
// and carrier changes up and down. A deleted link has its timestamp too.
const seriesPerLink = 5

// InterfaceOptions select the links whose series a scrape returns.
type InterfaceOptions struct {
	// NetnsInclude and NetnsExclude match namespace names, LinkInclude and
	// LinkExclude link names. A nil include matches every name, a nil
	// exclude none; an exclusion wins over an inclusion.
	NetnsInclude, NetnsExclude *regexp.Regexp
	LinkInclude, LinkExclude   *regexp.Regexp
	// MaxSeries caps the per-link series of a scrape. Links are taken by
	// namespace name, then ifindex, and whole: once one does not fit, the
	// rest are left out.
	MaxSeries int
	// Logger says when the cap starts and stops leaving series out. Nil
	// discards.
	Logger *slog.Logger
}

// An InterfaceSource provides the per-link detail to expose.
// *netlinkmon.Monitor is one.
type InterfaceSource interface {
	InterfaceSnapshot() netlinkmon.InterfaceSnapshot
}

type interfaces struct {
	src  InterfaceSource
	opts InterfaceOptions
	log  *slog.Logger
	// capped is whether the last scrape left series out, so that the log
	// says so when that starts and stops, not at every scrape.
	capped atomic.Bool
}

var _ prometheus.Collector = (*interfaces)(nil)

// NewInterfaces returns a collector of per-link series, which takes one
// snapshot of src per scrape.
func NewInterfaces(src InterfaceSource, opts InterfaceOptions) (prometheus.Collector, error) {
	if opts.MaxSeries <= 0 {
		return nil, errors.New("collector: the per-link series limit must be positive")
	}
	c := &interfaces{src: src, opts: opts, log: opts.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Describe implements prometheus.Collector.
func (c *interfaces) Describe(ch chan<- *prometheus.Desc) {
	ch <- interfaceInfoDesc
	ch <- interfaceUpDesc
	ch <- interfaceCarrierDesc
	ch <- interfaceCarrierChangesDesc
	ch <- interfaceDeletedDesc
	ch <- interfaceSeriesLimitDesc
	ch <- interfaceSeriesDroppedDesc
}

// Collect implements prometheus.Collector.
func (c *interfaces) Collect(ch chan<- prometheus.Metric) {
	s := c.src.InterfaceSnapshot()
	p := make(pairs)
	refs, series, dropped := c.selected(s.Namespaces, p)

	// The registry sorts each family by label values in the order of the
	// label names (ifindex, interface, netns for most): emitted in that
	// order, its sort is about linear. Any order is still correct.
	slices.SortFunc(refs, func(a, b ifaceRef) int {
		return cmp.Or(strings.Compare(a.ifindex.GetValue(), b.ifindex.GetValue()),
			strings.Compare(a.name.GetValue(), b.name.GetValue()),
			strings.Compare(a.netns.GetValue(), b.netns.GetValue()))
	})
	e := emitter{ch: ch}
	emitInterfaces(e, refs, p)
	e.gaugePairs(interfaceSeriesLimitDesc, float64(c.opts.MaxSeries), nil)
	e.gaugePairs(interfaceSeriesDroppedDesc, float64(dropped), nil)

	if hit := dropped > 0; c.capped.Swap(hit) != hit {
		if hit {
			c.log.Warn("Per-link series over their limit; leaving the rest out until they fit",
				"limit", c.opts.MaxSeries, "dropped", dropped)
		} else {
			c.log.Info("Per-link series back under their limit", "limit", c.opts.MaxSeries, "series", series)
		}
	}
}

// An ifaceRef is a link whose series a scrape returns, with the label
// pairs of its own.
type ifaceRef struct {
	*netlinkmon.Interface
	netns, ifindex, name *dto.LabelPair
}

// selected returns the links that pass the filters and fit the limit, with
// the number of their series and of those left out.
func (c *interfaces) selected(nss []netlinkmon.NamespaceInterfaces, p pairs) (refs []ifaceRef, series, dropped int) {
	// The snapshot's order already is the limit's; this only guards it.
	if !slices.IsSortedFunc(nss, byName) {
		nss = slices.SortedFunc(slices.Values(nss), byName)
	}
	for i := range nss {
		ns := &nss[i]
		if !selects(c.opts.NetnsInclude, c.opts.NetnsExclude, ns.Name) {
			continue
		}
		ifs := ns.Interfaces
		if !slices.IsSortedFunc(ifs, byIndex) {
			ifs = slices.SortedFunc(slices.Values(ifs), byIndex)
		}
		netns := p.get("netns", ns.Name)
		for j := range ifs {
			iface := &ifs[j]
			name := strings.ToValidUTF8(iface.Name, "\uFFFD")
			if !selects(c.opts.LinkInclude, c.opts.LinkExclude, name) {
				continue
			}
			n := seriesPerLink
			if !iface.Deleted.IsZero() {
				n++
			}
			if dropped > 0 || series+n > c.opts.MaxSeries {
				dropped += n
				continue
			}
			series += n
			// Pods repeat ifindexes and names (lo is 1 in each): shared
			// pairs save allocations.
			refs = append(refs, ifaceRef{
				Interface: iface, netns: netns,
				ifindex: p.get("ifindex", strconv.FormatInt(int64(iface.Index), 10)),
				name:    p.get("interface", name),
			})
		}
	}
	return refs, series, dropped
}

// emitInterfaces emits the series of refs family by family, with labels in
// name order as sample wants them.
func emitInterfaces(e emitter, refs []ifaceRef, p pairs) {
	// The label slices of a link's series: info (6 pairs), the others (3),
	// carrier changes (4 each), cut from one array.
	const perRef = 6 + 3 + 4 + 4
	all := make([]*dto.LabelPair, perRef*len(refs))
	down, up := p.get("direction", "down"), p.get("direction", "up")
	type set struct{ info, base, down, up []*dto.LabelPair }
	sets := make([]set, len(refs))
	for k, r := range refs {
		l := all[k*perRef : (k+1)*perRef : (k+1)*perRef]
		copy(l, []*dto.LabelPair{
			r.ifindex, r.name, p.get("kind", r.Kind), p.get("master", strings.ToValidUTF8(r.Master, "\uFFFD")), r.netns, p.get("operstate", r.OperState),
			r.ifindex, r.name, r.netns,
			down, r.ifindex, r.name, r.netns,
			up, r.ifindex, r.name, r.netns,
		})
		sets[k] = set{info: l[0:6:6], base: l[6:9:9], down: l[9:13:13], up: l[13:17:17]}
	}
	for k := range refs {
		e.gaugePairs(interfaceInfoDesc, 1, sets[k].info)
	}
	for k, r := range refs {
		e.gaugePairs(interfaceUpDesc, boolValue(r.Up), sets[k].base)
	}
	for k, r := range refs {
		e.gaugePairs(interfaceCarrierDesc, boolValue(r.Carrier), sets[k].base)
	}
	created := make([]*timestamppb.Timestamp, len(refs))
	for k, r := range refs {
		created[k] = createdAt(r.Created)
		e.counterPairs(interfaceCarrierChangesDesc, r.CarrierDown, created[k], sets[k].down)
	}
	for k, r := range refs {
		e.counterPairs(interfaceCarrierChangesDesc, r.CarrierUp, created[k], sets[k].up)
	}
	for k, r := range refs {
		if !r.Deleted.IsZero() {
			e.gaugePairs(interfaceDeletedDesc, unixSeconds(r.Deleted), sets[k].base)
		}
	}
}

// selects reports whether name passes an include and an exclude regexp.
func selects(include, exclude *regexp.Regexp, name string) bool {
	return (include == nil || include.MatchString(name)) && (exclude == nil || !exclude.MatchString(name))
}

func byName(a, b netlinkmon.NamespaceInterfaces) int { return strings.Compare(a.Name, b.Name) }
func byIndex(a, b netlinkmon.Interface) int          { return cmp.Compare(a.Index, b.Index) }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
