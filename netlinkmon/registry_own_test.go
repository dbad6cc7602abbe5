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

	"github.com/google/go-cmp/cmp"
)

// Once the exporter's namespace has an nsid for itself, kernels without
// "net: netlink: dont set nsid on local notifications" (stable, June 2026)
// send its events with that nsid, and its announcement looks like another
// namespace's. The registry files them under self once it knows the nsid.
func TestRegistryOwnNSID(t *testing.T) {
	const own = 5
	veth := func(i int32) link { return lk(i, "veth", 0) }
	tests := []struct {
		name string
		// before is applied before the registry learns the nsid; older
		// is set for kernels that tag self's events with it.
		before []message
		// reread is whether learning the nsid must reread self's links.
		reread bool
		// dump is self's links as the reread finds them.
		dump []link
	}{
		{
			name:   "older kernel: announced, then self's events tagged",
			before: []message{newNSIDMsg(true, 0, own), newLinkMsg(false, own, veth(7)), newLinkMsg(false, own, veth(8))},
			reread: true,
			dump:   []link{veth(7), veth(8)},
		},
		{
			name:   "older kernel: announcement lost in an overrun",
			before: []message{newLinkMsg(false, own, veth(7)), newLinkMsg(false, own, veth(8))},
			reread: true,
			dump:   []link{veth(7), veth(8)},
		},
		{
			name:   "fixed kernel: announced, self's events untagged",
			before: []message{newNSIDMsg(true, 0, own), hostNew(veth(7)), hostNew(veth(8))},
			reread: true,
			dump:   []link{veth(7), veth(8)},
		},
		{
			name:   "known at start",
			reread: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			applyAt(r, 0, tt.before)
			if reread := r.ownNSID(own, at(1)); reread != tt.reread {
				t.Errorf("ownNSID(%d) = %v, want %v", own, reread, tt.reread)
			}
			if _, ok := r.byNSID[own]; ok {
				t.Fatalf("nsid %d is still watched as another namespace", own)
			}
			if tt.reread {
				r.reconcile(r.self, linkDump{links: tt.dump}, at(1))
			}
			// Self's later events, tagged by an older kernel, and its own
			// nsid announced again.
			applyAt(r, 2, []message{newLinkMsg(false, own, veth(9)), delLinkMsg(false, own, veth(7)), newNSIDMsg(true, 0, own)})
			applyAt(r, 3, nil)
			if _, ok := r.byNSID[own]; ok {
				t.Errorf("nsid %d is watched as another namespace again", own)
			}
			want := KindCounters{Kind: "veth", Creations: 3, Deletions: 1}
			if len(tt.dump) == 0 {
				// Link 7 was never created where the registry saw it: its
				// deletion brings its creation.
				want.Creations = 2
			}
			s := r.counters(at(3))
			if diff := cmp.Diff([]KindCounters{want}, mustNS(t, s, "host").Kinds, noKindCreated); diff != "" {
				t.Errorf("host counters (-want +got):\n%s", diff)
			}
			if got := names(s); len(got) != 1 {
				t.Errorf("namespaces %v, want host alone", got)
			}
			// The kernel lists the nsid among the others: nothing to repair.
			if check := r.nsidTable([]int32{own}, at(4)); len(check) != 0 {
				t.Errorf("nsid table check %v, want none", check)
			}
			if missing, unnamed := r.syncNSIDs([]int32{own}, at(4), at(4)); len(missing) != 0 || unnamed {
				t.Errorf("resync: missing %v, unnamed %v; want neither", missing, unnamed)
			}
		})
	}
}

// The kernel gives out the lowest free nsid: the one the exporter's namespace
// gets for itself is often that of a namespace whose death is still to be
// announced. That one is counted dead, not forgotten.
func TestRegistryOwnNSIDOfADeadNamespace(t *testing.T) {
	r := newTestRegistry()
	applyAt(r, 0, []message{newNSIDMsg(true, 0, 3), newLinkMsg(false, 3, lk(2, "veth", 0))})
	foo := r.byNSID[3]
	r.identify(3, 100, "foo", SourceDir, t0)
	if !r.ownNSID(3, at(1)) {
		t.Errorf("ownNSID did not ask to reread the host's links")
	}
	if foo.alive {
		t.Fatalf("foo is alive at the exporter's own nsid")
	}
	// foo's late RTM_DELNSID kills nothing else.
	applyAt(r, 2, []message{delNSIDMsg(true, 0, 3)})
	s := r.counters(at(2))
	if diff := cmp.Diff([]KindCounters{{Kind: "veth", Creations: 1, Deletions: 1}}, mustNS(t, s, "foo").Kinds, noKindCreated); diff != "" {
		t.Errorf("foo's counters (-want +got):\n%s", diff)
	}
	if !mustNS(t, s, "host").Alive {
		t.Errorf("the host is dead")
	}
}

// A lookup of the nsid asked before the registry knew it as the exporter's
// own starts no namespace there.
func TestRegistryOwnNSIDConfirmed(t *testing.T) {
	r := newTestRegistry()
	r.ownNSID(5, t0)
	if unnamed := r.confirmed(5, nil, true, at(1)); unnamed {
		t.Errorf("confirmed asked for a scan")
	}
	if _, ok := r.byNSID[5]; ok {
		t.Errorf("nsid 5 is watched as another namespace")
	}
	if diff := cmp.Diff(repairs(0, 0, 0), r.counters(at(1)).Repairs); diff != "" {
		t.Errorf("repairs (-want +got):\n%s", diff)
	}
}
