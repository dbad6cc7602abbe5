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

// hostVeth is the registration of a veth in the exporter's namespace whose
// peer has ifindex peer in the namespace with nsid.
func hostVeth(index, nsid, peer int32) message {
	l := lk(index, "veth", 0)
	l.hasLinkNSID, l.linkNSID, l.peer = true, nsid, peer
	return newLinkMsg(true, 0, l)
}

// Namespaces that die before any scan names them add up under Unidentified,
// link counters only, kept for the retention after the last of them.
func TestRegistryUnidentified(t *testing.T) {
	r := newTestRegistry()
	r.identify(5, 500, "named", SourceDir, t0)
	r.apply([]message{
		newNSIDMsg(true, 0, 3),
		newLinkMsg(false, 3, lk(2, "veth", iffUp)),
		newLinkMsg(false, 3, withChange(lk(2, "veth", 0), iffUp)),
		newNSIDMsg(true, 0, 4),
		newLinkMsg(false, 4, lk(2, "veth", 0)),
		newLinkMsg(false, 4, lk(3, "bridge", 0)),
		delNSIDMsg(true, 0, 3),
	}, t0)
	died := t0.Add(time.Second)
	r.apply([]message{delNSIDMsg(true, 0, 4), delNSIDMsg(true, 0, 5)}, died)

	s := r.counters(died)
	if got := names(s); !cmp.Equal(got, []string{"host", "named", Unidentified}) {
		t.Fatalf("namespaces %v, want host, named, unidentified", got)
	}
	cleared := KindCounters{Kind: "veth", Creations: 2, Deletions: 2}
	cleared.FlagsCleared[0] = 1
	want := Namespace{Name: Unidentified, NSID: NoNSID, Kinds: []KindCounters{
		{Kind: "bridge", Creations: 1, Deletions: 1}, cleared,
	}}
	if diff := cmp.Diff(want, mustNS(t, s, Unidentified), noKindCreated); diff != "" {
		t.Errorf("unidentified (-want +got):\n%s", diff)
	}
	// Its series begin when a death first brings a kind, not when the dead
	// namespaces' counters did.
	for kind, want := range map[string]time.Time{"veth": t0, "bridge": died} {
		if got := kindCreated(mustNS(t, s, Unidentified), kind); !got.Equal(want) {
			t.Errorf("unidentified %s created %v, want %v", kind, got, want)
		}
	}
	if s.Removals != 1 {
		t.Errorf("removals %d, want 1: only the named namespace was watched under a name", s.Removals)
	}

	// Kept for the retention after the last death that counted something.
	if _, ok := nsByName(r.counters(died.Add(time.Minute-time.Nanosecond)), Unidentified); !ok {
		t.Errorf("unidentified left out before the retention after the last death")
	}
	if _, ok := nsByName(r.counters(died.Add(time.Minute)), Unidentified); ok {
		t.Errorf("unidentified still there a retention after the last death")
	}
	// Once pruned, it starts afresh.
	r.prune(died.Add(time.Minute))
	r.apply([]message{newNSIDMsg(true, 0, 6), newLinkMsg(false, 6, lk(2, "veth", 0)), delNSIDMsg(true, 0, 6)}, died.Add(time.Minute))
	u := mustNS(t, r.counters(died.Add(time.Minute)), Unidentified)
	if diff := cmp.Diff([]KindCounters{{Kind: "veth", Creations: 1, Deletions: 1}}, u.Kinds, noKindCreated); diff != "" {
		t.Errorf("unidentified after the retention (-want +got):\n%s", diff)
	}
	if got, want := kindCreated(u, "veth"), died.Add(time.Minute); !got.Equal(want) {
		t.Errorf("unidentified veth created %v after the retention, want %v", got, want)
	}
}

// A namespace that counted nothing leaves no unidentified series behind.
func TestRegistryUnidentifiedNothingCounted(t *testing.T) {
	r := newTestRegistry()
	r.apply([]message{newNSIDMsg(true, 0, 3), delNSIDMsg(true, 0, 3)}, t0)
	if got := names(r.counters(t0)); !cmp.Equal(got, []string{"host"}) {
		t.Errorf("namespaces %v, want host only", got)
	}
}

// No namespace takes the name of those that died unnamed.
func TestRegistryUnidentifiedIsReserved(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, Unidentified, SourceDir, t0)
	if got := names(r.counters(t0)); !cmp.Equal(got, []string{"host", "ino-100"}) {
		t.Errorf("namespaces %v, want the directory called unidentified named ino-100", got)
	}
}

