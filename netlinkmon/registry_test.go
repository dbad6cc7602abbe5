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
	"github.com/google/go-cmp/cmp/cmpopts"
)

const hostIno = 4026531840

func newTestRegistry() *registry {
	r := newRegistry(hostIno, time.Minute)
	r.startCounting(t0)
	return r
}

// Messages as the decoder makes them.
func newLinkMsg(local bool, nsid int32, l link) message {
	return message{typ: msgNewLink, local: local, nsid: nsid, link: l}
}

func delLinkMsg(local bool, nsid int32, l link) message {
	return message{typ: msgDelLink, local: local, nsid: nsid, link: l}
}

func newNSIDMsg(local bool, nsid, peer int32) message {
	return message{typ: msgNewNSID, local: local, nsid: nsid, peer: peer}
}

func delNSIDMsg(local bool, nsid, peer int32) message {
	return message{typ: msgDelNSID, local: local, nsid: nsid, peer: peer}
}

// nsByName finds a namespace in a snapshot.
func nsByName(s Snapshot, name string) (Namespace, bool) {
	for _, ns := range s.Namespaces {
		if ns.Name == name {
			return ns, true
		}
	}
	return Namespace{}, false
}

func names(s Snapshot) []string {
	out := make([]string, 0, len(s.Namespaces))
	for _, ns := range s.Namespaces {
		out = append(out, ns.Name)
	}
	return out
}

// kindOf returns the counters of one kind in a snapshot namespace, without
// the time they began, which TestCreated checks.
func kindOf(ns Namespace, kind string) KindCounters {
	for _, k := range ns.Kinds {
		if k.Kind == kind {
			k.Created = time.Time{}
			return k
		}
	}
	return KindCounters{Kind: kind}
}

// noKindCreated leaves out when counters began, which TestCreated checks.
var noKindCreated = cmpopts.IgnoreFields(KindCounters{}, "Created")

func mustNS(t *testing.T, s Snapshot, name string) Namespace {
	t.Helper()
	ns, ok := nsByName(s, name)
	if !ok {
		t.Fatalf("namespace %q not in snapshot %v", name, names(s))
	}
	return ns
}

func TestRegistryNewNSID(t *testing.T) {
	r := newTestRegistry()
	if !r.apply([]message{newNSIDMsg(true, 0, 3)}, t0) {
		t.Errorf("apply of RTM_NEWNSID for a new nsid did not ask for a scan")
	}
	ns := r.byNSID[3]
	if ns == nil || ns.named || !ns.alive {
		t.Fatalf("nsid 3 = %+v, want an unnamed living namespace", ns)
	}
	if !ns.seedAt.Equal(t0) {
		t.Errorf("seedAt = %v, want its first dump due now", ns.seedAt)
	}
	if !r.unnamed() {
		t.Errorf("unnamed() = false with nsid 3 unnamed")
	}
	if got := names(r.counters(t0)); !cmp.Equal(got, []string{"host"}) {
		t.Errorf("snapshot namespaces = %v before identify, want only host", got)
	}
	if got := r.identify(3, 100, "foo", SourceDir, t0); got != ns {
		t.Errorf("identify made a new namespace instead of naming the known one")
	}
	s := r.counters(t0)
	want := Namespace{Name: "foo", Inode: 100, NSID: 3, Source: SourceDir, Alive: true, Kinds: []KindCounters{}}
	if diff := cmp.Diff(want, mustNS(t, s, "foo")); diff != "" {
		t.Errorf("foo (-want +got):\n%s", diff)
	}
	if s.Discoveries != 2 {
		t.Errorf("discoveries = %d, want 2 (host and foo)", s.Discoveries)
	}
	if r.unnamed() {
		t.Errorf("unnamed() = true after identify")
	}
}

func TestRegistryIgnoresRemoteNSIDEvents(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, "foo", SourceDir, t0)
	// A namespace's own nsids for its peers mean nothing in the host.
	if r.apply([]message{newNSIDMsg(false, 3, 0), newNSIDMsg(false, 3, 5), delNSIDMsg(false, 3, 3)}, t0) {
		t.Errorf("remote nsid events asked for a scan")
	}
	if len(r.byNSID) != 1 {
		t.Errorf("byNSID has %d namespaces, want only nsid 3", len(r.byNSID))
	}
	if !mustNS(t, r.counters(t0), "foo").Alive {
		t.Errorf("a remote RTM_DELNSID killed foo")
	}
	s := r.counters(t0)
	if s.Messages["newnsid"] != 2 || s.Messages["delnsid"] != 1 {
		t.Errorf("messages = %v, want 2 newnsid and 1 delnsid counted", s.Messages)
	}
}

