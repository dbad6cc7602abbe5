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
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	ifUp      = iffUp | iffBroadcast | iffMulticast
	ifRunning = ifUp | iffRunning | iffLowerUp
	ifDown    = iffBroadcast | iffMulticast
)

func named(l link, name string) link     { l.name = name; return l }
func enslaved(l link, master int32) link { l.master = master; return l }
func withOper(l link, oper uint8) link   { l.oper = oper; return l }
func at(d time.Duration) time.Time       { return t0.Add(d) }
func hostMsgs(msgs ...message) []message { return msgs }
func hostNew(l link) message             { return newLinkMsg(true, 0, l) }
func hostDel(l link) message             { return delLinkMsg(true, 0, l) }
func seedHost(r *registry, ls ...link)   { r.reconcile(r.self, linkDump{links: ls}, t0) }
func applyAt(r *registry, d time.Duration, msgs []message) {
	r.nextBatch()
	r.apply(msgs, at(d))
	r.settle()
}

// noCreated leaves out when the links' counters began, which TestCreated
// checks.
var noCreated = cmpopts.IgnoreFields(Interface{}, "Created")

// interfacesOf returns the interfaces of the namespace name in s.
func interfacesOf(t *testing.T, s InterfaceSnapshot, name string) []Interface {
	t.Helper()
	for _, ns := range s.Namespaces {
		if ns.Name == name {
			return ns.Interfaces
		}
	}
	t.Fatalf("namespace %q not in the interface snapshot", name)
	return nil
}

