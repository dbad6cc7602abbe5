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
	"math"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// t1 is the feed's clock in these tests: events counted where no time is at
// hand (settle) take it.
var t1 = t0.Add(time.Hour)

// watched returns ns with a feed and one subscription that holds every
// event the test makes.
func watched(ns *namespace) *Subscription {
	ns.feed = NewFeed()
	ns.feed.now = func() time.Time { return t1 }
	return ns.feed.Subscribe(1000, nil)
}

// received takes what s holds now.
func received(s *Subscription) []Event {
	evs, _ := s.Take(nil)
	return evs
}

// countEvents counts link events as the counters count, to check that the
// stream agrees with them.
func countEvents(tb testing.TB, evs []Event) map[string]KindCounters {
	tb.Helper()
	bit := make(map[string]int, NumFlags)
	for b := range NumFlags {
		bit[FlagName(b)] = b
	}
	out := make(map[string]KindCounters)
	for _, ev := range evs {
		c := out[ev.Kind]
		c.Kind = ev.Kind
		switch ev.Type {
		case EventCreated:
			c.Creations++
		case EventDeleted:
			c.Deletions++
		case EventMovedIn:
			c.MovesIn++
		case EventMovedOut:
			c.MovesOut++
		case EventChanged:
			c.CarrierUp += uint64(ev.CarrierUp)
			c.CarrierDown += uint64(ev.CarrierDown)
			for _, f := range ev.FlagsSet {
				c.FlagsSet[bit[f]]++
			}
			for _, f := range ev.FlagsCleared {
				c.FlagsCleared[bit[f]]++
			}
		default:
			tb.Errorf("unexpected event %+v", ev)
		}
		if c != (KindCounters{Kind: ev.Kind}) {
			out[ev.Kind] = c
		}
	}
	return out
}

// ev is an event of the test namespace (nsid 3, not named) about a link
// that lk made.
func ev(typ EventType, via Via, index int32, kind string) Event {
	return Event{Type: typ, Time: t0, Via: via, NSID: 3, Ifindex: index, Link: "if" + kind, Kind: kind, OperState: "up"}
}

func evAt(e Event, t time.Time) Event { e.Time = t; return e }
func oper(e Event, s string) Event    { e.OperState = s; return e }
func evNamed(e Event, s string) Event { e.Link = s; return e }
func carried(e Event, up, down uint32) Event {
	e.CarrierUp, e.CarrierDown = up, down
	return e
}

func flags(e Event, set, cleared []string) Event {
	e.FlagsSet, e.FlagsCleared = set, cleared
	return e
}

func withName(l link, s string) link { l.name = s; return l }
func dieAt(t time.Time) nsOp         { return func(ns *namespace) { ns.die(t) } }