func TestRegistryDelNSID(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, "foo", SourceDir, t0)
	r.apply([]message{
		newLinkMsg(false, 3, lk(1, "device", iffUp)),
		newLinkMsg(false, 3, lk(2, "veth", 0)),
		newLinkMsg(false, 3, lk(3, "veth", 0)),
	}, t0)
	died := t0.Add(time.Second)
	r.apply([]message{delNSIDMsg(true, 0, 3)}, died)

	s := r.counters(t0)
	foo := mustNS(t, s, "foo")
	if foo.Alive || foo.NSID != 3 || len(foo.Links) != 0 {
		t.Errorf("foo after RTM_DELNSID: alive %v, nsid %d, links %v", foo.Alive, foo.NSID, foo.Links)
	}
	if c := kindOf(foo, "veth"); c.Creations != 2 || c.Deletions != 2 {
		t.Errorf("veth: %d creations, %d deletions; want 2, 2", c.Creations, c.Deletions)
	}
	if c := kindOf(foo, "device"); c.Deletions != 1 {
		t.Errorf("device: %d deletions, want 1", c.Deletions)
	}
	if s.Removals != 1 {
		t.Errorf("removals = %d, want 1", s.Removals)
	}
	if _, ok := r.byNSID[3]; ok {
		t.Errorf("nsid 3 still maps to a namespace")
	}
	if _, ok := r.byInode[100]; ok {
		t.Errorf("inode 100 still maps to a namespace")
	}
	// A second one, for an nsid nobody holds, changes nothing.
	r.apply([]message{delNSIDMsg(true, 0, 3)}, died)
	if s := r.counters(t0); s.Removals != 1 {
		t.Errorf("removals = %d after a duplicate RTM_DELNSID, want 1", s.Removals)
	}
}

// A dump found foo's nsid gone before its RTM_DELNSID was read, and the
// kernel gave the nsid to a new namespace, whose RTM_NEWNSID may come
// before foo's RTM_DELNSID. One lost in an overrun stops being expected
// after staleDelTTL.
func TestRegistryVanishedThenReused(t *testing.T) {
	tests := []struct {
		name       string
		evs        []message
		at         time.Duration
		newIsAlive bool
	}{
		{"its RTM_DELNSID before the reuse", []message{delNSIDMsg(true, 0, 3), newNSIDMsg(true, 0, 3)}, time.Second, true},
		{"its RTM_DELNSID after the reuse", []message{newNSIDMsg(true, 0, 3), delNSIDMsg(true, 0, 3)}, time.Second, true},
		// Its RTM_DELNSID was lost: after the TTL the next one is the new
		// holder's own.
		{"the new holder's death after the TTL", []message{newNSIDMsg(true, 0, 3), delNSIDMsg(true, 0, 3)}, staleDelTTL + time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			foo := r.identify(3, 100, "foo", SourceDir, t0)
			r.vanished(foo, t0)
			now := t0.Add(tt.at)
			r.prune(now)
			r.apply(tt.evs, now)
			ns, ok := r.byNSID[3]
			if ok == tt.newIsAlive && ns != foo {
				return
			}
			t.Errorf("the namespace that took nsid 3: present %v, want %v", ok, tt.newIsAlive)
		})
	}
}

func TestRegistryUnnamedDeath(t *testing.T) {
	r := newTestRegistry()
	r.apply([]message{newNSIDMsg(true, 0, 3), newLinkMsg(false, 3, lk(2, "veth", 0)), delNSIDMsg(true, 0, 3)}, t0)
	s := r.counters(t0)
	if s.Removals != 0 || !cmp.Equal(names(s), []string{"host", Unidentified}) {
		t.Errorf("an unnamed namespace's death: removals %d, namespaces %v; want 0, [host unidentified]", s.Removals, names(s))
	}
	want := Namespace{Name: Unidentified, NSID: NoNSID, Kinds: []KindCounters{{Kind: "veth", Creations: 1, Deletions: 1}}}
	if diff := cmp.Diff(want, mustNS(t, s, Unidentified), noKindCreated); diff != "" {
		t.Errorf("unidentified (-want +got):\n%s", diff)
	}
	if r.unnamed() {
		t.Errorf("unnamed() = true after the unnamed namespace died")
	}
}

