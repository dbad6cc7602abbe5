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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func repairs(gone, unannounced, reused uint64) map[string]uint64 {
	return map[string]uint64{repairNSIDGone: gone, repairNSIDUnannounced: unannounced, repairNSIDReused: reused}
}

// Every reason is in the snapshot from the start, so that rate() works
// before the first repair.
func TestRegistryRepairsFromTheStart(t *testing.T) {
	if diff := cmp.Diff(repairs(0, 0, 0), newTestRegistry().counters(t0).Repairs); diff != "" {
		t.Errorf("repairs (-want +got):\n%s", diff)
	}
}

// The kernel gave foo's nsid to another namespace, and announced it, before
// it announced foo's death (or that announcement was lost): the second
// RTM_NEWNSID of an nsid is the new holder's.
func TestRegistryNSIDReused(t *testing.T) {
	tests := []struct {
		name string
		// late is foo's RTM_DELNSID, after the new holder's messages, or
		// nil if it was lost.
		late []message
	}{
		{"foo's death announced late", []message{delNSIDMsg(true, 0, 3)}},
		{"foo's death never announced", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			r.apply([]message{newNSIDMsg(true, 0, 3), newLinkMsg(false, 3, lk(2, "veth", 0))}, t0)
			foo := r.byNSID[3]
			r.identify(3, 100, "foo", SourceDir, t0)
			later := t0.Add(time.Second)
			unnamed := r.apply(append([]message{
				newNSIDMsg(true, 0, 3),
				newLinkMsg(false, 3, lk(2, "veth", 0)),
				newLinkMsg(false, 3, lk(3, "bridge", 0)),
			}, tt.late...), later)
			if !unnamed {
				t.Errorf("the new holder of nsid 3 did not ask for a scan")
			}
			if foo.alive || r.byNSID[3] == foo || r.byNSID[3] == nil {
				t.Fatalf("foo alive %v; nsid 3 held by foo %v: want foo dead and a new holder", foo.alive, r.byNSID[3] == foo)
			}
			s := r.counters(later)
			if diff := cmp.Diff([]KindCounters{{Kind: "veth", Creations: 1, Deletions: 1}}, mustNS(t, s, "foo").Kinds, noKindCreated); diff != "" {
				t.Errorf("foo counted the new holder's links (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(repairs(0, 0, 1), s.Repairs); diff != "" {
				t.Errorf("repairs (-want +got):\n%s", diff)
			}
			if tt.late == nil {
				// foo's RTM_DELNSID is expected until a drain after the
				// reuse says it was lost.
				r.nsidTable([]int32{3}, later.Add(time.Second))
			}
			// The new holder's own death.
			r.apply([]message{delNSIDMsg(true, 0, 3)}, later)
			u := mustNS(t, r.counters(later), Unidentified)
			want := []KindCounters{{Kind: "bridge", Creations: 1, Deletions: 1}, {Kind: "veth", Creations: 1, Deletions: 1}}
			if diff := cmp.Diff(want, u.Kinds, noKindCreated); diff != "" {
				t.Errorf("the new holder (-want +got):\n%s", diff)
			}
		})
	}
}

// The echo of the monitor's own assignment is the namespace's announcement,
// not a reuse; after it, the next one is.
func TestRegistryAssignedThenReused(t *testing.T) {
	r := newTestRegistry()
	foo := r.assigned(3, 100, "foo", SourceDir, t0)
	r.apply([]message{newNSIDMsg(true, 0, 3)}, t0)
	if !foo.alive || r.byNSID[3] != foo {
		t.Fatalf("the echo of the monitor's own assignment killed foo")
	}
	r.apply([]message{newNSIDMsg(true, 0, 3)}, t0)
	if foo.alive {
		t.Errorf("foo alive after its nsid was announced again")
	}
}

// The nsid table lists the nsids on which the registry and the kernel
// disagree, with the namespace the registry holds there.
func TestRegistryNSIDTable(t *testing.T) {
	r := newTestRegistry()
	foo := r.identify(3, 100, "foo", SourceDir, t0)
	r.identify(4, 200, "bar", SourceDir, t0)
	check := r.nsidTable([]int32{4, 5}, t0)
	if diff := cmp.Diff(map[int32]*namespace{3: foo, 5: nil}, check, cmp.Comparer(func(a, b *namespace) bool { return a == b })); diff != "" {
		t.Errorf("nsids to check (-want +got):\n%s", diff)
	}
	if !foo.alive {
		t.Errorf("foo died for missing from the list: the kernel lists by position and can skip one")
	}
}

// A drain after an expectation ends it: every RTM_DELNSID sent before has
// been read or lost. The RTM_NEWNSID of an nsid assigned before it too.
func TestRegistryDrained(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, "foo", SourceDir, t0)
	r.identify(3, 200, "bar", SourceDir, t0.Add(time.Second)) // foo is dead
	baz := r.assigned(4, 300, "baz", SourceDir, t0.Add(time.Second))
	r.nsidTable([]int32{3, 4}, t0.Add(2*time.Second))
	if len(r.staleDel) != 0 {
		t.Errorf("RTM_DELNSID still expected after a drain: %v", r.staleDel)
	}
	if !baz.assignedAt.IsZero() || !baz.announced {
		t.Errorf("baz: assignedAt %v, announced %v after a drain; want zero, true", baz.assignedAt, baz.announced)
	}
	// bar's own RTM_DELNSID.
	r.apply([]message{delNSIDMsg(true, 0, 3)}, t0.Add(2*time.Second))
	if mustNS(t, r.counters(t0), "bar").Alive {
		t.Errorf("bar survived its RTM_DELNSID")
	}
}

