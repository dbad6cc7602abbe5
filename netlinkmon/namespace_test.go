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
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// Bits of the flags the tests use, as KindCounters index them.
const (
	bitUp      = 0
	bitRunning = 6
	bitPromisc = 8
	bitLowerUp = 16
)

// lk is a link as an event or a dump reports it.
func lk(index int32, kind string, flags uint32) link {
	return link{index: index, kind: kind, flags: flags, change: changeAll, name: "if" + kind, oper: 6}
}

func withChange(l link, change uint32) link { l.change = change; return l }

func withCarrier(l link, up, down uint32) link {
	l.hasCarrier, l.carrierUp, l.carrierDown = true, up, down
	return l
}

func movedTo(l link, nsid, ifindex int32) link {
	l.moved, l.newNSID, l.newIfindex = true, nsid, ifindex
	return l
}

// flagCounts builds a FlagsSet or FlagsCleared array from bit → count.
func flagCounts(m map[int]uint64) (a [NumFlags]uint64) {
	for b, n := range m {
		a[b] = n
	}
	return a
}

// counters returns the non-zero counters of ns by kind, without the time
// they began, which TestCreated checks.
func counters(ns *namespace) map[string]KindCounters {
	out := make(map[string]KindCounters)
	for k, c := range ns.counters {
		v := *c
		v.Created = time.Time{}
		if v != (KindCounters{Kind: k}) {
			out[k] = v
		}
	}
	return out
}

// present returns the flags of each link ns holds, by ifindex.
func present(ns *namespace) map[int32]uint32 {
	out := make(map[int32]uint32)
	for idx, st := range ns.links {
		out[idx] = st.flags
	}
	return out
}

type nsOp func(ns *namespace)

func newL(l link) nsOp   { return func(ns *namespace) { ns.newLink(&l, false, t0) } }
func moveIn(l link) nsOp { return func(ns *namespace) { ns.newLink(&l, true, t0) } }
func delL(l link) nsOp   { return func(ns *namespace) { ns.delLink(&l, t0) } }
func baseline(ls ...link) nsOp {
	return func(ns *namespace) { ns.reconcile(linkDump{links: ls}, false, t0, 1) }
}

// dumpOf is a counted dump applied in batch, as the first dump of a
// namespace found after the start is.
func dumpOf(batch uint64, ls ...link) nsOp {
	return func(ns *namespace) { ns.reconcile(linkDump{links: ls}, true, t0, batch) }
}
func resyncDump(ls ...link) nsOp {
	return func(ns *namespace) { ns.reconcile(linkDump{links: ls}, true, t0, 1) }
}

