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
	// dumped, when not zero, is the batch whose dump found the link before
	// any message did: the link is counted once the next batch is applied
	// (settle), unless a message of it says how the link came. See "The
	// seed dump and settling one batch later" in the package documentation.
	dumped uint64
	// detail is set with Options.LinkDetail; see keepDetail.
	detail *linkDetail
}

// A tombstone is a link that a dump found gone; see "The life of a link" in
// the package documentation.
type tombstone struct {
	// at is the time of the dump.
	at   time.Time
	kind string
	name string
	// dumped, when not zero, is the batch of that dump: the deletion is
	// counted once the next batch is applied, unless an RTM_DELLINK in it
	// says that the link moved out.
	dumped uint64
}

// A wantedName is a name a namespace found in a directory waits for, while a
// living namespace holds it (see nameWait).
type wantedName struct {
	base  string
	src   Source
	until time.Time
}

// tombstoneTTL is how long after the dump a settled tombstone is kept, for
// the link's RTM_DELLINK that was in flight. The package documentation says
// why.
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
	// assignedAt, when not zero, is when the monitor had the kernel assign
	// the nsid, whose RTM_NEWNSID has not been read yet: an RTM_DELNSID
	// read until then belongs to an earlier holder. See "nsid assignment
	// and its announcements" in the package documentation.
	assignedAt time.Time
	// announced is set once the RTM_NEWNSID that gave the namespace its
	// nsid has been read (or must have been, see registry.drained): the
	// next one of the nsid means that the kernel gave it out again.
	announced bool
	// early is set on the namespaces that the baseline found: its
	// RTM_NEWNSID, and the RTM_DELNSID of an earlier holder of its nsid,
	// may still wait in the event socket. See "Namespaces the baseline
	// found" in the package documentation.
	early bool
	// want, on a namespace found but not named yet, is the name it waits
	// for: a living namespace still holds it.
	want  *wantedName
	alive bool
	// seeded is set once a dump has given the full link state.
	seeded bool
	// baselining is set while the namespace waits for a baseline dump that
	// the kernel does not interrupt; it counts nothing until then.
	baselining bool
	// malformedLogged is set once a dump of the namespace skipped a
	// malformed message and said so.
	malformedLogged bool
	// seedAt, when not zero, is when the first dump is due.
	seedAt time.Time

	// discovered is when the namespace was named: its series begin then
	// (see KindCounters.Created).
	discovered time.Time
	died       time.Time
	lastEvent  time.Time
	// pod is the pod the namespace belongs to, if one was attached.
	pod Pod

	links    map[int32]*linkState
	gone     map[int32]tombstone
	counters map[string]*KindCounters
	// peers, before the first dump, holds the links that the registration
	// of their veth peer in the exporter's namespace said exist here, by
	// ifindex, with their kind: the kernel did not announce them (see
	// registry.peerOf). Each is counted once a dump or a message shows it,
	// or at the namespace's death.
	peers map[int32]string

	// detail keeps per-link detail (Options.LinkDetail), and former the
	// final detail of the links that left, by ifindex.
	detail bool
	former map[int32]formerLink
	// feed receives an event at each count; nil in tests that need none.
	feed *Feed
}

