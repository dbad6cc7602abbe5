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

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// aggregateNames are the netns label values of the aggregates, by the
// source of their namespaces. The source, unlike a namespace's pod, is
// fixed when the namespace is named, so a namespace never moves from one
// aggregate to another and every aggregate's counters only grow.
var aggregateNames = map[netlinkmon.Source]string{
	netlinkmon.SourceDir:  "aggregate-dir",
	netlinkmon.SourceProc: "aggregate-proc",
}

// aggregateOf returns the name of the aggregate that ns belongs to: the host
// and Unidentified are their own, named namespaces that of their source.
func aggregateOf(ns *netlinkmon.Namespace) string {
	if ns.Source == netlinkmon.SourceSelf || ns.Name == netlinkmon.Unidentified {
		return ns.Name
	}
	if name, ok := aggregateNames[ns.Source]; ok {
		return name
	}
	return "aggregate-" + string(ns.Source)
}

// aggregate adds up the namespaces of s, and the sums of those that left
// it (Snapshot.Expired), into one namespace per aggregate, sorted by name.
// An aggregate's links are its living namespaces', its last event the
// latest, and each kind's counters began when the earliest of its
// namespaces' did, which never changes since Expired keeps that time.
func aggregate(s *netlinkmon.Snapshot) []netlinkmon.Namespace {
	var out []netlinkmon.Namespace
	index := make(map[string]int, 4)
	add := func(ns *netlinkmon.Namespace) {
		name := aggregateOf(ns)
		i, ok := index[name]
		if !ok {
			i = len(out)
			index[name] = i
			out = append(out, netlinkmon.Namespace{Name: name, NSID: netlinkmon.NoNSID, Source: ns.Source})
			if ns.Source == netlinkmon.SourceSelf {
				// The host keeps its own series, its info included.
				out[i].Inode, out[i].Alive = ns.Inode, ns.Alive
			}
		}
		sum := &out[i]
		if ns.LastEvent.After(sum.LastEvent) {
			sum.LastEvent = ns.LastEvent
		}
		for _, k := range ns.Kinds {
			sum.Kinds = addKind(sum.Kinds, &k)
		}
		if ns.Alive {
			for _, l := range ns.Links {
				sum.Links = addLinks(sum.Links, l)
			}
		}
	}
	for i := range s.Namespaces {
		add(&s.Namespaces[i])
	}
	for i := range s.Expired {
		add(&s.Expired[i])
	}
	for i := range out {
		slices.SortFunc(out[i].Kinds, func(a, b netlinkmon.KindCounters) int { return strings.Compare(a.Kind, b.Kind) })
		slices.SortFunc(out[i].Links, func(a, b netlinkmon.LinkCount) int {
			if c := strings.Compare(a.Kind, b.Kind); c != 0 {
				return c
			}
			return strings.Compare(a.OperState, b.OperState)
		})
	}
	slices.SortFunc(out, func(a, b netlinkmon.Namespace) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// addKind adds k to the counters of its kind in kinds. A namespace has a
// few kinds: a linear search beats a map.
func addKind(kinds []netlinkmon.KindCounters, k *netlinkmon.KindCounters) []netlinkmon.KindCounters {
	i := slices.IndexFunc(kinds, func(c netlinkmon.KindCounters) bool { return c.Kind == k.Kind })
	if i < 0 {
		return append(kinds, *k)
	}
	c := &kinds[i]
	if c.Created.IsZero() || (!k.Created.IsZero() && k.Created.Before(c.Created)) {
		c.Created = k.Created
	}
	c.Add(k)
	return kinds
}

func addLinks(links []netlinkmon.LinkCount, l netlinkmon.LinkCount) []netlinkmon.LinkCount {
	i := slices.IndexFunc(links, func(c netlinkmon.LinkCount) bool { return c.Kind == l.Kind && c.OperState == l.OperState })
	if i < 0 {
		return append(links, l)
	}
	links[i].Count += l.Count
	return links
}
