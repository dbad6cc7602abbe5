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
	interfaceInfoDesc = newGauge("interface", "info",
		"Information about a link, always 1. master is the name of the link's master (a bridge, say), or empty. A deleted link keeps its final values for the retention.",
		"netns", "interface", "ifindex", "kind", "master", "operstate")
	interfaceUpDesc = newGauge("interface", "up",
		"Whether the link is administratively up (IFF_UP).",
		"netns", "interface", "ifindex")
	interfaceCarrierDesc = newGauge("interface", "carrier",
		"Whether the link has carrier (IFF_LOWER_UP).",
		"netns", "interface", "ifindex")
	interfaceCarrierChangesDesc = newCounter("interface", "carrier_changes_total",
		"Carrier transitions of the link since the exporter first saw it in the namespace, from the kernel's per-link counters.",
		"netns", "interface", "ifindex", "direction")
	interfaceDeletedDesc = newGauge("interface", "deleted_timestamp_seconds",
		"Unix time at which the link was deleted, moved out, or destroyed with its namespace. Only links kept for the retention have it.",
		"netns", "interface", "ifindex")
	interfaceSeriesLimitDesc = newGauge("interface", "series_limit",
		"Most per-link series (netlink_interface_*, these two aside) that a scrape returns.")
	interfaceSeriesDroppedDesc = newGauge("interface", "series_dropped",
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
	builders builders
	src      InterfaceSource
	opts     InterfaceOptions
	log      *slog.Logger
	// capped is whether the last scrape left series out, so that the log
	// says so when that starts and stops, not at every scrape.
	capped atomic.Bool
}

// NewInterfaces returns a gatherer of per-link series, which takes one
// snapshot of src per Gather. Like New's, serve it with Merge; its
// families too are reused once done is called.
func NewInterfaces(src InterfaceSource, opts InterfaceOptions) (prometheus.TransactionalGatherer, error) {
	if opts.MaxSeries <= 0 {
		return nil, errors.New("collector: the per-link series limit must be positive")
	}
	c := &interfaces{builders: newBuilders(), src: src, opts: opts, log: opts.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Gather implements prometheus.TransactionalGatherer.
func (c *interfaces) Gather() ([]*dto.MetricFamily, func(), error) {
	s := c.src.InterfaceSnapshot()
	b := c.builders.get()
	refs, series, dropped := c.selected(s.Namespaces, b)

	// Each family is sorted by label values in the order of the label
	// names (ifindex, interface, netns for most): emitted in that order,
	// the builder's sort is a linear check.
	slices.SortFunc(refs, func(a, b ifaceRef) int {
		return cmp.Or(strings.Compare(a.ifindex.GetValue(), b.ifindex.GetValue()),
			strings.Compare(a.name.GetValue(), b.name.GetValue()),
			strings.Compare(a.netns.GetValue(), b.netns.GetValue()))
	})
	addInterfaces(b, refs)
	b.family(interfaceSeriesLimitDesc, 1).gauge(float64(c.opts.MaxSeries), nil)
	b.family(interfaceSeriesDroppedDesc, 1).gauge(float64(dropped), nil)

	if hit := dropped > 0; c.capped.Swap(hit) != hit {
		if hit {
			c.log.Warn("Per-link series over their limit; leaving the rest out until they fit",
				"limit", c.opts.MaxSeries, "dropped", dropped)
		} else {
			c.log.Info("Per-link series back under their limit", "limit", c.opts.MaxSeries, "series", series)
		}
	}
	mfs, err := b.gather()
	return mfs, c.builders.release(b), err
}

// An ifaceRef is a link whose series a scrape returns, with the label
// pairs of its own.
type ifaceRef struct {
	*netlinkmon.Interface
	netns, ifindex, name *dto.LabelPair
}

// selected returns the links that pass the filters and fit the limit, with
// the number of their series and of those left out.
func (c *interfaces) selected(nss []netlinkmon.NamespaceInterfaces, b *builder) (refs []ifaceRef, series, dropped int) {
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
		netns := b.pair("netns", ns.Name)
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
				ifindex: b.sharedPair("ifindex", strconv.FormatInt(int64(iface.Index), 10)),
				name:    b.sharedPair("interface", name),
			})
		}
	}
	return refs, series, dropped
}

// addInterfaces adds the series of refs family by family, with labels in
// name order.
func addInterfaces(b *builder, refs []ifaceRef) {
	info := b.family(interfaceInfoDesc, len(refs))
	up := b.family(interfaceUpDesc, len(refs))
	carrier := b.family(interfaceCarrierDesc, len(refs))
	changes := b.family(interfaceCarrierChangesDesc, 2*len(refs))
	deleted := b.family(interfaceDeletedDesc, 0)
	down, upward := b.sharedPair("direction", "down"), b.sharedPair("direction", "up")
	// The direction label sorts first: every "down" series of carrier
	// changes comes before any "up" one, which the second loop adds.
	type shared struct {
		base    []*dto.LabelPair
		created *timestamppb.Timestamp
	}
	sh := make([]shared, len(refs))
	for k, r := range refs {
		info.gauge(1, b.join([]*dto.LabelPair{r.ifindex, r.name, b.sharedPair("kind", r.Kind),
			b.sharedPair("master", strings.ToValidUTF8(r.Master, "\uFFFD")), r.netns, b.sharedPair("operstate", r.OperState)}))
		base := b.join([]*dto.LabelPair{r.ifindex, r.name, r.netns})
		up.gauge(boolValue(r.Up), base)
		carrier.gauge(boolValue(r.Carrier), base)
		sh[k] = shared{base, b.timestamp(r.Created)}
		changes.counter(r.CarrierDown, sh[k].created, b.join([]*dto.LabelPair{down}, base))
		if !r.Deleted.IsZero() {
			deleted.gauge(unixSeconds(r.Deleted), base)
		}
	}
	for k, r := range refs {
		changes.counter(r.CarrierUp, sh[k].created, b.join([]*dto.LabelPair{upward}, sh[k].base))
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