func TestNamespaceEvents(t *testing.T) {
	const (
		down    = iffBroadcast | iffMulticast
		up      = down | iffUp
		running = up | iffRunning | iffLowerUp
	)
	tests := []struct {
		name string
		ops  []nsOp
		want []Event
	}{
		{
			name: "creation, then a repeated registration",
			ops:  []nsOp{newL(lk(5, "veth", down)), newL(withChange(lk(5, "veth", down), 0))},
			want: []Event{ev(EventCreated, ViaEvent, 5, "veth")},
		},
		{
			name: "nothing for the baseline",
			ops:  []nsOp{baseline(lk(1, "device", up), withCarrier(lk(5, "veth", running), 3, 4))},
		},
		{
			name: "flags set and cleared, by name",
			ops: []nsOp{
				baseline(lk(5, "veth", running)),
				newL(withChange(lk(5, "veth", down), iffUp)),
				newL(withChange(lk(5, "veth", up|iffPromisc), iffUp|iffPromisc)),
			},
			want: []Event{
				flags(ev(EventChanged, ViaEvent, 5, "veth"), nil, []string{"up", "running", "lower_up"}),
				flags(ev(EventChanged, ViaEvent, 5, "veth"), []string{"up", "promisc"}, nil),
			},
		},
		{
			name: "carrier transitions from the kernel's counters, operstate",
			ops: []nsOp{
				baseline(withCarrier(withOper(lk(5, "veth", running), 6), 1, 1)),
				newL(withChange(withCarrier(withOper(lk(5, "veth", up), 5), 1, 3), 0)),
				// An older message: counters that went down tell nothing.
				newL(withChange(withCarrier(withOper(lk(5, "veth", up), 5), 1, 2), 0)),
			},
			want: []Event{
				func() Event {
					e := carried(oper(ev(EventChanged, ViaEvent, 5, "veth"), "dormant"), 0, 2)
					e.FlagsCleared, e.OldOperState = []string{"running", "lower_up"}, "up"
					return e
				}(),
			},
		},
		{
			// The first dump found the link after it flapped; its
			// registration, read after the dump, tells what it started
			// with.
			name: "carrier transitions between a registration and a newer dump",
			ops: []nsOp{
				dumpOf(2, withCarrier(lk(5, "veth", running), 2, 2)),
				newL(withCarrier(lk(5, "veth", down), 0, 1)),
			},
			want: []Event{
				ev(EventCreated, ViaEvent, 5, "veth"),
				carried(ev(EventChanged, ViaDump, 5, "veth"), 2, 1),
			},
		},
		{
			name: "rename",
			ops:  []nsOp{baseline(lk(5, "veth", up)), newL(withChange(withName(lk(5, "veth", up), "eth9"), 0))},
			want: []Event{func() Event {
				e := evNamed(ev(EventChanged, ViaEvent, 5, "veth"), "eth9")
				e.OldName = "ifveth"
				return e
			}()},
		},
		{
			name: "moves",
			ops:  []nsOp{moveIn(lk(9, "veth", down)), delL(movedTo(lk(9, "veth", down), 4, 2))},
			want: []Event{ev(EventMovedIn, ViaEvent, 9, "veth"), ev(EventMovedOut, ViaEvent, 9, "veth")},
		},
		{
			name: "deletion of an unknown link is also its creation",
			ops:  []nsOp{delL(lk(5, "veth", down))},
			want: []Event{ev(EventCreated, ViaEvent, 5, "veth"), ev(EventDeleted, ViaEvent, 5, "veth")},
		},
		{
			name: "carrier transition told by the deletion",
			ops: []nsOp{
				baseline(withCarrier(lk(5, "veth", up), 1, 1)),
				delL(withCarrier(withOper(lk(5, "veth", down), 2), 1, 2)),
			},
			want: []Event{
				carried(oper(ev(EventChanged, ViaEvent, 5, "veth"), "down"), 0, 1),
				oper(ev(EventDeleted, ViaEvent, 5, "veth"), "down"),
			},
		},
		{
			name: "resync differences come via the dump, counted at settle",
			ops: []nsOp{
				baseline(lk(1, "device", up), lk(5, "veth", running), lk(6, "veth", down)),
				resyncDump(lk(1, "device", up), lk(5, "veth", up), lk(7, "bridge", down)),
			},
			want: []Event{
				flags(ev(EventChanged, ViaDump, 5, "veth"), nil, []string{"running", "lower_up"}),
				evAt(oper(ev(EventDeleted, ViaDump, 6, "veth"), ""), t1),
				evAt(ev(EventCreated, ViaDump, 7, "bridge"), t1),
			},
		},
		{
			name: "a dump finds a link before its registration",
			ops:  []nsOp{resyncDump(lk(7, "veth", down)), newL(lk(7, "veth", up))},
			want: []Event{ev(EventCreated, ViaEvent, 7, "veth")},
		},
		{
			name: "a dump finds a link before its move-in",
			ops:  []nsOp{resyncDump(lk(7, "veth", down)), moveIn(lk(7, "veth", down))},
			want: []Event{ev(EventMovedIn, ViaEvent, 7, "veth")},
		},
		{
			name: "a dump finds a link gone before its move-out",
			ops:  []nsOp{baseline(lk(6, "veth", down)), resyncDump(), delL(movedTo(lk(6, "veth", down), 2, 9))},
			want: []Event{ev(EventMovedOut, ViaEvent, 6, "veth")},
		},
		{
			name: "a dump finds a link that is deleted before its registration",
			ops:  []nsOp{resyncDump(lk(7, "veth", down)), delL(lk(7, "veth", down))},
			want: []Event{ev(EventCreated, ViaDump, 7, "veth"), ev(EventDeleted, ViaEvent, 7, "veth")},
		},
		{
			name: "a link found by one dump and gone by the next",
			ops:  []nsOp{resyncDump(lk(7, "veth", down)), resyncDump()},
			want: []Event{ev(EventCreated, ViaDump, 7, "veth"), evAt(oper(ev(EventDeleted, ViaDump, 7, "veth"), ""), t1)},
		},
		{
			name: "a registration at a tombstoned ifindex",
			ops:  []nsOp{baseline(lk(6, "veth", down)), resyncDump(), newL(withName(lk(6, "bridge", down), "br0"))},
			want: []Event{oper(ev(EventDeleted, ViaDump, 6, "veth"), ""), evNamed(ev(EventCreated, ViaEvent, 6, "bridge"), "br0")},
		},
		{
			name: "the death of the namespace",
			ops: []nsOp{
				baseline(lk(1, "device", up), lk(5, "veth", down), lk(6, "veth", down)),
				resyncDump(lk(1, "device", up), lk(5, "veth", down), lk(7, "bridge", down)),
				dieAt(t1.Add(time.Minute)),
			},
			want: []Event{
				evAt(ev(EventDeleted, ViaNetnsDeath, 1, "device"), t1.Add(time.Minute)),
				evAt(ev(EventDeleted, ViaNetnsDeath, 5, "veth"), t1.Add(time.Minute)),
				evAt(oper(ev(EventDeleted, ViaDump, 6, "veth"), ""), t1.Add(time.Minute)),
				evAt(ev(EventCreated, ViaDump, 7, "bridge"), t1.Add(time.Minute)),
				evAt(ev(EventDeleted, ViaNetnsDeath, 7, "bridge"), t1.Add(time.Minute)),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newNamespace(3)
			sub := watched(ns)
			for _, op := range tt.ops {
				op(ns)
			}
			ns.settle(math.MaxUint64)
			got := received(sub)
			// Events of one link keep their order; links counted in one
			// sweep over a map come in any order.
			byLink := func(a, b Event) int { return cmp.Compare(a.Ifindex, b.Ifindex) }
			slices.SortStableFunc(got, byLink)
			slices.SortStableFunc(tt.want, byLink)
			if diff := gocmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			// The stream agrees with the counters.
			if diff := gocmp.Diff(counters(ns), countEvents(t, got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("counters (-counted +from events):\n%s", diff)
			}
		})
	}
}

// TestNamespaceEventsCostNothingUnwatched checks that counting builds no
// event, and allocates nothing for one, when nobody subscribes.
func TestNamespaceEventsCostNothingUnwatched(t *testing.T) {
	const up, down = iffUp | iffRunning, 0
	flip := func(ns *namespace) func() {
		a, b := withChange(lk(5, "veth", up), 0), withChange(lk(5, "veth", down), 0)
		ns.reconcile(linkDump{links: []link{a}}, false, t0, 1)
		return func() {
			ns.newLink(&b, false, t0)
			ns.newLink(&a, false, t0)
		}
	}
	tests := []struct {
		name   string
		feed   func() *Feed
		allocs bool
	}{
		{name: "no feed", feed: func() *Feed { return nil }},
		{name: "no subscriber", feed: NewFeed},
		{name: "closed subscriber", feed: func() *Feed { f := NewFeed(); f.Subscribe(1, nil).Close(); return f }},
		{name: "a subscriber", feed: func() *Feed { f := NewFeed(); f.Subscribe(1, nil); return f }, allocs: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newNamespace(3)
			ns.feed = tt.feed()
			n := testing.AllocsPerRun(100, flip(ns))
			if got := n > 0; got != tt.allocs {
				t.Errorf("%v allocations per flap, want allocations: %v", n, tt.allocs)
			}
			if c := ns.counters["veth"]; c.FlagsSet[bitUp] < 100 {
				t.Errorf("flaps counted: %d, want at least 100", c.FlagsSet[bitUp])
			}
		})
	}
}

