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

package netlinkmon

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// operStates are RFC 2863 names of IF_OPER_* values, as iproute2 prints them
// in lowercase.
var operStates = [...]string{"unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"}

func operStateName(v uint8) string {
	if int(v) < len(operStates) {
		return operStates[v]
	}
	return "unknown"
}

// counters copies the state without per-link detail. Dead namespaces whose
// retention has expired are left out even before the next prune.
func (r *registry) counters(now time.Time) Snapshot {
	s := Snapshot{
		Namespaces:  make([]Namespace, 0, len(r.byName)),
		Discoveries: r.discoveries,
		Removals:    r.removals,
		Overruns:    r.overruns,
		Resyncs:     maps.Clone(r.resyncs),
		Repairs:     maps.Clone(r.repairs),
		Started:     r.started,

		DumpInterruptions: r.interruptions,
		Messages:          make(map[string]uint64, numMsgTypes+2),
	}
	for t, n := range r.messages {
		if n > 0 {
			s.Messages[msgTypeNames[t]] = n
		}
	}
	if r.malformed > 0 {
		s.Messages["malformed"] = r.malformed
	}
	if r.foreign > 0 {
		s.Messages["foreign"] = r.foreign
	}
	var late []*namespace
	live := make([]*namespace, 0, len(r.byName)+1)
	for _, ns := range r.byName {
		if r.expired(ns, now) {
			late = append(late, ns)
			continue
		}
		live = append(live, ns)
	}
	if u := r.unidentified; u.present() {
		if r.expired(u, now) {
			late = append(late, u)
		} else {
			live = append(live, u)
		}
	}
	s.Expired = r.expiredSnapshot(late)
	// Sorted before the copy: a Namespace is 20 times the size of a
	// pointer.
	slices.SortFunc(live, func(a, b *namespace) int { return strings.Compare(a.name, b.name) })
	a := newSnapshotArena(live)
	for _, ns := range live {
		s.Namespaces = append(s.Namespaces, ns.snapshot(r.started, a))
	}
	return s
}

// A snapshotArena holds the kinds and link counts of a snapshot's
// namespaces, one array of each for all of them: at 1,000 namespaces,
// slices of their own were 2,000 allocations a scrape.
type snapshotArena struct {
	kinds []KindCounters
	links []LinkCount
}

// newSnapshotArena makes room for the kinds and link counts of nss: for
// as many link counts as links, about three times what the counts by kind
// and state take.
func newSnapshotArena(nss []*namespace) *snapshotArena {
	kinds, links := 0, 0
	for _, ns := range nss {
		kinds += len(ns.counters)
		links += len(ns.links)
	}
	return &snapshotArena{kinds: make([]KindCounters, 0, kinds), links: make([]LinkCount, 0, links)}
}

// cut returns an empty slice with room for n values, cut from the end of
// *arena if it has room, with no room beyond: appending to it stays out of
// the next namespace's. It is never nil.
func cut[T any](arena *[]T, n int) []T {
	l := len(*arena)
	if n == 0 || cap(*arena)-l < n {
		return make([]T, 0, n)
	}
	*arena = (*arena)[:l+n]
	return (*arena)[l : l : l+n]
}

// interfaceSnapshot copies the per-link detail. It is empty unless the
// registry keeps detail.
func (r *registry) interfaceSnapshot(now time.Time) InterfaceSnapshot {
	if !r.detail {
		return InterfaceSnapshot{}
	}
	var nss []NamespaceInterfaces
	for _, ns := range r.byName {
		if r.expired(ns, now) {
			continue
		}
		nss = append(nss, NamespaceInterfaces{
			Name: ns.name, Inode: ns.inode, NSID: ns.nsid, Source: ns.source, Alive: ns.alive,
			Interfaces: ns.interfaces(now, r.retention, r.started),
		})
	}
	slices.SortFunc(nss, func(a, b NamespaceInterfaces) int { return strings.Compare(a.Name, b.Name) })
	return InterfaceSnapshot{Namespaces: nss}
}

// began returns when a series of ns whose counters started at t began for
// the monitor's readers, that is the latest of t, of when counting began
// (started) and of when ns was named.
//
// Nothing is counted before started: the baseline's counters begin then.
// And a scraper that stores a zero at the created time does so only after
// the series' last sample: a restarted exporter answers 503 until its
// baseline is read, and the scrapes it fails mark the old process's series
// stale then. Nor is an unnamed namespace in snapshots: a kind seen while
// the namespace waited for a name that a dying namespace held must not
// begin before the scrapes that still saw the dying one's series under that
// name.
func (ns *namespace) began(t, started time.Time) time.Time {
	for _, u := range []time.Time{started, ns.discovered} {
		if t.Before(u) {
			t = u
		}
	}
	return t
}

// snapshot copies ns, its kinds and link counts into a, which may be nil.
func (ns *namespace) snapshot(started time.Time, a *snapshotArena) Namespace {
	if a == nil {
		a = &snapshotArena{}
	}
	out := Namespace{
		Name:      ns.name,
		Inode:     ns.inode,
		NSID:      ns.nsid,
		Source:    ns.source,
		Alive:     ns.alive,
		LastEvent: ns.lastEvent,
		Pod:       ns.pod,
		Kinds:     cut(&a.kinds, len(ns.counters)),
	}
	if len(ns.links) > 0 {
		out.Links = cut(&a.links, len(ns.links))
	}
	// Sorted by pointer, then copied: a KindCounters is nearly 400 bytes.
	var buf [8]*KindCounters
	kinds := buf[:0]
	for _, c := range ns.counters {
		kinds = append(kinds, c)
	}
	slices.SortFunc(kinds, func(a, b *KindCounters) int { return strings.Compare(a.Kind, b.Kind) })
	for _, c := range kinds {
		k := *c
		k.Created = ns.began(c.Created, started)
		out.Kinds = append(out.Kinds, k)
	}
	// A namespace has links of a few kinds in a few states: a linear
	// search beats a map, which scrapes would allocate for every namespace.
	for _, l := range ns.links {
		oper := operStateName(l.oper)
		i := slices.IndexFunc(out.Links, func(c LinkCount) bool { return c.Kind == l.kind && c.OperState == oper })
		if i < 0 {
			out.Links = append(out.Links, LinkCount{Kind: l.kind, OperState: oper})
			i = len(out.Links) - 1
		}
		out.Links[i].Count++
	}
	slices.SortFunc(out.Links, func(a, b LinkCount) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.OperState, b.OperState)
	})
	return out
}
