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

type interfaces struct {
	src  Source
	opts InterfaceOptions
	log  *slog.Logger
	// capped is whether the last scrape left series out, so that the log
	// says so when that starts and stops, not at every scrape.
	capped atomic.Bool
}

var _ prometheus.Collector = (*interfaces)(nil)

// NewInterfaces returns a collector of per-link series, which takes one
// snapshot of src per scrape.
func NewInterfaces(src Source, opts InterfaceOptions) (prometheus.Collector, error) {
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
	s := c.src.Snapshot()
	e := emitter{ch: ch}
	p := make(pairs)
	// The snapshot's order already is the cap's; this only guards it.
	nss := s.Namespaces
	if !slices.IsSortedFunc(nss, byName) {
		nss = slices.SortedFunc(slices.Values(nss), byName)
	}
	series, dropped := 0, 0
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
			e.iface(iface, name, netns, p)
		}
	}
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

// iface emits the series of one link, with labels in name order as sample
// wants them.
func (e emitter) iface(i *netlinkmon.Interface, name string, netns *dto.LabelPair, p pairs) {
	ifindex := newPair("ifindex", strconv.FormatInt(int64(i.Index), 10))
	iface := newPair("interface", name)
	base := []*dto.LabelPair{ifindex, iface, netns}
	e.gaugePairs(interfaceInfoDesc, 1, []*dto.LabelPair{
		ifindex, iface, p.get("kind", i.Kind), p.get("master", strings.ToValidUTF8(i.Master, "\uFFFD")),
		netns, p.get("operstate", i.OperState),
	})
	e.gaugePairs(interfaceUpDesc, boolValue(i.Up), base)
	e.gaugePairs(interfaceCarrierDesc, boolValue(i.Carrier), base)
	e.counterPairs(interfaceCarrierChangesDesc, i.CarrierDown, append([]*dto.LabelPair{p.get("direction", "down")}, base...))
	e.counterPairs(interfaceCarrierChangesDesc, i.CarrierUp, append([]*dto.LabelPair{p.get("direction", "up")}, base...))
	if !i.Deleted.IsZero() {
		e.gaugePairs(interfaceDeletedDesc, unixSeconds(i.Deleted), base)
	}
}

// selects reports whether name passes an include and an exclude regexp.
func selects(include, exclude *regexp.Regexp, name string) bool {
	return (include == nil || include.MatchString(name)) && (exclude == nil || !exclude.MatchString(name))
}

func byName(a, b netlinkmon.Namespace) int      { return strings.Compare(a.Name, b.Name) }
func byIndex(a, b netlinkmon.Interface) int     { return cmp.Compare(a.Index, b.Index) }
func newPair(name, value string) *dto.LabelPair { return &dto.LabelPair{Name: &name, Value: &value} }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