// TestRegistryEvents checks what the registry adds: the namespaces' names
// and nsids, the host's NoNSID, and a move seen from both sides.
func TestRegistryEvents(t *testing.T) {
	r := newTestRegistry()
	sub := r.feed.Subscribe(100, nil)
	r.assigned(4, 4026532001, "blue", SourceDir, t0)
	r.apply([]message{
		newNSIDMsg(true, 0, 4),
		newLinkMsg(true, 0, lk(8, "veth", 0)),
		delLinkMsg(true, 0, movedTo(lk(8, "veth", 0), 4, 3)),
		newLinkMsg(false, 4, lk(3, "veth", 0)),
		// A namespace only the kernel announced: no name yet.
		newLinkMsg(false, 9, lk(2, "vxlan", 0)),
		delNSIDMsg(true, 0, 4),
	}, t0)
	host := func(e Event) Event { e.Netns, e.NSID = "host", NoNSID; return e }
	blue := func(e Event) Event { e.Netns, e.NSID = "blue", 4; return e }
	unnamed := func(e Event) Event { e.NSID = 9; return e }
	want := []Event{
		host(ev(EventCreated, ViaEvent, 8, "veth")),
		host(ev(EventMovedOut, ViaEvent, 8, "veth")),
		blue(ev(EventMovedIn, ViaEvent, 3, "veth")),
		unnamed(ev(EventCreated, ViaEvent, 2, "vxlan")),
		blue(ev(EventDeleted, ViaNetnsDeath, 3, "veth")),
	}
	if diff := gocmp.Diff(want, received(sub)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