// A namespace that a scan found, and that dies while it waits for a name
// that a living namespace holds, was identified: it takes a name and counts
// as a removal, and its counters stay under it.
func TestRegistryWaitingNamespaceDiesNamed(t *testing.T) {
	tests := []struct {
		name string
		// oldDies kills the old holder of the name first.
		oldDies  bool
		wantName string
	}{
		{"the name still held", false, "ino-200"},
		{"the name freed", true, "foo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			r.identify(3, 100, "foo", SourceDir, t0)
			r.identify(4, 200, "foo", SourceDir, t0)
			msgs := []message{newLinkMsg(false, 4, lk(2, "veth", 0))}
			if tt.oldDies {
				// Its RTM_DELNSID comes in the same batch as the new
				// one's, before the prune that would name the new one.
				msgs = append(msgs, delNSIDMsg(true, 0, 3))
			}
			r.apply(append(msgs, delNSIDMsg(true, 0, 4)), t0)
			s := r.counters(t0)
			got, ok := nsByName(s, tt.wantName)
			if !ok || got.Inode != 200 || got.Alive {
				t.Fatalf("namespaces %v: want the dead namespace of inode 200 named %s", names(s), tt.wantName)
			}
			if diff := cmp.Diff([]KindCounters{{Kind: "veth", Creations: 1, Deletions: 1}}, got.Kinds, noKindCreated); diff != "" {
				t.Errorf("%s counters (-want +got):\n%s", tt.wantName, diff)
			}
			if _, ok := nsByName(s, Unidentified); ok {
				t.Errorf("an identified namespace's counters went to unidentified")
			}
			wantRemovals := uint64(1)
			if tt.oldDies {
				wantRemovals = 2
			}
			if s.Removals != wantRemovals || s.Discoveries != 3 {
				t.Errorf("removals %d, discoveries %d; want %d, 3", s.Removals, s.Discoveries, wantRemovals)
			}
			if _, ok := r.byInode[200]; ok {
				t.Errorf("the dead namespace still holds inode 200")
			}
		})
	}
}

// The kernel does not announce the registration of a veth's peer in a
// namespace that has no nsid yet; the registration of the host end, which
// gives it one, names it. The peer is counted once, whether a dump, a
// message or the namespace's death shows it first.
func TestRegistryVethPeer(t *testing.T) {
	peer := KindCounters{Kind: "veth", Creations: 1, Deletions: 1}
	tests := []struct {
		name string
		// batches follow the RTM_NEWNSID of nsid 3 and the host end's
		// registration; dump, if set, is the first dump of nsid 3, made
		// after the first of them.
		batches [][]message
		dump    []link
		want    []KindCounters
	}{
		{
			name:    "dies before its first dump",
			batches: [][]message{{delNSIDMsg(true, 0, 3)}},
			want:    []KindCounters{peer},
		},
		{
			name:    "a dump finds it",
			batches: [][]message{{}, {}, {delNSIDMsg(true, 0, 3)}},
			dump:    []link{lk(1, "device", 0), lk(2, "veth", 0)},
			want:    []KindCounters{{Kind: "device", Creations: 1, Deletions: 1}, peer},
		},
		{
			name:    "a dump finds it gone",
			batches: [][]message{{}, {}, {delNSIDMsg(true, 0, 3)}},
			dump:    []link{lk(1, "device", 0)},
			want:    []KindCounters{{Kind: "device", Creations: 1, Deletions: 1}},
		},
		{
			name: "a message shows it",
			batches: [][]message{
				{newLinkMsg(false, 3, withChange(lk(2, "veth", iffUp), iffUp))},
				{delNSIDMsg(true, 0, 3)},
			},
			want: []KindCounters{peer},
		},
		{
			name:    "deleted before its first dump",
			batches: [][]message{{delLinkMsg(false, 3, lk(2, "veth", 0))}, {delNSIDMsg(true, 0, 3)}},
			want:    []KindCounters{peer},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			r.apply([]message{newNSIDMsg(true, 0, 3), hostVeth(9, 3, 2)}, t0)
			for i, b := range tt.batches {
				r.nextBatch()
				r.apply(b, t0)
				r.settle()
				if i == 0 && tt.dump != nil {
					r.reconcile(r.byNSID[3], linkDump{links: tt.dump}, t0)
				}
			}
			u, _ := nsByName(r.counters(t0), Unidentified)
			if diff := cmp.Diff(tt.want, u.Kinds, noKindCreated); diff != "" {
				t.Errorf("counters of nsid 3 (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]KindCounters{{Kind: "veth", Creations: 1}}, mustNS(t, r.counters(t0), "host").Kinds, noKindCreated); diff != "" {
				t.Errorf("host counters (-want +got):\n%s", diff)
			}
		})
	}
}

// Only the registration of a veth names a peer that the kernel did not
// announce, and only in a namespace not read yet.
func TestRegistryVethPeerNotInferred(t *testing.T) {
	otherKind := hostVeth(9, 3, 2)
	otherKind.link.kind = "macvlan"
	change := hostVeth(9, 3, 2)
	change.link.change = iffUp
	tests := []struct {
		name string
		msgs []message
		// seeded reads nsid 3 before the messages.
		seeded bool
	}{
		{"a macvlan's lower device", []message{otherKind}, false},
		{"a change of the host end", []message{change}, false},
		{"a namespace already read", []message{hostVeth(9, 3, 2)}, true},
		{"a veth moved in", []message{delLinkMsg(false, 4, movedTo(lk(8, "veth", 0), 0, 9)), hostVeth(9, 3, 2)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			r.apply([]message{newNSIDMsg(true, 0, 3), newNSIDMsg(true, 0, 4)}, t0)
			if tt.seeded {
				r.reconcile(r.byNSID[3], linkDump{links: []link{lk(1, "device", 0)}}, t0)
				r.nextBatch()
				r.settle()
			}
			r.apply(tt.msgs, t0)
			r.apply([]message{delNSIDMsg(true, 0, 3)}, t0)
			u, _ := nsByName(r.counters(t0), Unidentified)
			for _, k := range u.Kinds {
				if k.Kind == "veth" || k.Kind == "macvlan" {
					t.Errorf("nsid 3 counted a %s it was not shown: %+v", k.Kind, k)
				}
			}
		})
	}
}

func kindCreated(ns Namespace, kind string) time.Time {
	for _, k := range ns.Kinds {
		if k.Kind == kind {
			return k.Created
		}
	}
	return time.Time{}
}