func TestNamespaceCounting(t *testing.T) {
	const (
		up      = iffUp | iffBroadcast | iffMulticast
		running = up | iffRunning | iffLowerUp
		down    = iffBroadcast | iffMulticast
	)
	tests := []struct {
		name      string
		ops       []nsOp
		want      map[string]KindCounters
		wantLinks map[int32]uint32
		wantGone  []int32
	}{
		{
			name:      "creation counted once",
			ops:       []nsOp{newL(lk(5, "veth", down)), newL(withChange(lk(5, "veth", down), 0))},
			want:      map[string]KindCounters{"veth": {Kind: "veth", Creations: 1}},
			wantLinks: map[int32]uint32{5: down},
		},
		{
			name: "up then down counts each bit",
			ops: []nsOp{
				baseline(lk(5, "veth", running)),
				newL(withChange(lk(5, "veth", down), iffUp)),
				newL(withChange(lk(5, "veth", up), iffUp)),
			},
			want: map[string]KindCounters{"veth": {
				Kind:         "veth",
				FlagsSet:     flagCounts(map[int]uint64{bitUp: 1}),
				FlagsCleared: flagCounts(map[int]uint64{bitUp: 1, bitRunning: 1, bitLowerUp: 1}),
			}},
			wantLinks: map[int32]uint32{5: up},
		},
		{
			// The kernel reports carrier changes with ifi_change = 0.
			name: "carrier change with change zero",
			ops: []nsOp{
				baseline(lk(5, "veth", running)),
				newL(withChange(lk(5, "veth", up), 0)),
				newL(withChange(lk(5, "veth", running), 0)),
				newL(withChange(lk(5, "veth", running|iffPromisc), iffPromisc)),
			},
			want: map[string]KindCounters{"veth": {
				Kind:         "veth",
				FlagsSet:     flagCounts(map[int]uint64{bitRunning: 1, bitLowerUp: 1, bitPromisc: 1}),
				FlagsCleared: flagCounts(map[int]uint64{bitRunning: 1, bitLowerUp: 1}),
			}},
			wantLinks: map[int32]uint32{5: running | iffPromisc},
		},
		{
			name: "ifi_change is not trusted",
			ops: []nsOp{
				baseline(lk(5, "veth", down)),
				// ifi_change claims UP changed, but it did not.
				newL(withChange(lk(5, "veth", down), iffUp)),
			},
			want:      map[string]KindCounters{},
			wantLinks: map[int32]uint32{5: down},
		},
		{
			name: "bits beyond the known flags are ignored",
			ops: []nsOp{
				baseline(lk(5, "veth", down)),
				newL(lk(5, "veth", down|1<<25)),
			},
			want:      map[string]KindCounters{},
			wantLinks: map[int32]uint32{5: down | 1<<25},
		},
		{
			name:      "move in is not a creation",
			ops:       []nsOp{moveIn(lk(9, "veth", down))},
			want:      map[string]KindCounters{"veth": {Kind: "veth", MovesIn: 1}},
			wantLinks: map[int32]uint32{9: down},
		},
		{
			name: "move out is not a deletion",
			ops: []nsOp{
				baseline(lk(5, "veth", down)),
				delL(movedTo(lk(5, "veth", down), 3, 9)),
			},
			want:      map[string]KindCounters{"veth": {Kind: "veth", MovesOut: 1}},
			wantLinks: map[int32]uint32{},
		},
		{
			name:      "deletion of a known link",
			ops:       []nsOp{baseline(lk(5, "veth", down), lk(1, "device", up)), delL(lk(5, "veth", down))},
			want:      map[string]KindCounters{"veth": {Kind: "veth", Deletions: 1}},
			wantLinks: map[int32]uint32{1: up},
		},
		{
			name:      "deletion of an unknown link",
			ops:       []nsOp{delL(lk(5, "veth", down))},
			want:      map[string]KindCounters{"veth": {Kind: "veth", Creations: 1, Deletions: 1}},
			wantLinks: map[int32]uint32{},
		},
		{
			name: "carrier counters",
			ops: []nsOp{
				// A new veth starts with a down count of one that no
				// transition caused: the first sight is a baseline.
				newL(withCarrier(lk(5, "veth", down), 0, 1)),
				newL(withCarrier(lk(5, "veth", running), 1, 1)),
				newL(withCarrier(lk(5, "veth", up), 3, 4)),
				// Without counters the last ones stay.
				newL(lk(5, "veth", up)),
				newL(withCarrier(lk(5, "veth", up), 3, 5)),
			},
			want: map[string]KindCounters{"veth": {
				Kind: "veth", Creations: 1, CarrierUp: 3, CarrierDown: 4,
				FlagsSet:     flagCounts(map[int]uint64{bitUp: 1, bitRunning: 1, bitLowerUp: 1}),
				FlagsCleared: flagCounts(map[int]uint64{bitRunning: 1, bitLowerUp: 1}),
			}},
			wantLinks: map[int32]uint32{5: up},
		},
		{
			name: "carrier baseline from a dump",
			ops: []nsOp{
				baseline(withCarrier(lk(5, "veth", up), 10, 11)),
				newL(withCarrier(lk(5, "veth", up), 12, 11)),
			},
			want:      map[string]KindCounters{"veth": {Kind: "veth", CarrierUp: 2}},
			wantLinks: map[int32]uint32{5: up},
		},
		{
			// The first dump of a new namespace ran after the link was
			// created and flapped, but before its registration was read:
			// the flaps happened here and count, once.
			name: "carrier transitions between a registration and an earlier-read dump",
			ops: []nsOp{
				dumpOf(2, withCarrier(lk(5, "veth", running), 2, 2)),
				newL(withCarrier(lk(5, "veth", down), 0, 1)),
				newL(withChange(withCarrier(lk(5, "veth", running), 1, 1), 0)),
				newL(withChange(withCarrier(lk(5, "veth", up), 1, 2), 0)),
				newL(withChange(withCarrier(lk(5, "veth", running), 2, 2), 0)),
				newL(withChange(withCarrier(lk(5, "veth", up), 2, 3), 0)),
			},
			want: map[string]KindCounters{"veth": {
				Kind: "veth", Creations: 1, CarrierUp: 2, CarrierDown: 2,
				// The registration set the flags it had; later events
				// are diffed from there, in order.
				FlagsSet:     flagCounts(map[int]uint64{bitUp: 1, bitRunning: 2, bitLowerUp: 2}),
				FlagsCleared: flagCounts(map[int]uint64{bitRunning: 2, bitLowerUp: 2}),
			}},
			wantLinks: map[int32]uint32{5: up},
		},
		{
			name: "decreasing carrier counter is not counted",
			ops: []nsOp{
				baseline(withCarrier(lk(5, "veth", up), 10, 10)),
				// A lower value is an event older than the baseline: it
				// neither counts nor lowers the baseline.
				newL(withCarrier(lk(5, "veth", up), 2, 11)),
				newL(withCarrier(lk(5, "veth", up), 3, 11)),
				newL(withCarrier(lk(5, "veth", up), 11, 11)),
			},
			want:      map[string]KindCounters{"veth": {Kind: "veth", CarrierUp: 1, CarrierDown: 1}},
			wantLinks: map[int32]uint32{5: up},
		},
		{
			name: "carrier counted on deletion",
			ops: []nsOp{
				baseline(withCarrier(lk(5, "veth", up), 1, 1)),
				delL(withCarrier(lk(5, "veth", down), 1, 2)),
			},
			want:      map[string]KindCounters{"veth": {Kind: "veth", Deletions: 1, CarrierDown: 1}},
			wantLinks: map[int32]uint32{},
		},
		{
			name:      "baseline counts nothing",
			ops:       []nsOp{baseline(lk(1, "device", up), withCarrier(lk(5, "veth", running), 3, 4), lk(6, "veth", down))},
			want:      map[string]KindCounters{},
			wantLinks: map[int32]uint32{1: up, 5: running, 6: down},
		},
		{
			name: "resync counts differences",
			ops: []nsOp{
				baseline(lk(1, "device", up), lk(5, "veth", running), lk(6, "veth", down)),
				resyncDump(lk(1, "device", up), lk(5, "veth", up), lk(7, "bridge", down)),
			},
			want: map[string]KindCounters{
				"veth":   {Kind: "veth", Deletions: 1, FlagsCleared: flagCounts(map[int]uint64{bitRunning: 1, bitLowerUp: 1})},
				"bridge": {Kind: "bridge", Creations: 1},
			},
			wantLinks: map[int32]uint32{1: up, 5: up, 7: down},
			wantGone:  []int32{6},
		},
		{
			// Its RTM_DELLINK was in flight when the dump ran.
			name: "deletion found by a resync is not counted again",
			ops: []nsOp{
				baseline(lk(5, "veth", down), lk(6, "veth", down)),
				resyncDump(lk(5, "veth", down)),
				delL(lk(6, "veth", down)),
			},
			want:      map[string]KindCounters{"veth": {Kind: "veth", Deletions: 1}},
			wantLinks: map[int32]uint32{5: down},
		},
		{
			// A link that was up is closed before it is unregistered: the
			// kernel sends NEWLINK with ifi_change 0x41, then DELLINK.
			// When both were still in flight while the resync's dump ran,
			// the dump already counted the deletion.
			name: "in-flight close and deletion after a resync",
			ops: []nsOp{
				baseline(lk(5, "veth", down), lk(6, "veth", up|iffRunning)),
				resyncDump(lk(5, "veth", down)),
				newL(withChange(lk(6, "veth", down), iffUp|iffRunning)),
				delL(lk(6, "veth", down)),
			},
			want:      map[string]KindCounters{"veth": {Kind: "veth", Deletions: 1}},
			wantLinks: map[int32]uint32{5: down},
		},
		{
			// A carrier change still in flight when the resync's dump
			// found the link gone.
			name: "in-flight carrier change of a link a resync found gone",
			ops: []nsOp{
				baseline(lk(5, "veth", down), lk(6, "veth", running)),
				resyncDump(lk(5, "veth", down)),
				newL(withChange(lk(6, "veth", up), 0)),
			},
			want:      map[string]KindCounters{"veth": {Kind: "veth", Deletions: 1}},
			wantLinks: map[int32]uint32{5: down},
			wantGone:  []int32{6},
		},
		{
			// ifindex reuse of a tombstoned index by a real registration.
			name: "registration at a tombstoned ifindex is a creation",
			ops: []nsOp{
				baseline(lk(6, "veth", down)),
				resyncDump(),
				newL(lk(6, "bridge", down)),
			},
			want: map[string]KindCounters{
				"veth":   {Kind: "veth", Deletions: 1},
				"bridge": {Kind: "bridge", Creations: 1},
			},
			wantLinks: map[int32]uint32{6: down},
		},
		{
			name: "a dump finds a link before its move-in is read",
			ops: []nsOp{
				baseline(lk(1, "device", up)),
				resyncDump(lk(1, "device", up), lk(7, "veth", down)),
				moveIn(lk(7, "veth", down)),
			},
			want:      map[string]KindCounters{"veth": {Kind: "veth", MovesIn: 1}},
			wantLinks: map[int32]uint32{1: up, 7: down},
		},
		{
			name: "a dump finds a link before its registration is read",
			ops: []nsOp{
				resyncDump(lk(7, "veth", down)),
				newL(withChange(lk(7, "veth", up), 0)),
				newL(lk(7, "veth", up)),
			},
			want:      map[string]KindCounters{"veth": {Kind: "veth", Creations: 1}},
			wantLinks: map[int32]uint32{7: up},
		},
		{
			name: "a dump finds a link gone before its move-out is read",
			ops: []nsOp{
				baseline(lk(6, "veth", down)),
				resyncDump(),
				delL(movedTo(lk(6, "veth", down), 2, 9)),
			},
			want:      map[string]KindCounters{"veth": {Kind: "veth", MovesOut: 1}},
			wantLinks: map[int32]uint32{},
		},
		{
			name: "a link found by one dump and gone by the next",
			ops: []nsOp{
				resyncDump(lk(7, "veth", down)),
				resyncDump(),
			},
			want:      map[string]KindCounters{"veth": {Kind: "veth", Creations: 1, Deletions: 1}},
			wantLinks: map[int32]uint32{},
			wantGone:  []int32{7},
		},
		{
			name: "resync then events apply on the new state",
			ops: []nsOp{
				baseline(lk(5, "veth", down)),
				resyncDump(lk(5, "veth", up)),
				newL(withChange(lk(5, "veth", up), 0)),
				newL(withChange(lk(5, "veth", down), iffUp)),
			},
			want: map[string]KindCounters{"veth": {
				Kind: "veth", FlagsSet: flagCounts(map[int]uint64{bitUp: 1}), FlagsCleared: flagCounts(map[int]uint64{bitUp: 1}),
			}},
			wantLinks: map[int32]uint32{5: down},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newNamespace(3)
			for _, op := range tt.ops {
				op(ns)
			}
			// Count what the dumps left pending, as the next batch would.
			ns.settle(math.MaxUint64)
			if diff := cmp.Diff(tt.want, counters(ns)); diff != "" {
				t.Errorf("counters (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLinks, present(ns)); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
			var gone []int32
			for idx := range ns.gone {
				gone = append(gone, idx)
			}
			if diff := cmp.Diff(tt.wantGone, gone, cmpopts.SortSlices(func(a, b int32) bool { return a < b }), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("tombstones (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNamespaceUpdateKeepsLinkState(t *testing.T) {
	ns := newNamespace(3)
	l := lk(5, "veth", iffUp)
	l.name, l.oper = "eth0", 2
	ns.newLink(&l, false, t0.Add(time.Second))
	l.name, l.oper = "eth1", 6
	ns.newLink(&l, false, t0.Add(2*time.Second))
	want := linkState{name: "eth1", kind: "veth", flags: iffUp, oper: 6}
	if diff := cmp.Diff(want, *ns.links[5], cmp.AllowUnexported(linkState{})); diff != "" {
		t.Errorf("link state (-want +got):\n%s", diff)
	}
	if !ns.lastEvent.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("lastEvent = %v, want %v", ns.lastEvent, t0.Add(2*time.Second))
	}
}

func TestNamespaceLastEvent(t *testing.T) {
	ns := newNamespace(3)
	ns.reconcile(linkDump{links: []link{lk(5, "veth", 0)}}, false, t0.Add(time.Second), 1)
	if !ns.lastEvent.IsZero() {
		t.Errorf("baseline set lastEvent to %v", ns.lastEvent)
	}
	ns.reconcile(linkDump{links: []link{lk(5, "veth", 0)}}, true, t0.Add(2*time.Second), 2)
	if !ns.lastEvent.IsZero() {
		t.Errorf("resync without differences set lastEvent to %v", ns.lastEvent)
	}
	ns.reconcile(linkDump{}, true, t0.Add(3*time.Second), 3)
	if !ns.lastEvent.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("lastEvent = %v after a resync found a deletion, want %v", ns.lastEvent, t0.Add(3*time.Second))
	}
	l := lk(6, "veth", 0)
	ns.delLink(&l, t0.Add(4*time.Second))
	if !ns.lastEvent.Equal(t0.Add(4 * time.Second)) {
		t.Errorf("lastEvent = %v after a deletion, want %v", ns.lastEvent, t0.Add(4*time.Second))
	}
}

func TestNamespaceReconcileSeeds(t *testing.T) {
	ns := newNamespace(3)
	ns.seedAt = t0
	ns.reconcile(linkDump{}, true, t0, 1)
	if !ns.seeded || !ns.seedAt.IsZero() {
		t.Errorf("after a dump: seeded = %v, seedAt = %v; want true, zero", ns.seeded, ns.seedAt)
	}
}

func TestNamespaceDie(t *testing.T) {
	ns := newNamespace(3)
	ns.reconcile(linkDump{links: []link{lk(1, "device", iffUp), lk(5, "veth", 0), lk(6, "veth", iffUp)}}, false, t0, 1)
	ns.counters["veth"].Creations = 4
	ns.gone[9] = tombstone{at: t0, kind: "veth"}
	ns.seedAt = t0
	died := t0.Add(time.Minute)
	ns.die(died)

	want := map[string]KindCounters{
		"device": {Kind: "device", Deletions: 1},
		"veth":   {Kind: "veth", Creations: 4, Deletions: 2},
	}
	if diff := cmp.Diff(want, counters(ns)); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
	if len(ns.links) != 0 || len(ns.gone) != 0 {
		t.Errorf("after death: %d links, %d tombstones; want none", len(ns.links), len(ns.gone))
	}
	if ns.alive || !ns.died.Equal(died) || !ns.seedAt.IsZero() {
		t.Errorf("after death: alive = %v, died = %v, seedAt = %v", ns.alive, ns.died, ns.seedAt)
	}
	// Tombstones of a dead namespace expire without trouble.
	ns.expireTombstones(died.Add(time.Hour))
}

func TestNamespaceExpireTombstones(t *testing.T) {
	ns := newNamespace(3)
	ns.reconcile(linkDump{links: []link{lk(5, "veth", 0), lk(6, "veth", 0)}}, false, t0, 1)
	ns.reconcile(linkDump{links: []link{lk(6, "veth", 0)}}, true, t0, 2)
	ns.reconcile(linkDump{}, true, t0.Add(time.Second), 3)
	// Pending deletions are never forgotten before they are counted.
	ns.expireTombstones(t0.Add(time.Hour))
	if len(ns.gone) != 2 {
		t.Fatalf("%d tombstones before they were counted, want 2", len(ns.gone))
	}
	ns.settle(4)

	ns.expireTombstones(t0.Add(tombstoneTTL))
	if len(ns.gone) != 2 {
		t.Fatalf("%d tombstones at the TTL, want 2", len(ns.gone))
	}
	ns.expireTombstones(t0.Add(tombstoneTTL + time.Nanosecond))
	if _, ok := ns.gone[5]; ok || len(ns.gone) != 1 {
		t.Fatalf("tombstones %v just after the first one's TTL, want only 6", ns.gone)
	}
	// Once expired, a late RTM_DELLINK counts: the monitor cannot tell it
	// from the deletion of a link it never saw.
	l := lk(5, "veth", 0)
	ns.delLink(&l, t0.Add(time.Minute))
	if c := ns.counters["veth"]; c.Deletions != 3 || c.Creations != 1 {
		t.Errorf("creations %d, deletions %d; want 1, 3", c.Creations, c.Deletions)
	}
}

func TestCountFlags(t *testing.T) {
	ns := newNamespace(3)
	ns.countFlags("veth", 0, 1<<NumFlags-1)
	ns.countFlags("veth", 1<<NumFlags-1, 0)
	ns.countFlags("veth", 0xffffffff, 0xffffffff)
	c := ns.counters["veth"]
	for b := range NumFlags {
		if c.FlagsSet[b] != 1 || c.FlagsCleared[b] != 1 {
			t.Errorf("flag %s: set %d, cleared %d; want 1, 1", FlagName(b), c.FlagsSet[b], c.FlagsCleared[b])
		}
	}
	ns.countFlags("bridge", 0x5, 0x5)
	if _, ok := ns.counters["bridge"]; ok {
		t.Errorf("equal flags created counters for bridge")
	}
}