func TestRegistryLinkDetail(t *testing.T) {
	br := named(lk(2, "bridge", ifRunning), "br0")
	veth := named(withCarrier(lk(5, "veth", ifRunning), 1, 1), "eth0")
	tests := []struct {
		name string
		run  func(r *registry)
		want []Interface
	}{
		{
			name: "master resolved by name",
			run:  func(r *registry) { seedHost(r, br, enslaved(veth, 2)) },
			want: []Interface{
				{Index: 2, Name: "br0", Kind: "bridge", OperState: "up", Up: true, Carrier: true},
				{Index: 5, Name: "eth0", Kind: "veth", OperState: "up", Master: "br0", Up: true, Carrier: true},
			},
		},
		{
			name: "released from its master",
			run: func(r *registry) {
				seedHost(r, br, enslaved(veth, 2))
				applyAt(r, time.Second, hostMsgs(hostNew(withChange(veth, 0))))
			},
			want: []Interface{
				{Index: 2, Name: "br0", Kind: "bridge", OperState: "up", Up: true, Carrier: true},
				{Index: 5, Name: "eth0", Kind: "veth", OperState: "up", Up: true, Carrier: true},
			},
		},
		{
			name: "master not seen",
			run:  func(r *registry) { seedHost(r, enslaved(veth, 9)) },
			want: []Interface{{Index: 5, Name: "eth0", Kind: "veth", OperState: "up", Up: true, Carrier: true}},
		},
		{
			// A new veth's down count of one is its baseline, as for the
			// per-kind counters.
			name: "carrier transitions since first sight",
			run: func(r *registry) {
				applyAt(r, time.Second, hostMsgs(
					hostNew(named(withCarrier(lk(7, "veth", ifDown), 0, 1), "v0")),
					hostNew(withChange(named(withCarrier(lk(7, "veth", ifRunning), 1, 1), "v0"), 0)),
					hostNew(withChange(named(withCarrier(lk(7, "veth", ifUp), 3, 4), "v0"), 0)),
				))
			},
			want: []Interface{{
				Index: 7, Name: "v0", Kind: "veth", OperState: "up", Up: true, CarrierUp: 3, CarrierDown: 3,
			}},
		},
		{
			// A dump read before the link's registration found it after
			// it flapped: the flaps since the registration count.
			name: "carrier transitions since a registration older than the dump",
			run: func(r *registry) {
				r.nextBatch()
				seedHost(r, named(withCarrier(lk(7, "veth", ifRunning), 2, 2), "v0"))
				applyAt(r, time.Second, hostMsgs(
					hostNew(named(withCarrier(lk(7, "veth", ifDown), 0, 1), "v0")),
					hostNew(withChange(named(withCarrier(lk(7, "veth", ifRunning), 2, 2), "v0"), 0)),
				))
			},
			want: []Interface{{
				Index: 7, Name: "v0", Kind: "veth", OperState: "up", Up: true, Carrier: true, CarrierUp: 2, CarrierDown: 1,
			}},
		},
		{
			name: "admin up without carrier",
			run:  func(r *registry) { seedHost(r, withOper(named(lk(3, "veth", ifUp), "v1"), 3)) },
			want: []Interface{{Index: 3, Name: "v1", Kind: "veth", OperState: "lowerlayerdown", Up: true}},
		},
		{
			name: "deleted link keeps its final detail",
			run: func(r *registry) {
				seedHost(r, br, enslaved(veth, 2))
				applyAt(r, time.Second, hostMsgs(hostNew(withChange(enslaved(withOper(withCarrier(named(lk(5, "veth", ifUp), "eth0"), 1, 2), 2), 2), 0))))
				applyAt(r, 2*time.Second, hostMsgs(hostDel(enslaved(withOper(withCarrier(named(lk(5, "veth", ifDown), "eth0"), 1, 2), 2), 2))))
			},
			want: []Interface{
				{Index: 2, Name: "br0", Kind: "bridge", OperState: "up", Up: true, Carrier: true},
				{Index: 5, Name: "eth0", Kind: "veth", OperState: "down", Master: "br0", CarrierDown: 1, Deleted: at(2 * time.Second)},
			},
		},
		{
			name: "moved out",
			run: func(r *registry) {
				seedHost(r, veth)
				applyAt(r, time.Second, hostMsgs(hostDel(movedTo(veth, 3, 9))))
			},
			want: []Interface{{Index: 5, Name: "eth0", Kind: "veth", OperState: "up", Up: true, Carrier: true, Deleted: at(time.Second)}},
		},
		{
			name: "deleted without ever being seen",
			run:  func(r *registry) { applyAt(r, time.Second, hostMsgs(hostDel(named(lk(8, "macvlan", ifDown), "mv0")))) },
			want: []Interface{{Index: 8, Name: "mv0", Kind: "macvlan", OperState: "up", Deleted: at(time.Second)}},
		},
		{
			name: "found gone by a resync",
			run: func(r *registry) {
				seedHost(r, br, veth)
				r.reconcile(r.self, linkDump{links: []link{br}}, at(3*time.Second))
				// Its RTM_DELLINK, in flight during the dump, changes nothing.
				applyAt(r, 4*time.Second, hostMsgs(hostDel(withOper(veth, 2))))
			},
			want: []Interface{
				{Index: 2, Name: "br0", Kind: "bridge", OperState: "up", Up: true, Carrier: true},
				{Index: 5, Name: "eth0", Kind: "veth", OperState: "up", Up: true, Carrier: true, Deleted: at(3 * time.Second)},
			},
		},
		{
			name: "a link at the ifindex of a deleted one replaces it",
			run: func(r *registry) {
				seedHost(r, veth)
				applyAt(r, time.Second, hostMsgs(hostDel(veth)))
				applyAt(r, 2*time.Second, hostMsgs(hostNew(named(lk(5, "macvlan", ifDown), "mv0"))))
			},
			want: []Interface{{Index: 5, Name: "mv0", Kind: "macvlan", OperState: "up"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			r.enableDetail()
			tt.run(r)
			got := interfacesOf(t, r.interfaceSnapshot(at(5*time.Second)), "host")
			if diff := cmp.Diff(tt.want, got, noCreated); diff != "" {
				t.Errorf("interfaces (-want +got):\n%s", diff)
			}
		})
	}
}

// The monitor's two snapshots each hold their own part: the counters, and
// the per-link detail with the identity of each namespace.
func TestRegistrySnapshotParts(t *testing.T) {
	r := newTestRegistry()
	r.enableDetail()
	seedHost(r, named(withCarrier(lk(5, "veth", ifRunning), 1, 1), "eth0"))
	now := at(time.Second)

	if host := mustNS(t, r.counters(now), "host"); len(host.Kinds) == 0 || len(host.Links) == 0 {
		t.Errorf("counters: %d kinds, %d link counts; want some", len(host.Kinds), len(host.Links))
	}
	want := []NamespaceInterfaces{{
		Name: "host", Inode: hostIno, NSID: NoNSID, Source: SourceSelf, Alive: true,
		Interfaces: []Interface{{Index: 5, Name: "eth0", Kind: "veth", OperState: "up", Up: true, Carrier: true}},
	}}
	if diff := cmp.Diff(want, r.interfaceSnapshot(now).Namespaces, noCreated); diff != "" {
		t.Errorf("interface snapshot (-want +got):\n%s", diff)
	}

	r = newTestRegistry()
	seedHost(r, named(lk(5, "veth", ifRunning), "eth0"))
	if s := r.interfaceSnapshot(now); len(s.Namespaces) != 0 {
		t.Errorf("interface snapshot without detail: %d namespaces, want none", len(s.Namespaces))
	}
}

// A deleted link's detail stays for the retention, then the snapshot leaves
// it out and a prune forgets it.
func TestRegistryLinkDetailRetention(t *testing.T) {
	r := newTestRegistry()
	r.enableDetail()
	seedHost(r, named(lk(5, "veth", ifDown), "v0"))
	applyAt(r, 0, hostMsgs(hostDel(named(lk(5, "veth", ifDown), "v0"))))

	end := t0.Add(r.retention)
	if got := len(interfacesOf(t, r.interfaceSnapshot(end.Add(-time.Nanosecond)), "host")); got != 1 {
		t.Errorf("%d interfaces just before the retention ends, want the deleted one", got)
	}
	if got := interfacesOf(t, r.interfaceSnapshot(end), "host"); len(got) != 0 {
		t.Errorf("interfaces %v at the end of the retention, want none", got)
	}
	r.prune(end.Add(-time.Nanosecond))
	if len(r.self.former) != 1 {
		t.Errorf("prune before the end of the retention forgot the deleted link")
	}
	r.prune(end)
	if r.self.former != nil {
		t.Errorf("former links %v after the retention, want none", r.self.former)
	}
}

// A dead namespace keeps its links' final detail, masters included, for as
// long as it is kept itself.
func TestRegistryLinkDetailNamespaceDeath(t *testing.T) {
	r := newTestRegistry()
	r.enableDetail()
	r.identify(3, 100, "pod", SourceDir, t0)
	applyAt(r, 0, []message{
		newLinkMsg(false, 3, named(withOper(lk(1, "device", ifRunning), 0), "lo")),
		newLinkMsg(false, 3, named(lk(2, "bridge", ifRunning), "br0")),
		newLinkMsg(false, 3, enslaved(named(withCarrier(lk(4, "veth", ifRunning), 1, 1), "eth0"), 2)),
		newLinkMsg(false, 3, withChange(enslaved(named(withCarrier(lk(4, "veth", ifRunning), 2, 1), "eth0"), 2), 0)),
	})
	died := at(time.Second)
	applyAt(r, time.Second, []message{delNSIDMsg(true, 0, 3)})

	want := []Interface{
		{Index: 1, Name: "lo", Kind: "device", OperState: "unknown", Up: true, Carrier: true, Deleted: died},
		{Index: 2, Name: "br0", Kind: "bridge", OperState: "up", Up: true, Carrier: true, Deleted: died},
		{Index: 4, Name: "eth0", Kind: "veth", OperState: "up", Master: "br0", Up: true, Carrier: true, CarrierUp: 1, Deleted: died},
	}
	end := died.Add(r.retention)
	r.prune(end.Add(-time.Nanosecond))
	if diff := cmp.Diff(want, interfacesOf(t, r.interfaceSnapshot(end.Add(-time.Nanosecond)), "pod"), noCreated); diff != "" {
		t.Errorf("interfaces of the dead namespace (-want +got):\n%s", diff)
	}
	r.prune(end)
	if _, ok := nsByName(r.counters(end), "pod"); ok {
		t.Errorf("dead namespace still in the snapshot after its retention")
	}
}

// Without LinkDetail the monitor keeps nothing per link beyond what the
// counters need.
func TestRegistryLinkDetailDisabled(t *testing.T) {
	r := newTestRegistry()
	r.identify(3, 100, "pod", SourceDir, t0)
	seedHost(r, named(lk(2, "bridge", ifRunning), "br0"), enslaved(named(lk(5, "veth", ifRunning), "eth0"), 2))
	applyAt(r, time.Second, []message{
		hostDel(named(lk(5, "veth", ifDown), "eth0")),
		newLinkMsg(false, 3, named(lk(1, "device", ifRunning), "lo")),
	})
	applyAt(r, 2*time.Second, []message{delNSIDMsg(true, 0, 3)})

	if s := r.interfaceSnapshot(at(3 * time.Second)); s.Namespaces != nil {
		t.Errorf("interface snapshot %v without LinkDetail, want none", s.Namespaces)
	}
	for _, ns := range r.byName {
		if ns.former != nil {
			t.Errorf("namespace %s keeps former links without LinkDetail", ns.name)
		}
		for idx, st := range ns.links {
			if st.detail != nil {
				t.Errorf("link %d of %s has detail without LinkDetail", idx, ns.name)
			}
		}
	}
}

// A linkState with its nil detail pointer stays in the 64-byte size class
// it had before: without LinkDetail, per-link memory does not grow.
func TestLinkStateSizeClass(t *testing.T) {
	if s := unsafe.Sizeof(linkState{}); s > 64 {
		t.Errorf("linkState is %d bytes, over the 64-byte size class", s)
	}
}