// What a lookup of each nsid on which the tables disagreed found.
func TestRegistryConfirmed(t *testing.T) {
	tests := []struct {
		name string
		// held is the namespace held at the nsid when the lookup was
		// asked: "foo", or "" for none.
		held   string
		exists bool
		// between are messages applied between the request and the
		// answer.
		between     []message
		wantAlive   bool
		wantUnnamed bool
		wantRepairs map[string]uint64
	}{
		{"foo's nsid gone", "foo", false, nil, false, false, repairs(1, 0, 0)},
		{"foo's nsid skipped by the list", "foo", true, nil, true, false, repairs(0, 0, 0)},
		{"foo's death announced meanwhile", "foo", false, []message{delNSIDMsg(true, 0, 3)}, false, false, repairs(0, 0, 0)},
		{"an nsid never announced", "", true, nil, false, true, repairs(0, 1, 0)},
		{"an nsid announced meanwhile", "", true, []message{newNSIDMsg(true, 0, 3)}, false, false, repairs(0, 0, 0)},
		{"the nsid of a namespace being destroyed", "", false, nil, false, false, repairs(0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			var held *namespace
			if tt.held != "" {
				held = r.identify(3, 100, tt.held, SourceDir, t0)
			}
			r.apply(tt.between, t0)
			unnamed := r.confirmed(3, held, tt.exists, t0)
			if held != nil && held.alive != tt.wantAlive {
				t.Errorf("foo alive %v, want %v", held.alive, tt.wantAlive)
			}
			if unnamed != tt.wantUnnamed {
				t.Errorf("asked for a scan: %v, want %v", unnamed, tt.wantUnnamed)
			}
			if tt.wantUnnamed && r.byNSID[3] == nil {
				t.Errorf("nsid 3 not watched")
			}
			if diff := cmp.Diff(tt.wantRepairs, r.counters(t0).Repairs); diff != "" {
				t.Errorf("repairs (-want +got):\n%s", diff)
			}
		})
	}
	// The RTM_DELNSID of a namespace found dead is expected, and does not
	// kill the next holder.
	r := newTestRegistry()
	foo := r.identify(3, 100, "foo", SourceDir, t0)
	r.confirmed(3, foo, false, t0)
	r.apply([]message{newNSIDMsg(true, 0, 3), delNSIDMsg(true, 0, 3)}, t0)
	if r.byNSID[3] == nil {
		t.Errorf("foo's late RTM_DELNSID killed the next holder of nsid 3")
	}
}

// Two namespaces counted dead at one nsid before either announcement: both
// RTM_DELNSID messages are expected.
func TestRegistryStaleDelsAddUp(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, "foo", SourceDir, t0)
	r.identify(3, 200, "bar", SourceDir, t0) // foo dead
	r.identify(3, 300, "baz", SourceDir, t0) // bar dead
	r.apply([]message{delNSIDMsg(true, 0, 3), delNSIDMsg(true, 0, 3)}, t0)
	if !mustNS(t, r.counters(t0), "baz").Alive {
		t.Fatalf("the late RTM_DELNSID of foo or bar killed baz")
	}
	r.apply([]message{delNSIDMsg(true, 0, 3)}, t0)
	if mustNS(t, r.counters(t0), "baz").Alive {
		t.Errorf("baz survived its own RTM_DELNSID")
	}
}

// A namespace counted dead because a lookup or a dump of its nsid failed is
// being destroyed: the kernel lists its nsid until it is done, and announces
// its death only then, seconds later maybe. Its nsid is no new namespace,
// and its RTM_DELNSID stays expected until the kernel no longer lists it.
func TestRegistryDestroying(t *testing.T) {
	r := newTestRegistry()
	foo := r.identify(3, 100, "foo", SourceDir, t0)
	r.vanished(foo, t0)
	later := t0.Add(time.Second)
	if check := r.nsidTable([]int32{3}, later); len(check) != 0 {
		t.Errorf("nsids to check %v, want none: nsid 3 is foo's, being destroyed", check)
	}
	if missing, unnamed := r.syncNSIDs([]int32{3}, later, later); len(missing) != 0 || unnamed || r.byNSID[3] != nil {
		t.Errorf("a resync made a new namespace of nsid 3, being destroyed")
	}
	if _, ok := r.staleDel[3]; !ok {
		t.Fatalf("foo's RTM_DELNSID no longer expected while the kernel lists its nsid")
	}
	// The kernel is done: it freed the nsid, and may give it out again
	// before the announcement.
	r.apply([]message{newNSIDMsg(true, 0, 3), delNSIDMsg(true, 0, 3)}, later)
	if r.byNSID[3] == nil {
		t.Errorf("foo's late RTM_DELNSID killed the next holder of nsid 3")
	}
	// Once the kernel no longer lists a destroyed namespace's nsid, its
	// announcement was read or lost.
	bar := r.byNSID[3]
	r.vanished(bar, later)
	r.nsidTable(nil, later.Add(time.Second))
	if _, ok := r.staleDel[3]; ok {
		t.Errorf("an RTM_DELNSID still expected for an nsid the kernel no longer lists")
	}
}
