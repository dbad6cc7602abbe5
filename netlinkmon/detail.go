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
	"cmp"
	"slices"
	"time"
)

// Per-link detail (Options.LinkDetail). Without it no linkDetail is ever
// allocated and namespace.former stays nil: a linkState with its nil
// pointer is 64 bytes, the size class it had without one.

// A linkDetail is what the monitor keeps of a link beyond what the counters
// need.
type linkDetail struct {
	master int32
	// baseUp and baseDown are the kernel's carrier counters at the link's
	// first sight, at seen: only transitions after it count, as for
	// KindCounters.
	baseUp, baseDown uint32
	seen             time.Time
}

// A formerLink is the final detail of a link that left its namespace,
// kept for the retention.
type formerLink struct {
	name, kind             string
	flags                  uint32
	oper                   uint8
	master                 int32
	carrierUp, carrierDown uint32
	seen, at               time.Time
}

// enableDetail makes the registry keep per-link detail in every namespace,
// its own included. It is called before the first link is seen.
func (r *registry) enableDetail() {
	r.detail = true
	r.self.detail = true
}

// keepDetail updates the detail of st from l; update calls it last. The
// first call is at the link's first sight (firstSight, then update), when
// st holds the kernel's carrier counters as they were then.
func (ns *namespace) keepDetail(st *linkState, l *link, now time.Time) {
	if st.detail == nil {
		st.detail = &linkDetail{baseUp: st.carrierUp, baseDown: st.carrierDown, seen: now}
		// A link that takes the ifindex of one that left replaces it: one
		// record per ifindex keeps the series of the two apart.
		delete(ns.former, l.index)
	}
	st.detail.master = l.master
}

// keepFormer records the final detail of a link that leaves the
// namespace now.
func (ns *namespace) keepFormer(index int32, st *linkState, now time.Time) {
	d := st.detail
	if d == nil {
		return
	}
	if ns.former == nil {
		ns.former = make(map[int32]formerLink)
	}
	ns.former[index] = formerLink{
		name: st.name, kind: st.kind, flags: st.flags, oper: st.oper, master: d.master,
		carrierUp: st.carrierUp - d.baseUp, carrierDown: st.carrierDown - d.baseDown,
		seen: d.seen, at: now,
	}
}

// expireFormer forgets the links that left at least retention ago.
func (ns *namespace) expireFormer(now time.Time, retention time.Duration) {
	for idx, d := range ns.former {
		if now.Sub(d.at) >= retention {
			delete(ns.former, idx)
		}
	}
	if len(ns.former) == 0 {
		// Let a burst's buckets go.
		ns.former = nil
	}
}

// interfaces returns the detail of the links present and of those that left
// less than retention ago, sorted by ifindex. Counting began at started.
func (ns *namespace) interfaces(now time.Time, retention time.Duration, started time.Time) []Interface {
	out := make([]Interface, 0, len(ns.links)+len(ns.former))
	for idx, st := range ns.links {
		var d linkDetail
		if st.detail != nil {
			d = *st.detail
		}
		out = append(out, Interface{
			Index: idx, Name: st.name, Kind: st.kind, OperState: operStateName(st.oper),
			Master: ns.masterName(d.master),
			Up:     st.flags&iffUp != 0, Carrier: st.flags&iffLowerUp != 0,
			CarrierUp: uint64(st.carrierUp - d.baseUp), CarrierDown: uint64(st.carrierDown - d.baseDown),
			Created: ns.began(d.seen, started),
		})
	}
	for idx, d := range ns.former {
		if now.Sub(d.at) >= retention {
			continue
		}
		out = append(out, Interface{
			Index: idx, Name: d.name, Kind: d.kind, OperState: operStateName(d.oper),
			Master: ns.masterName(d.master),
			Up:     d.flags&iffUp != 0, Carrier: d.flags&iffLowerUp != 0,
			CarrierUp: uint64(d.carrierUp), CarrierDown: uint64(d.carrierDown),
			Created: ns.began(d.seen, started), Deleted: d.at,
		})
	}
	slices.SortFunc(out, func(a, b Interface) int { return cmp.Compare(a.Index, b.Index) })
	return out
}

// masterName resolves a master's ifindex at snapshot time: among the links
// present, then among those that left, since a bridge destroyed with its
// namespace leaves with its ports.
func (ns *namespace) masterName(index int32) string {
	if index == 0 {
		return ""
	}
	if st, ok := ns.links[index]; ok {
		return st.name
	}
	return ns.former[index].name
}
