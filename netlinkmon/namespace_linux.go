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
	"math/bits"
	"time"
)

// A linkState is what the monitor remembers of a link between events.
type linkState struct {
	name        string
	kind        string
	flags       uint32
	oper        uint8
	carrierUp   uint32
	carrierDown uint32
}

// tombstoneTTL is how long a link that a dump found gone is remembered, so
// that its RTM_DELLINK, already in flight when the dump ran, is not counted a
// second time.
const tombstoneTTL = 10 * time.Second

// A namespace is the link state and counters of one network namespace. Only
// the monitor's event goroutine changes it, under the monitor's lock.
type namespace struct {
	name   string
	inode  uint64
	nsid   int32
	source Source

	// named is false while the namespace is known only by an nsid the kernel
	// announced; it is exported once a scan finds its inode.
	named bool
	alive bool
	// seeded is set once a dump has given the full link state.
	seeded bool
	// seedAt, when not zero, is when the first dump is due.
	seedAt time.Time

	discovered time.Time
	died       time.Time
	lastEvent  time.Time

	links    map[int32]*linkState
	gone     map[int32]time.Time
	counters map[string]*KindCounters
}

func newNamespace(nsid int32, now time.Time) *namespace {
	return &namespace{
		nsid:       nsid,
		alive:      true,
		discovered: now,
		links:      make(map[int32]*linkState),
		gone:       make(map[int32]time.Time),
		counters:   make(map[string]*KindCounters),
	}
}

func (ns *namespace) kind(k string) *KindCounters {
	c, ok := ns.counters[k]
	if !ok {
		c = &KindCounters{Kind: k}
		ns.counters[k] = c
	}
	return c
}

// newLink applies an RTM_NEWLINK. movedIn says that the link arrives from
// another namespace rather than being created.
func (ns *namespace) newLink(l *link, movedIn bool, now time.Time) {
	ns.lastEvent = now
	st, ok := ns.links[l.index]
	if !ok {
		if _, gone := ns.gone[l.index]; gone && l.change != changeAll {
			// A late change of a link that a dump already found gone;
			// its RTM_DELLINK is on its way.
			return
		}
		c := ns.kind(l.kind)
		if movedIn {
			c.MovesIn++
		} else {
			// Any link the monitor did not know came into existence after
			// the start: links present at the start are in the baseline.
			c.Creations++
		}
		st = firstSight(l)
		ns.links[l.index] = st
		delete(ns.gone, l.index)
	} else {
		ns.countFlags(l.kind, st.flags, l.flags)
	}
	ns.update(st, l)
}

// delLink applies an RTM_DELLINK.
func (ns *namespace) delLink(l *link, now time.Time) {
	ns.lastEvent = now
	st, ok := ns.links[l.index]
	if !ok {
		if _, dup := ns.gone[l.index]; dup {
			delete(ns.gone, l.index)
			return
		}
		// Never seen: it was created in a window the monitor could not
		// see (before the first dump, or during an overrun).
		ns.kind(l.kind).Creations++
		st = firstSight(l)
	}
	ns.update(st, l)
	c := ns.kind(st.kind)
	if l.moved {
		c.MovesOut++
	} else {
		c.Deletions++
	}
	delete(ns.links, l.index)
}

// firstSight starts the state of a link. Its carrier counters are a baseline:
// only transitions seen after it count. A new veth, say, starts with a down
// count of one that no transition caused.
func firstSight(l *link) *linkState {
	return &linkState{carrierUp: l.carrierUp, carrierDown: l.carrierDown}
}

// update copies l into st and counts carrier transitions from the kernel's
// own counters, which stay exact whatever events were lost.
func (ns *namespace) update(st *linkState, l *link) {
	c := ns.kind(l.kind)
	if l.hasCarrier {
		if l.carrierUp >= st.carrierUp {
			c.CarrierUp += uint64(l.carrierUp - st.carrierUp)
		}
		if l.carrierDown >= st.carrierDown {
			c.CarrierDown += uint64(l.carrierDown - st.carrierDown)
		}
		st.carrierUp, st.carrierDown = l.carrierUp, l.carrierDown
	}
	st.name, st.kind, st.flags, st.oper = l.name, l.kind, l.flags, l.oper
}

// countFlags counts each IFF bit that differs between old and new. The
// kernel's ifi_change is not used: it is zero for carrier changes.
func (ns *namespace) countFlags(kind string, old, new uint32) {
	diff := old ^ new
	if diff == 0 {
		return
	}
	c := ns.kind(kind)
	for diff != 0 {
		b := bits.TrailingZeros32(diff)
		diff &^= 1 << b
		if b >= NumFlags {
			continue
		}
		if new&(1<<b) != 0 {
			c.FlagsSet[b]++
		} else {
			c.FlagsCleared[b]++
		}
	}
}

// reconcile makes the state match a dump. With count set, every difference
// is counted: links the dump adds as creations, links it lacks as deletions,
// and flag differences as flag changes. Without it, the dump is a baseline.
func (ns *namespace) reconcile(dump []link, count bool, now time.Time) {
	seen := make(map[int32]struct{}, len(dump))
	for i := range dump {
		l := &dump[i]
		seen[l.index] = struct{}{}
		st, ok := ns.links[l.index]
		switch {
		case ok:
			if count {
				ns.countFlags(l.kind, st.flags, l.flags)
			}
			ns.update(st, l)
		case count:
			ns.newLink(l, false, now)
		default:
			st = firstSight(l)
			ns.update(st, l)
			ns.links[l.index] = st
		}
	}
	for idx, st := range ns.links {
		if _, ok := seen[idx]; ok {
			continue
		}
		if count {
			ns.kind(st.kind).Deletions++
			ns.gone[idx] = now
			ns.lastEvent = now
		}
		delete(ns.links, idx)
	}
	ns.seeded = true
	ns.seedAt = time.Time{}
}

// die counts every remaining link as deleted: the kernel sends no
// RTM_DELLINK for the devices of a dying namespace.
func (ns *namespace) die(now time.Time) {
	for idx, st := range ns.links {
		ns.kind(st.kind).Deletions++
		delete(ns.links, idx)
	}
	ns.gone = nil
	ns.alive = false
	ns.died = now
	ns.seedAt = time.Time{}
}

// expireTombstones forgets links found gone longer than tombstoneTTL ago.
func (ns *namespace) expireTombstones(now time.Time) {
	for idx, t := range ns.gone {
		if now.Sub(t) > tombstoneTTL {
			delete(ns.gone, idx)
		}
	}
}