func newNamespace(nsid int32) *namespace {
	return &namespace{
		nsid:     nsid,
		alive:    true,
		links:    make(map[int32]*linkState),
		gone:     make(map[int32]tombstone),
		counters: make(map[string]*KindCounters),
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
	delete(ns.peers, l.index)
	st, ok := ns.links[l.index]
	switch {
	case ok && st.dumped != 0:
		// A dump found the link first: its registration, if this is it,
		// says how it came. Flags are not diffed against a newer dump.
		if l.change == changeAll {
			ns.arrived(l.kind, movedIn)
			ns.emitLink(arrival(movedIn), ViaEvent, l, now)
			st.dumped = 0
			ns.carrierSinceArrival(st, l, now)
		}
		ns.emitChange(st, l, false, ViaEvent, now)
		ns.update(st, l, now)
		return
	case ok:
		ns.emitChange(st, l, true, ViaEvent, now)
		ns.countFlags(l.kind, st.flags, l.flags)
		ns.update(st, l, now)
		return
	}
	if t, gone := ns.gone[l.index]; gone {
		if l.change != changeAll {
			// A late change of a link that a dump already found gone;
			// its RTM_DELLINK is on its way.
			return
		}
		if t.dumped != 0 {
			// Another link took the index: the old one is gone for good.
			ns.kind(t.kind).Deletions++
			ns.emitGone(l.index, t, now)
		}
	}
	// Any link the monitor did not know came into existence after the
	// start: links present at the start are in the baseline.
	ns.arrived(l.kind, movedIn)
	ns.emitLink(arrival(movedIn), ViaEvent, l, now)
	st = firstSight(l)
	ns.links[l.index] = st
	delete(ns.gone, l.index)
	ns.update(st, l, now)
}

// delLink applies an RTM_DELLINK.
func (ns *namespace) delLink(l *link, now time.Time) {
	ns.lastEvent = now
	delete(ns.peers, l.index)
	st, ok := ns.links[l.index]
	switch {
	case !ok:
		if t, gone := ns.gone[l.index]; gone {
			delete(ns.gone, l.index)
			if t.dumped != 0 {
				// The dump found it gone; this says how it left.
				ns.departed(t.kind, l.moved)
				ns.emitLink(departure(l.moved), ViaEvent, l, now)
			}
			return
		}
		// Never seen: it was created in a window the monitor could not
		// see (before the first dump, or during an overrun).
		ns.kind(l.kind).Creations++
		ns.emitLink(EventCreated, ViaEvent, l, now)
		st = firstSight(l)
	case st.dumped != 0:
		// Found by a dump, gone before its registration was read: it
		// existed before the dump.
		ns.kind(st.kind).Creations++
		ns.emitState(EventCreated, ViaDump, l.index, st, now)
	}
	ns.emitChange(st, l, false, ViaEvent, now)
	ns.update(st, l, now)
	ns.departed(st.kind, l.moved)
	ns.emitLink(departure(l.moved), ViaEvent, l, now)
	ns.keepFormer(l.index, st, now)
	delete(ns.links, l.index)
}

func (ns *namespace) arrived(kind string, movedIn bool) {
	if movedIn {
		ns.kind(kind).MovesIn++
	} else {
		ns.kind(kind).Creations++
	}
}

func (ns *namespace) departed(kind string, moved bool) {
	if moved {
		ns.kind(kind).MovesOut++
	} else {
		ns.kind(kind).Deletions++
	}
}

// firstSight starts the state of a link. Its carrier counters are a baseline:
// only transitions seen after it count. A new veth, say, starts with a down
// count of one that no transition caused.
func firstSight(l *link) *linkState {
	return &linkState{carrierUp: l.carrierUp, carrierDown: l.carrierDown}
}

// carrierSinceArrival counts the carrier transitions between a link's
// registration l and a newer dump that found it first: they happened here,
// after it arrived, but the dump made them its baseline. The kernel's
// counters only grow, so the older events still queued count nothing twice.
func (ns *namespace) carrierSinceArrival(st *linkState, l *link, now time.Time) {
	if !l.hasCarrier {
		return
	}
	c := ns.kind(l.kind)
	var up, down uint32
	if st.carrierUp > l.carrierUp {
		up = st.carrierUp - l.carrierUp
	}
	if st.carrierDown > l.carrierDown {
		down = st.carrierDown - l.carrierDown
	}
	c.CarrierUp += uint64(up)
	c.CarrierDown += uint64(down)
	ns.emitCarrier(st, l, up, down, now)
	if d := st.detail; d != nil {
		d.baseUp, d.baseDown = min(d.baseUp, l.carrierUp), min(d.baseDown, l.carrierDown)
	}
}

// update copies l into st and counts carrier transitions from the kernel's
// own counters, which stay exact whatever events were lost. Every message
// and dump of a link ends here, the first one included: the counters of the
// link's kind begin at the first update of a link of that kind.
func (ns *namespace) update(st *linkState, l *link, now time.Time) {
	c := ns.kind(l.kind)
	if c.Created.IsZero() {
		c.Created = now
	}
	if l.hasCarrier {
		// The kernel's counters only grow: a lower value is an event
		// older than what the monitor already saw.
		if l.carrierUp > st.carrierUp {
			c.CarrierUp += uint64(l.carrierUp - st.carrierUp)
			st.carrierUp = l.carrierUp
		}
		if l.carrierDown > st.carrierDown {
			c.CarrierDown += uint64(l.carrierDown - st.carrierDown)
			st.carrierDown = l.carrierDown
		}
	}
	st.name, st.kind, st.flags, st.oper = l.name, l.kind, l.flags, l.oper
	if ns.detail {
		ns.keepDetail(st, l, now)
	}
}

// countFlags counts each IFF bit that differs between old and new. The
// kernel's ifi_change is not used: it is zero for carrier changes.
func (ns *namespace) countFlags(kind string, old, new uint32) {
	set, cleared := flagDiff(old, new)
	if set|cleared == 0 {
		return
	}
	c := ns.kind(kind)
	for ; set != 0; set &= set - 1 {
		c.FlagsSet[bits.TrailingZeros32(set)]++
	}
	for ; cleared != 0; cleared &= cleared - 1 {
		c.FlagsCleared[bits.TrailingZeros32(cleared)]++
	}
}

// reconcile makes the state match a dump applied in batch. With count set,
// every difference is counted: links the dump adds as creations and links it
// lacks as deletions, both once the next batch is applied (see
// linkState.dumped), and flag differences as flag changes. Without it, the
// dump is a baseline. Links whose messages the dump skipped keep their state,
// and a blind dump (see linkDump) finds no link gone.
func (ns *namespace) reconcile(d linkDump, count bool, now time.Time, batch uint64) {
	dump := d.links
	seen := make(map[int32]struct{}, len(dump)+len(d.skipped))
	for _, idx := range d.skipped {
		seen[idx] = struct{}{}
	}
	for i := range dump {
		l := &dump[i]
		seen[l.index] = struct{}{}
		st, ok := ns.links[l.index]
		switch {
		case ok:
			ns.emitChange(st, l, count && st.dumped == 0, ViaDump, now)
			if count && st.dumped == 0 {
				ns.countFlags(l.kind, st.flags, l.flags)
			}
		case count:
			st = firstSight(l)
			st.dumped = batch
			ns.links[l.index] = st
			delete(ns.gone, l.index)
			ns.lastEvent = now
		default:
			st = firstSight(l)
			ns.links[l.index] = st
		}
		ns.update(st, l, now)
	}
	for idx, st := range ns.links {
		if _, ok := seen[idx]; ok || d.blind {
			continue
		}
		if count {
			if st.dumped != 0 {
				// One dump found it, the next did not.
				ns.kind(st.kind).Creations++
				ns.emitState(EventCreated, ViaDump, idx, st, now)
			}
			ns.gone[idx] = tombstone{at: now, kind: st.kind, name: st.name, dumped: batch}
			ns.keepFormer(idx, st, now)
			ns.lastEvent = now
		}
		delete(ns.links, idx)
	}
	ns.seeded = true
	ns.seedAt = time.Time{}
	// The dump showed the peers that were still there: a creation each,
	// settled as any other. Those already gone left with an RTM_DELLINK
	// that the monitor read or will read.
	ns.peers = nil
}

// expectPeer notes a link that the registration of its veth peer elsewhere
// said exists here; see namespace.peers.
func (ns *namespace) expectPeer(index int32, kind string) {
	if _, ok := ns.links[index]; ok {
		return
	}
	if ns.peers == nil {
		ns.peers = make(map[int32]string)
	}
	ns.peers[index] = kind
}

// settle counts what dumps of batches before this one found and no event
// explained. It reports whether anything is left to settle.
func (ns *namespace) settle(batch uint64) (unsettled bool) {
	for idx, st := range ns.links {
		switch {
		case st.dumped == 0:
		case st.dumped < batch:
			ns.kind(st.kind).Creations++
			ns.emitState(EventCreated, ViaDump, idx, st, time.Time{})
			st.dumped = 0
		default:
			unsettled = true
		}
	}
	for idx, t := range ns.gone {
		switch {
		case t.dumped == 0:
		case t.dumped < batch:
			ns.kind(t.kind).Deletions++
			ns.emitGone(idx, t, time.Time{})
			t.dumped = 0
			ns.gone[idx] = t
		default:
			unsettled = true
		}
	}
	return unsettled
}

// die counts every remaining link as deleted: the kernel sends no
// RTM_DELLINK for the devices of a dying namespace.
func (ns *namespace) die(now time.Time) {
	for idx, st := range ns.links {
		c := ns.kind(st.kind)
		if st.dumped != 0 {
			c.Creations++
			ns.emitState(EventCreated, ViaDump, idx, st, now)
		}
		c.Deletions++
		ns.emitState(EventDeleted, ViaNetnsDeath, idx, st, now)
		ns.keepFormer(idx, st, now)
		delete(ns.links, idx)
	}
	for idx, t := range ns.gone {
		if t.dumped != 0 {
			ns.kind(t.kind).Deletions++
			ns.emitGone(idx, t, now)
		}
	}
	// Links that only their peer's registration showed, and that died
	// with the namespace before any dump or message did.
	for idx, kind := range ns.peers {
		c := ns.kind(kind)
		c.Creations++
		c.Deletions++
		ns.emitPeer(idx, kind, now)
	}
	ns.peers = nil
	// Maps keep their capacity: a namespace that held thousands of links
	// would hold their memory through its retention.
	ns.links, ns.gone = nil, nil
	ns.alive = false
	ns.died = now
	ns.seedAt = time.Time{}
}

// expireTombstones forgets links found gone longer than tombstoneTTL ago.
func (ns *namespace) expireTombstones(now time.Time) {
	for idx, t := range ns.gone {
		if t.dumped == 0 && now.Sub(t.at) > tombstoneTTL {
			delete(ns.gone, idx)
		}
	}
}