func TestRegistryLinkEventOfUnknownNSID(t *testing.T) {
	r := newTestRegistry()
	// Its RTM_NEWNSID was lost in an overrun.
	if !r.apply([]message{newLinkMsg(false, 8, lk(2, "veth", 0))}, t0) {
		t.Errorf("a link event of an unknown nsid did not ask for a scan")
	}
	if ns := r.byNSID[8]; ns == nil || ns.named {
		t.Fatalf("nsid 8 = %+v, want an unnamed namespace", ns)
	}
	// Counters kept from before the name was known.
	r.identify(8, 800, "", SourceProc, t0)
	ns := mustNS(t, r.counters(t0), "ino-800")
	if c := kindOf(ns, "veth"); c.Creations != 1 {
		t.Errorf("veth creations = %d after identify, want 1", c.Creations)
	}
}

func TestRegistryMoves(t *testing.T) {
	host5 := lk(5, "veth", iffUp)
	tests := []struct {
		name    string
		batches [][]message
		// Counters of veth links in host and in foo (nsid 3).
		wantHost, wantFoo KindCounters
	}{
		{
			name: "host to namespace",
			batches: [][]message{{
				delLinkMsg(true, 0, movedTo(host5, 3, 9)),
				newLinkMsg(false, 3, lk(9, "veth", 0)),
			}},
			wantHost: KindCounters{Kind: "veth", MovesOut: 1},
			wantFoo:  KindCounters{Kind: "veth", MovesIn: 1},
		},
		{
			name: "across batches",
			batches: [][]message{
				{delLinkMsg(true, 0, movedTo(host5, 3, 9))},
				{newLinkMsg(false, 3, lk(9, "veth", 0))},
			},
			wantHost: KindCounters{Kind: "veth", MovesOut: 1},
			wantFoo:  KindCounters{Kind: "veth", MovesIn: 1},
		},
		{
			// The kernel assigns the host an nsid inside the target
			// while it reports the arrival there.
			name: "nsid event in between",
			batches: [][]message{{
				delLinkMsg(true, 0, movedTo(host5, 3, 9)),
				newNSIDMsg(false, 3, 0),
				newLinkMsg(false, 3, lk(9, "veth", 0)),
			}},
			wantHost: KindCounters{Kind: "veth", MovesOut: 1},
			wantFoo:  KindCounters{Kind: "veth", MovesIn: 1},
		},
		{
			name: "arrival with another ifindex is a creation",
			batches: [][]message{{
				delLinkMsg(true, 0, movedTo(host5, 3, 9)),
				newLinkMsg(false, 3, lk(10, "veth", 0)),
			}},
			wantHost: KindCounters{Kind: "veth", MovesOut: 1},
			wantFoo:  KindCounters{Kind: "veth", Creations: 1},
		},
		{
			name: "arrival in another namespace is a creation",
			batches: [][]message{{
				delLinkMsg(true, 0, movedTo(host5, 4, 9)),
				newLinkMsg(false, 3, lk(9, "veth", 0)),
			}},
			wantHost: KindCounters{Kind: "veth", MovesOut: 1},
			wantFoo:  KindCounters{Kind: "veth", Creations: 1},
		},
		{
			name: "a flag change is not an arrival",
			batches: [][]message{{
				delLinkMsg(true, 0, movedTo(host5, 3, 9)),
				newLinkMsg(false, 3, withChange(lk(9, "veth", 0), 0)),
			}},
			wantHost: KindCounters{Kind: "veth", MovesOut: 1},
			wantFoo:  KindCounters{Kind: "veth", Creations: 1},
		},
		{
			name: "an unrelated link event ends the wait",
			batches: [][]message{{
				delLinkMsg(true, 0, movedTo(host5, 3, 9)),
				newLinkMsg(true, 0, withChange(lk(1, "device", iffUp), 0)),
				newLinkMsg(false, 3, lk(9, "veth", 0)),
			}},
			wantHost: KindCounters{Kind: "veth", MovesOut: 1},
			wantFoo:  KindCounters{Kind: "veth", Creations: 1},
		},
		{
			name: "namespace to host",
			batches: [][]message{{
				newLinkMsg(false, 3, lk(9, "veth", 0)),
				// The new nsid is foo's id for the host, which the
				// monitor cannot compare with its own.
				delLinkMsg(false, 3, movedTo(lk(9, "veth", 0), 0, 6)),
				newLinkMsg(true, 0, lk(6, "veth", 0)),
			}},
			wantHost: KindCounters{Kind: "veth", MovesIn: 1},
			wantFoo:  KindCounters{Kind: "veth", Creations: 1, MovesOut: 1},
		},
		{
			name: "plain deletion then registration",
			batches: [][]message{{
				delLinkMsg(true, 0, host5),
				newLinkMsg(false, 3, lk(5, "veth", 0)),
			}},
			wantHost: KindCounters{Kind: "veth", Deletions: 1},
			wantFoo:  KindCounters{Kind: "veth", Creations: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			r.self.reconcile(linkDump{links: []link{host5}}, false, t0, 1)
			r.identify(3, 100, "foo", SourceDir, t0)
			for _, b := range tt.batches {
				r.apply(b, t0)
			}
			s := r.counters(t0)
			if diff := cmp.Diff(tt.wantHost, kindOf(mustNS(t, s, "host"), "veth")); diff != "" {
				t.Errorf("host veth (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFoo, kindOf(mustNS(t, s, "foo"), "veth")); diff != "" {
				t.Errorf("foo veth (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegistryMoveIntoNewNamespace(t *testing.T) {
	r := newTestRegistry()
	r.self.reconcile(linkDump{links: []link{lk(5, "veth", 0)}}, false, t0, 1)
	// The move assigns the target an nsid first.
	unnamed := r.apply([]message{
		newNSIDMsg(true, 0, 2),
		delLinkMsg(true, 0, movedTo(lk(5, "veth", 0), 2, 5)),
		newNSIDMsg(false, 2, 0),
		newLinkMsg(false, 2, lk(5, "veth", 0)),
	}, t0)
	if !unnamed {
		t.Errorf("apply did not ask for a scan")
	}
	// Its first dump finds the moved link and lo.
	r.reconcile(r.byNSID[2], linkDump{links: []link{lk(1, "device", 0), lk(5, "veth", 0)}}, t0)
	r.nextBatch()
	r.settle()
	r.identify(2, 200, "bar", SourceDir, t0)
	bar := mustNS(t, r.counters(t0), "bar")
	want := []KindCounters{{Kind: "device", Created: t0, Creations: 1}, {Kind: "veth", Created: t0, MovesIn: 1}}
	if diff := cmp.Diff(want, bar.Kinds); diff != "" {
		t.Errorf("bar counters (-want +got):\n%s", diff)
	}
}

func TestRegistryNaming(t *testing.T) {
	type ident struct {
		nsid  int32
		inode uint64
		base  string
		src   Source
	}
	tests := []struct {
		name   string
		idents []ident
		// deaths are nsids whose RTM_DELNSID comes after the identify
		// of the same index.
		deaths    map[int]int32
		wantNames []string
		// wantAlive maps each name in the snapshot to its inode and
		// liveness.
		wantInode map[string]uint64
		wantAlive map[string]bool
	}{
		{
			name:      "directory name",
			idents:    []ident{{3, 100, "foo", SourceDir}},
			wantNames: []string{"foo", "host"},
			wantInode: map[string]uint64{"foo": 100, "host": hostIno},
			wantAlive: map[string]bool{"foo": true, "host": true},
		},
		{
			name:      "process namespace",
			idents:    []ident{{3, 100, "", SourceProc}},
			wantNames: []string{"host", "ino-100"},
			wantInode: map[string]uint64{"ino-100": 100, "host": hostIno},
			wantAlive: map[string]bool{"ino-100": true, "host": true},
		},
		{
			name:      "collision with a living namespace",
			idents:    []ident{{3, 100, "foo", SourceDir}, {4, 200, "foo", SourceDir}},
			wantNames: []string{"foo", "host", "ino-200"},
			wantInode: map[string]uint64{"foo": 100, "ino-200": 200, "host": hostIno},
			wantAlive: map[string]bool{"foo": true, "ino-200": true, "host": true},
		},
		{
			name:      "a directory called host",
			idents:    []ident{{3, 100, "host", SourceDir}},
			wantNames: []string{"host", "ino-100"},
			wantInode: map[string]uint64{"ino-100": 100, "host": hostIno},
			wantAlive: map[string]bool{"ino-100": true, "host": true},
		},
		{
			name:      "reuse of a dead namespace's name",
			idents:    []ident{{3, 100, "foo", SourceDir}, {4, 200, "foo", SourceDir}},
			deaths:    map[int]int32{0: 3},
			wantNames: []string{"foo", "host"},
			wantInode: map[string]uint64{"foo": 200, "host": hostIno},
			wantAlive: map[string]bool{"foo": true, "host": true},
		},
		{
			name:      "a name freed while its new owner waits for it",
			idents:    []ident{{3, 100, "foo", SourceDir}, {4, 200, "foo", SourceDir}},
			deaths:    map[int]int32{1: 3},
			wantNames: []string{"foo", "host"},
			wantInode: map[string]uint64{"foo": 200, "host": hostIno},
			wantAlive: map[string]bool{"foo": true, "host": true},
		},
		{
			name:      "same namespace found twice",
			idents:    []ident{{3, 100, "foo", SourceDir}, {3, 100, "", SourceProc}},
			wantNames: []string{"foo", "host"},
			wantInode: map[string]uint64{"foo": 100, "host": hostIno},
			wantAlive: map[string]bool{"foo": true, "host": true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			for i, id := range tt.idents {
				r.identify(id.nsid, id.inode, id.base, id.src, t0)
				if nsid, ok := tt.deaths[i]; ok {
					r.apply([]message{delNSIDMsg(true, 0, nsid)}, t0)
				}
			}
			// A name a living namespace holds is waited for, then given up.
			r.nameWaiting(t0.Add(nameWait))
			s := r.counters(t0)
			if diff := cmp.Diff(tt.wantNames, names(s)); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			inodes, alive := map[string]uint64{}, map[string]bool{}
			for _, ns := range s.Namespaces {
				inodes[ns.Name], alive[ns.Name] = ns.Inode, ns.Alive
			}
			if diff := cmp.Diff(tt.wantInode, inodes); diff != "" {
				t.Errorf("inodes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAlive, alive); diff != "" {
				t.Errorf("alive (-want +got):\n%s", diff)
			}
			if want := uint64(len(s.Namespaces)); s.Discoveries < want {
				t.Errorf("discoveries = %d, fewer than the %d namespaces", s.Discoveries, want)
			}
		})
	}
}

func TestRegistryNSIDReuse(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, "foo", SourceDir, t0)
	r.apply([]message{newLinkMsg(false, 3, lk(2, "veth", 0))}, t0)

	// foo died and the kernel gave nsid 3 to bar before foo's RTM_DELNSID
	// was read.
	later := t0.Add(time.Second)
	bar := r.identify(3, 200, "bar", SourceDir, later)
	if bar.name != "bar" || r.byNSID[3] != bar {
		t.Fatalf("identify of nsid 3 with a new inode gave %q", bar.name)
	}
	s := r.counters(t0)
	foo := mustNS(t, s, "foo")
	if foo.Alive || kindOf(foo, "veth").Deletions != 1 {
		t.Errorf("foo: alive %v, veth deletions %d; want dead with its link deleted", foo.Alive, kindOf(foo, "veth").Deletions)
	}
	if s.Removals != 1 {
		t.Errorf("removals = %d, want 1", s.Removals)
	}
	// foo's RTM_DELNSID arrives: it must not kill bar.
	r.apply([]message{delNSIDMsg(true, 0, 3)}, later)
	if !mustNS(t, r.counters(t0), "bar").Alive {
		t.Fatalf("foo's late RTM_DELNSID killed bar")
	}
	// bar's own death.
	r.apply([]message{delNSIDMsg(true, 0, 3)}, later)
	s = r.counters(t0)
	if mustNS(t, s, "bar").Alive {
		t.Errorf("bar survived its RTM_DELNSID")
	}
	if s.Removals != 2 {
		t.Errorf("removals = %d, want 2", s.Removals)
	}
}

func TestRegistrySyncNSIDs(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, "foo", SourceDir, t0)
	r.identify(4, 200, "bar", SourceDir, t0)
	r.apply([]message{newLinkMsg(false, 3, lk(2, "veth", 0))}, t0)

	missing, unnamed := r.syncNSIDs([]int32{4, 5}, t0, t0)
	if !unnamed {
		t.Errorf("syncNSIDs with a new nsid did not ask for a scan")
	}
	// A list taken while namespaces come and go can skip one: only a dump
	// can say that foo died.
	if !cmp.Equal(missing, []int32{3}) {
		t.Errorf("missing = %v, want [3]", missing)
	}
	if !mustNS(t, r.counters(t0), "foo").Alive {
		t.Errorf("foo died for missing from the nsid list")
	}
	if ns := r.byNSID[5]; ns == nil || ns.named || !ns.seedAt.Equal(t0) {
		t.Errorf("nsid 5 = %+v, want an unnamed namespace due for a dump", ns)
	}

	// The dump says foo is gone.
	r.vanished(r.byNSID[3], t0)
	s := r.counters(t0)
	foo := mustNS(t, s, "foo")
	if foo.Alive || kindOf(foo, "veth").Deletions != 1 || s.Removals != 1 {
		t.Errorf("foo: alive %v, veth deletions %d, removals %d; want dead, 1, 1",
			foo.Alive, kindOf(foo, "veth").Deletions, s.Removals)
	}
	// Its RTM_DELNSID, if it still comes, does not kill the next holder of
	// nsid 3, which a scan found first...
	r.identify(3, 300, "baz", SourceDir, t0)
	r.apply([]message{delNSIDMsg(true, 0, 3)}, t0)
	if !mustNS(t, r.counters(t0), "baz").Alive {
		t.Errorf("a stale RTM_DELNSID killed the new holder of the nsid")
	}
	// ...but once the kernel has announced the nsid again, the next
	// RTM_DELNSID is baz's own.
	r.apply([]message{newNSIDMsg(true, 0, 3), delNSIDMsg(true, 0, 3)}, t0)
	if mustNS(t, r.counters(t0), "baz").Alive {
		t.Errorf("baz survived its RTM_DELNSID")
	}

	if missing, unnamed := r.syncNSIDs([]int32{4, 5}, t0, t0); unnamed || len(missing) != 0 {
		t.Errorf("syncNSIDs without changes: missing %v, unnamed %v", missing, unnamed)
	}
}

func TestRegistryNameWait(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, "foo", SourceDir, t0)
	r.identify(4, 200, "foo", SourceDir, t0)
	if got := names(r.counters(t0)); !cmp.Equal(got, []string{"foo", "host"}) {
		t.Errorf("names while the new foo waits = %v, want the old foo only", got)
	}
	if r.unnamed() {
		t.Errorf("a namespace waiting for a name asks for scans")
	}
	r.nameWaiting(t0.Add(nameWait - time.Nanosecond))
	if _, ok := r.byName["ino-200"]; ok {
		t.Errorf("the new namespace gave up waiting before nameWait")
	}
	r.nameWaiting(t0.Add(nameWait))
	if ns, ok := r.byName["ino-200"]; !ok || ns.inode != 200 {
		t.Errorf("after nameWait the new namespace is not ino-200: %v", names(r.counters(t0)))
	}
}

func TestRegistryPrune(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, "foo", SourceDir, t0)
	r.identify(4, 200, "bar", SourceDir, t0)
	r.apply([]message{delNSIDMsg(true, 0, 3)}, t0)
	// A tombstone in the host, from a resync.
	r.self.reconcile(linkDump{links: []link{lk(5, "veth", 0)}}, false, t0, 1)
	r.self.reconcile(linkDump{}, true, t0, 1)
	r.self.settle(2)

	r.prune(t0.Add(time.Minute - time.Nanosecond))
	if got := names(r.counters(t0)); !cmp.Equal(got, []string{"bar", "foo", "host"}) {
		t.Errorf("namespaces before the retention = %v", got)
	}
	// A snapshot leaves out an expired namespace that no prune removed yet.
	if got := names(r.counters(t0.Add(time.Minute))); !cmp.Equal(got, []string{"bar", "host"}) {
		t.Errorf("snapshot at the end of the retention = %v, want foo left out", got)
	}
	r.prune(t0.Add(time.Minute))
	if got := names(r.counters(t0)); !cmp.Equal(got, []string{"bar", "host"}) {
		t.Errorf("namespaces after the retention = %v, want foo gone", got)
	}
	if len(r.self.gone) != 0 {
		t.Errorf("host tombstones %v after a minute, want none", r.self.gone)
	}
	// Counters of a pruned namespace are gone, but the totals stay.
	if s := r.counters(t0); s.Discoveries != 3 || s.Removals != 1 {
		t.Errorf("discoveries %d, removals %d; want 3, 1", s.Discoveries, s.Removals)
	}
}

func TestRegistryDue(t *testing.T) {
	r := newTestRegistry()
	r.add(3, t0)
	r.add(4, t0).seedAt = t0.Add(time.Second)
	r.add(5, t0).seedAt = time.Time{}
	due, next := r.due(t0)
	if len(due) != 1 || due[0].nsid != 3 || !next.Equal(t0.Add(time.Second)) {
		t.Errorf("due(t0) = %d namespaces, next %v; want nsid 3, then t0+1s", len(due), next)
	}
	// Before counting starts, namespaces are seeded by the caller.
	r = newRegistry(hostIno, time.Minute)
	if ns := r.add(3, t0); !ns.seedAt.IsZero() {
		t.Errorf("seedAt = %v while reading the baseline, want zero", ns.seedAt)
	}
}

func TestRegistrySnapshot(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, "zz", SourceDir, t0)
	r.identify(4, 200, "", SourceProc, t0)
	r.identify(5, 300, "aa", SourceDir, t0)
	up := func(l link, oper uint8) link { l.oper = oper; return l }
	evTime := t0.Add(time.Second)
	r.apply([]message{
		newLinkMsg(false, 3, up(lk(2, "veth", 0), 6)),
		newLinkMsg(false, 3, up(lk(3, "veth", 0), 6)),
		newLinkMsg(false, 3, up(lk(4, "veth", 0), 2)),
		newLinkMsg(false, 3, up(lk(5, "bridge", 0), 2)),
		newLinkMsg(false, 3, up(lk(1, "device", 0), 0)),
		// An operstate beyond RFC 2863 is reported as unknown.
		newLinkMsg(false, 3, up(lk(6, "device", 0), 42)),
		delLinkMsg(false, 3, lk(7, "macvlan", 0)),
		{typ: msgOther, local: true},
		newNSIDMsg(true, 0, 5),
	}, evTime)
	r.malformed = 2
	r.overruns = 1
	r.resyncs["overrun"] = 1

	s := r.counters(t0)
	if got := names(s); !cmp.Equal(got, []string{"aa", "host", "ino-200", "zz"}) {
		t.Errorf("namespaces = %v, want sorted by name", got)
	}
	zz := mustNS(t, s, "zz")
	wantLinks := []LinkCount{
		{Kind: "bridge", OperState: "down", Count: 1},
		{Kind: "device", OperState: "unknown", Count: 2},
		{Kind: "veth", OperState: "down", Count: 1},
		{Kind: "veth", OperState: "up", Count: 2},
	}
	if diff := cmp.Diff(wantLinks, zz.Links); diff != "" {
		t.Errorf("zz links (-want +got):\n%s", diff)
	}
	var kinds []string
	for _, k := range zz.Kinds {
		kinds = append(kinds, k.Kind)
	}
	if diff := cmp.Diff([]string{"bridge", "device", "macvlan", "veth"}, kinds); diff != "" {
		t.Errorf("zz kinds (-want +got):\n%s", diff)
	}
	if c := kindOf(zz, "macvlan"); c.Creations != 1 || c.Deletions != 1 {
		t.Errorf("macvlan: %d creations, %d deletions; want 1, 1", c.Creations, c.Deletions)
	}
	if !zz.LastEvent.Equal(evTime) || !mustNS(t, s, "aa").LastEvent.IsZero() {
		t.Errorf("last events: zz %v, aa %v; want %v and zero", zz.LastEvent, mustNS(t, s, "aa").LastEvent, evTime)
	}
	wantMsgs := map[string]uint64{"newlink": 6, "dellink": 1, "other": 1, "newnsid": 1, "malformed": 2}
	if diff := cmp.Diff(wantMsgs, s.Messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if s.Overruns != 1 || !cmp.Equal(s.Resyncs, map[string]uint64{"overrun": 1}) {
		t.Errorf("overruns %d, resyncs %v", s.Overruns, s.Resyncs)
	}
	wantHost := Namespace{Name: "host", Inode: hostIno, NSID: NoNSID, Source: SourceSelf, Alive: true, Kinds: []KindCounters{}}
	if diff := cmp.Diff(wantHost, mustNS(t, s, "host")); diff != "" {
		t.Errorf("host (-want +got):\n%s", diff)
	}

	// The snapshot is a deep copy.
	s.Resyncs["overrun"] = 99
	s.Messages["newlink"] = 99
	zz.Kinds[0].Creations = 99
	zz.Links[0].Count = 99
	s2 := r.counters(t0)
	if diff := cmp.Diff(s2, r.counters(t0), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("snapshot is not stable (-first +second):\n%s", diff)
	}
	if s2.Resyncs["overrun"] != 1 || s2.Messages["newlink"] != 6 || mustNS(t, s2, "zz").Kinds[0].Creations != 1 || mustNS(t, s2, "zz").Links[0].Count != 1 {
		t.Errorf("changing a snapshot changed the registry")
	}
}

func TestOperStateName(t *testing.T) {
	for v, want := range map[uint8]string{
		0: "unknown", 1: "notpresent", 2: "down", 3: "lowerlayerdown", 4: "testing", 5: "dormant", 6: "up", 7: "unknown", 255: "unknown",
	} {
		if got := operStateName(v); got != want {
			t.Errorf("operStateName(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestRegistryWaitingNamespaceDies(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, "foo", SourceDir, t0)
	r.identify(4, 200, "foo", SourceDir, t0)
	r.apply([]message{delNSIDMsg(true, 0, 4)}, t0)
	// The kernel reuses inodes at once: a later namespace with inode 200
	// must not be taken for the dead one.
	if ns, ok := r.byInode[200]; ok {
		t.Errorf("a namespace that died waiting for a name still holds its inode: %+v", ns)
	}
	if len(r.waiting) != 0 {
		t.Errorf("%d namespaces still wait for a name", len(r.waiting))
	}
}

func TestRegistryAssigned(t *testing.T) {
	r := newTestRegistry()
	// The kernel announced nsid 3, and no scan named it.
	r.apply([]message{newNSIDMsg(true, 0, 3)}, t0)
	old := r.byNSID[3]
	// It died, and before its RTM_DELNSID was read, the monitor had the
	// kernel assign nsid 3 to a namespace it found.
	r.assigned(3, 300, "bar", SourceDir, t0)
	if old.alive || r.byNSID[3] == old {
		t.Errorf("the old holder of nsid 3 is still alive")
	}
	r.apply([]message{delNSIDMsg(true, 0, 3)}, t0)
	if !mustNS(t, r.counters(t0), "bar").Alive {
		t.Errorf("the old holder's RTM_DELNSID killed bar")
	}
	// After bar's own RTM_NEWNSID, an RTM_DELNSID is bar's.
	r.apply([]message{newNSIDMsg(true, 0, 3), delNSIDMsg(true, 0, 3)}, t0)
	if mustNS(t, r.counters(t0), "bar").Alive {
		t.Errorf("bar survived its RTM_DELNSID")
	}
}

// The kernel frees an nsid before it announces its holder's death, so the
// new holder's RTM_NEWNSID can come first, in either order with the old
// holder's RTM_DELNSID.
func TestRegistryAssignedOldHolderDeathAfterNewNSID(t *testing.T) {
	tests := []struct {
		name string
		evs  []message
	}{
		{"old holder's death first", []message{delNSIDMsg(true, 0, 3), newNSIDMsg(true, 0, 3)}},
		{"new holder's nsid first", []message{newNSIDMsg(true, 0, 3), delNSIDMsg(true, 0, 3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			r.assigned(3, 100, "foo", SourceDir, t0)
			r.apply([]message{newNSIDMsg(true, 0, 3)}, t0)
			// foo died; the monitor assigned its nsid to bar before
			// foo's RTM_DELNSID was read.
			r.assigned(3, 200, "bar", SourceDir, t0.Add(time.Second))
			r.apply(tt.evs, t0.Add(time.Second))
			s := r.counters(t0.Add(time.Second))
			if mustNS(t, s, "foo").Alive || !mustNS(t, s, "bar").Alive {
				t.Fatalf("foo alive %v, bar alive %v; want foo dead, bar alive",
					mustNS(t, s, "foo").Alive, mustNS(t, s, "bar").Alive)
			}
			if s.Removals != 1 {
				t.Errorf("removals = %d, want 1", s.Removals)
			}
			// bar's own death.
			r.apply([]message{delNSIDMsg(true, 0, 3)}, t0.Add(2*time.Second))
			if mustNS(t, r.counters(t0.Add(2*time.Second)), "bar").Alive {
				t.Errorf("bar survived its RTM_DELNSID")
			}
		})
	}
}

func TestRegistryAssignedNoOldHolder(t *testing.T) {
	r := newTestRegistry()
	// The previous holder of nsid 0 died before the monitor started; its
	// RTM_DELNSID comes after the monitor assigned 0 to foo.
	r.assigned(0, 100, "foo", SourceDir, t0)
	r.apply([]message{delNSIDMsg(true, 0, 0)}, t0)
	if !mustNS(t, r.counters(t0), "foo").Alive {
		t.Errorf("an earlier holder's RTM_DELNSID killed foo")
	}
	// A resync drained after the assignment means foo's RTM_NEWNSID was
	// read or lost: the next RTM_DELNSID is foo's own.
	r.syncNSIDs([]int32{0}, t0.Add(2*time.Second), t0.Add(time.Second))
	r.apply([]message{delNSIDMsg(true, 0, 0)}, t0.Add(2*time.Second))
	if mustNS(t, r.counters(t0), "foo").Alive {
		t.Errorf("foo survived its RTM_DELNSID after a resync")
	}
}

func TestRegistryResyncAndStaleDeletes(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name    string
		drained time.Time
		barLive bool
	}{
		// The resync's drain ended before foo was found dead: foo's
		// RTM_DELNSID may still come, and must not kill bar.
		{"drained before the conflict", at(1), true},
		// It ended after: foo's RTM_DELNSID was read or lost, so the next
		// one is bar's own.
		{"drained after the conflict", at(3), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			r.identify(3, 100, "foo", SourceDir, t0)
			// A scan finds that nsid 3 now belongs to bar.
			r.identify(3, 200, "bar", SourceDir, at(2))
			r.syncNSIDs([]int32{3}, at(4), tt.drained)
			r.apply([]message{delNSIDMsg(true, 0, 3)}, at(4))
			if got := mustNS(t, r.counters(at(4)), "bar").Alive; got != tt.barLive {
				t.Errorf("bar alive = %v, want %v", got, tt.barLive)
			}
		})
	}
}
