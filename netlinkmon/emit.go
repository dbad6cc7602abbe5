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

import "time"

// The emit methods publish an event at each count of a namespace. Each
// checks for subscribers first, so that without any, no event is built.

func arrival(movedIn bool) EventType {
	if movedIn {
		return EventMovedIn
	}
	return EventCreated
}

func departure(moved bool) EventType {
	if moved {
		return EventMovedOut
	}
	return EventDeleted
}

// emitLink publishes what a message says of a link.
func (ns *namespace) emitLink(typ EventType, via Via, l *link, now time.Time) {
	if ns.feed.Active() {
		ns.feed.Publish(ns.event(typ, via, l.index, l.name, l.kind, operStateName(l.oper), now))
	}
}

// emitState publishes an event about a link the monitor holds.
func (ns *namespace) emitState(typ EventType, via Via, index int32, st *linkState, now time.Time) {
	if ns.feed.Active() {
		ns.feed.Publish(ns.event(typ, via, index, st.name, st.kind, operStateName(st.oper), now))
	}
}

// emitGone publishes the deletion of a link that a dump found gone.
func (ns *namespace) emitGone(index int32, t tombstone, now time.Time) {
	if ns.feed.Active() {
		ns.feed.Publish(ns.event(EventDeleted, ViaDump, index, t.name, t.kind, "", now))
	}
}

// emitPeer publishes the creation and deletion of a link that only its
// peer's registration showed, and that died with its namespace.
func (ns *namespace) emitPeer(index int32, kind string, now time.Time) {
	if ns.feed.Active() {
		ns.feed.Publish(ns.event(EventCreated, ViaPeer, index, "", kind, "", now))
		ns.feed.Publish(ns.event(EventDeleted, ViaNetnsDeath, index, "", kind, "", now))
	}
}

// emitCarrier publishes carrier transitions that a dump newer than the
// link's registration l revealed.
func (ns *namespace) emitCarrier(st *linkState, l *link, up, down uint32, now time.Time) {
	if (up != 0 || down != 0) && ns.feed.Active() {
		ev := ns.event(EventChanged, ViaDump, l.index, st.name, st.kind, operStateName(st.oper), now)
		ev.CarrierUp, ev.CarrierDown = up, down
		ns.feed.Publish(ev)
	}
}

// emitChange publishes what changed from st to l, if anything: the carrier
// transitions that update counts, and with full set, the flags that
// countFlags counts and the operstate and name. Without full, the message
// may be older than st, and only the kernel's counters, which only grow,
// tell a change.
func (ns *namespace) emitChange(st *linkState, l *link, full bool, via Via, now time.Time) {
	if ns.feed.Active() {
		if ev, ok := ns.change(st, l, full, via, now); ok {
			ns.feed.Publish(ev)
		}
	}
}

func (ns *namespace) change(st *linkState, l *link, full bool, via Via, now time.Time) (Event, bool) {
	ev := ns.event(EventChanged, via, l.index, l.name, l.kind, operStateName(l.oper), now)
	if l.hasCarrier {
		if l.carrierUp > st.carrierUp {
			ev.CarrierUp = l.carrierUp - st.carrierUp
		}
		if l.carrierDown > st.carrierDown {
			ev.CarrierDown = l.carrierDown - st.carrierDown
		}
	}
	changed := ev.CarrierUp != 0 || ev.CarrierDown != 0
	if !full {
		return ev, changed
	}
	set, cleared := flagDiff(st.flags, l.flags)
	if set|cleared != 0 {
		ev.FlagsSet, ev.FlagsCleared = namesOf(set), namesOf(cleared)
		changed = true
	}
	if st.oper != l.oper {
		ev.OldOperState = operStateName(st.oper)
		changed = true
	}
	if st.name != l.name {
		ev.OldName = st.name
		changed = true
	}
	return ev, changed
}

func (ns *namespace) event(typ EventType, via Via, index int32, name, kind, oper string, now time.Time) Event {
	return Event{
		Type: typ, Time: now, Via: via,
		Netns: ns.name, NSID: ns.nsid, Ifindex: index,
		Link: name, Kind: kind, OperState: oper,
	}
}
