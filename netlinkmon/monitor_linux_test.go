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
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlink-exporter/netlink_exporter/internal/eventfd"
	"github.com/netlink-exporter/netlink_exporter/internal/netns"
)

// newTestMonitor returns a monitor without sockets, whose batches the test
// hands over, and whose requests the reader keeps: what the reader decodes is
// where these tests inject faults.
func newTestMonitor(t *testing.T) *Monitor {
	t.Helper()
	w, err := eventfd.NewWakeup()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	m := &Monitor{
		log:       slog.New(slog.DiscardHandler),
		reg:       newTestRegistry(),
		life:      newLifecycle(time.Now()),
		failed:    make(map[uint64]time.Time),
		resolving: make(map[uint64]struct{}),
	}
	m.reader = newReader(&eventSocket{wake: w}, nil)
	return m
}

// A dump applies to the namespace it was asked for. One asked for an nsid's
// earlier holder, made after that one died, must not kill the namespace that
// holds the nsid when the dump is applied.
func TestMonitorDumpAppliesToItsNamespace(t *testing.T) {
	for _, d := range []dump{
		{err: errNoNamespace},
		{linkDump: linkDump{links: []link{lk(1, "device", 0), lk(7, "bridge", 0)}}},
	} {
		m := newTestMonitor(t)
		old := m.reg.assigned(3, 100, "old", SourceDir, t0)
		// The monitor gave the freed nsid to a new namespace.
		m.apply(batch{resolved: []resolution{{resolveRequest: resolveRequest{cand: candidate("new", 200), src: SourceDir}, nsid: 3, fresh: true}}})
		d.target, d.nsid = old, 3
		m.apply(batch{dumps: []dump{d}})
		m.apply(batch{})
		s := m.Snapshot()
		if n := mustNS(t, s, "new"); !n.Alive || len(n.Kinds) != 0 {
			t.Errorf("dump of the earlier holder (err %v) applied to the new one: alive %v, counters %v", d.err, n.Alive, counted(n))
		}
		if mustNS(t, s, "old").Alive {
			t.Errorf("the earlier holder is alive")
		}
	}
}

// A dump that the kernel kept interrupting changes nothing: it is counted,
// and made again later.
func TestMonitorInterruptedDump(t *testing.T) {
	m := newTestMonitor(t)
	foo := m.reg.identify(3, 100, "foo", SourceDir, t0)
	m.apply(batch{dumps: []dump{{target: foo, nsid: 3, linkDump: linkDump{links: []link{lk(1, "device", 0), lk(2, "veth", 0)}}}}})
	m.apply(batch{})
	before := mustNS(t, m.Snapshot(), "foo")

	// Links 2 went and 3 came while the kernel dumped; it said so.
	now := time.Now()
	m.apply(batch{dumps: []dump{{target: foo, nsid: 3, err: errInterrupted,
		linkDump: linkDump{links: []link{lk(1, "device", 0)}, interruptions: maxDumpAttempts}}}})
	m.apply(batch{})
	s := m.Snapshot()
	if diff := cmp.Diff(before, mustNS(t, s, "foo")); diff != "" {
		t.Errorf("an interrupted dump changed foo (-before +after):\n%s", diff)
	}
	if s.DumpInterruptions != maxDumpAttempts {
		t.Errorf("dump interruptions %d, want %d", s.DumpInterruptions, maxDumpAttempts)
	}
	if foo.seedAt.Before(now.Add(retryDump)) {
		t.Errorf("next dump of foo due at %v, want a retry after %v", foo.seedAt, retryDump)
	}
}

// A namespace whose baseline dump the kernel kept interrupting counts
// nothing, and keeps the baseline incomplete, until a dump completes: that
// one is its baseline.
func TestMonitorInterruptedBaseline(t *testing.T) {
	m := newTestMonitor(t)
	m.reg.counting = false
	foo := m.reg.identify(3, 100, "foo", SourceDir, t0)
	if err := m.applyBaselineDump(foo, linkDump{interruptions: maxDumpAttempts}, errInterrupted); err != nil {
		t.Fatal(err)
	}
	m.reg.counting = true
	m.life.setPhase(counting, nil)
	if n := m.baselinePending(); n != 1 {
		t.Fatalf("baseline pending for %d namespaces, want 1", n)
	}
	if err := m.Ready(); err == nil {
		t.Errorf("ready while foo waits for a complete baseline dump")
	}
	// Messages older than its baseline.
	m.apply(batch{msgs: []message{newLinkMsg(false, 3, lk(5, "veth", 0)), delLinkMsg(false, 3, lk(2, "veth", 0))}})
	m.apply(batch{dumps: []dump{{target: foo, nsid: 3, linkDump: linkDump{links: []link{lk(1, "device", 0), lk(5, "veth", 0)}}}}})
	m.apply(batch{})
	if n := m.baselinePending(); n != 0 {
		t.Errorf("baseline pending for %d namespaces after a complete dump, want 0", n)
	}
	if err := m.Ready(); err != nil {
		t.Errorf("not ready after foo's complete dump: %v", err)
	}
	if k := counted(mustNS(t, m.Snapshot(), "foo")); len(k) != 0 {
		t.Errorf("foo counted %v before or by its baseline", k)
	}
	m.apply(batch{msgs: []message{newLinkMsg(false, 3, lk(6, "veth", 0))}})
	if diff := cmp.Diff([]KindCounters{{Kind: "veth", Creations: 1}}, counted(mustNS(t, m.Snapshot(), "foo")), noKindCreated); diff != "" {
		t.Errorf("foo after its baseline (-want +got):\n%s", diff)
	}
}

// Each fault is injected where the reader hands decoded messages over: a
// lost announcement is repaired at the next rescan, which reads the kernel's
// nsid table and looks up each nsid on which it and the registry disagree.
func TestMonitorRepairs(t *testing.T) {
	t.Run("one RTM_DELNSID dropped", func(t *testing.T) {
		m := newTestMonitor(t)
		m.apply(batch{msgs: []message{newNSIDMsg(true, 0, 3), newLinkMsg(false, 3, lk(2, "veth", 0))}})
		foo := m.reg.byNSID[3]
		m.reg.identify(3, 100, "foo", SourceDir, t0)
		// foo died; its RTM_DELNSID is lost. The next rescan:
		m.apply(batch{nsids: &nsidList{}, drained: time.Now()})
		check := m.reader.takeRequests().confirms
		if diff := cmp.Diff(map[int32]lookup{3: {held: foo}}, check, cmp.AllowUnexported(lookup{}), cmp.Comparer(func(a, b *namespace) bool { return a == b })); diff != "" {
			t.Fatalf("lookups asked (-want +got):\n%s", diff)
		}
		m.apply(batch{confirmed: []confirmation{{lookup: lookup{held: foo}, nsid: 3, exists: false}}})
		s := m.Snapshot()
		if got := mustNS(t, s, "foo"); got.Alive || len(got.Links) != 0 {
			t.Errorf("foo alive %v with links %v after its nsid was found gone", got.Alive, got.Links)
		}
		if diff := cmp.Diff(repairs(1, 0, 0), s.Repairs); diff != "" {
			t.Errorf("repairs (-want +got):\n%s", diff)
		}
	})
	t.Run("one RTM_NEWNSID dropped", func(t *testing.T) {
		m := newTestMonitor(t)
		// A namespace got nsid 3; its RTM_NEWNSID is lost, and it has no
		// link events.
		m.apply(batch{nsids: &nsidList{ids: []int32{3}}, drained: time.Now()})
		check := m.reader.takeRequests().confirms
		if l, ok := check[3]; !ok || l.held != nil {
			t.Fatalf("lookups asked %v, want nsid 3 with no namespace held", check)
		}
		m.apply(batch{confirmed: []confirmation{{nsid: 3, exists: true}}})
		ns := m.reg.byNSID[3]
		if ns == nil || !ns.alive || !m.resolveWanted {
			t.Fatalf("nsid 3 watched %v, scan asked %v; want both", ns != nil, m.resolveWanted)
		}
		if diff := cmp.Diff(repairs(0, 1, 0), m.Snapshot().Repairs); diff != "" {
			t.Errorf("repairs (-want +got):\n%s", diff)
		}
		// Its first dump is due: it counts its links, found after the
		// start.
		if due, _ := m.reg.due(time.Now()); len(due) != 1 || due[0] != ns {
			t.Errorf("no first dump due for the namespace of nsid 3")
		}
	})
	t.Run("an nsid reused before the old holder's death is announced", func(t *testing.T) {
		m := newTestMonitor(t)
		m.apply(batch{msgs: []message{newNSIDMsg(true, 0, 3)}})
		m.reg.identify(3, 100, "foo", SourceDir, t0)
		m.apply(batch{msgs: []message{newNSIDMsg(true, 0, 3), newLinkMsg(false, 3, lk(2, "veth", 0)), delNSIDMsg(true, 0, 3)}})
		s := m.Snapshot()
		if got := mustNS(t, s, "foo"); got.Alive || len(counted(got)) != 0 {
			t.Errorf("foo alive %v with counters %v; want dead, without the new holder's veth", got.Alive, counted(got))
		}
		if ns := m.reg.byNSID[3]; ns == nil || ns.links[2] == nil {
			t.Errorf("the new holder of nsid 3 does not hold its veth")
		}
		if diff := cmp.Diff(repairs(0, 0, 1), s.Repairs); diff != "" {
			t.Errorf("repairs (-want +got):\n%s", diff)
		}
	})
}

// counted returns the counters of ns that are not all zero.
func counted(ns Namespace) []KindCounters {
	var out []KindCounters
	for _, k := range ns.Kinds {
		if !k.isZero() {
			out = append(out, k)
		}
	}
	return out
}

func candidate(name string, inode uint64) netns.Candidate {
	return netns.Candidate{Path: "/run/netns/" + name, Name: name, Inode: inode}
}

// A namespace whose file vanished is looked up; if its nsid names no
// namespace any more, the kernel is destroying it: it is dead, before the
// kernel announces it, and that is no repair.
func TestMonitorFileGone(t *testing.T) {
	m := newTestMonitor(t)
	foo := m.reg.identify(3, 100, "foo", SourceDir, t0)
	m.reg.identify(4, 200, "bar", SourceDir, t0)
	m.lookUpVanished(SourceProc, map[uint64]struct{}{})
	m.lookUpVanished(SourceDir, map[uint64]struct{}{200: {}})
	check := m.reader.takeRequests().confirms
	if diff := cmp.Diff(map[int32]lookup{3: {held: foo, fileGone: true}}, check, cmp.AllowUnexported(lookup{}), cmp.Comparer(func(a, b *namespace) bool { return a == b })); diff != "" {
		t.Fatalf("lookups asked (-want +got):\n%s", diff)
	}
	m.apply(batch{confirmed: []confirmation{{lookup: check[3], nsid: 3, exists: false}}})
	s := m.Snapshot()
	if mustNS(t, s, "foo").Alive || !mustNS(t, s, "bar").Alive {
		t.Errorf("foo alive %v, bar alive %v; want foo dead, bar alive", mustNS(t, s, "foo").Alive, mustNS(t, s, "bar").Alive)
	}
	if diff := cmp.Diff(repairs(0, 0, 0), s.Repairs); diff != "" {
		t.Errorf("repairs (-want +got):\n%s", diff)
	}
	// Its RTM_DELNSID, when the kernel is done, is expected.
	m.apply(batch{msgs: []message{delNSIDMsg(true, 0, 3)}})
	if s := m.Snapshot(); s.Removals != 1 {
		t.Errorf("removals %d, want 1", s.Removals)
	}
	// A scan that failed tells nothing.
	m.lookUpVanished(SourceDir, nil)
	if q := m.reader.takeRequests(); len(q.confirms) != 0 {
		t.Errorf("a failed scan asked lookups %v", q.confirms)
	}
}

// When the nsid table and a vanished file both ask to look up an nsid, the
// table's lookup stands: a namespace whose nsid is gone from the table, yet
// still alive in the registry, missed its RTM_DELNSID.
func TestReaderLookupOfTheTableStands(t *testing.T) {
	for _, tableFirst := range []bool{true, false} {
		m := newTestMonitor(t)
		foo := m.reg.identify(3, 100, "foo", SourceDir, t0)
		if tableFirst {
			m.reader.requestConfirm(map[int32]*namespace{3: foo})
			m.reader.requestLookups([]*namespace{foo})
		} else {
			m.reader.requestLookups([]*namespace{foo})
			m.reader.requestConfirm(map[int32]*namespace{3: foo})
		}
		if l := m.reader.takeRequests().confirms[3]; l.held != foo || l.fileGone {
			t.Errorf("table first %v: lookup %+v, want the table's", tableFirst, l)
		}
	}
}

// The monitor asks for the exporter's own nsid when a namespace appears at
// an nsid, until it knows it; once it does, the host's links are read again
// and the host's tagged events are its own.
func TestMonitorAsksOwnNSID(t *testing.T) {
	m := newTestMonitor(t)
	// An older kernel tags the host's events with its own nsid, 5.
	m.apply(batch{msgs: []message{newLinkMsg(false, 5, lk(7, "veth", 0))}})
	q := m.reader.takeRequests()
	if !q.own {
		t.Fatalf("a link event of an unknown nsid did not ask for the own nsid")
	}
	// The answer arrives in a batch of its own, with nothing else.
	m.apply(batch{own: &ownAnswer{nsid: 5}})
	q = m.reader.takeRequests()
	if _, ok := q.dumps[m.reg.self]; !ok || len(q.dumps) != 1 {
		t.Errorf("dumps asked %v, want the host's alone", q.dumps)
	}
	if _, ok := m.reg.byNSID[5]; ok {
		t.Errorf("nsid 5 is watched as another namespace")
	}
	// Known now: a new namespace no longer asks; the host's tagged event
	// is the host's.
	m.apply(batch{msgs: []message{newNSIDMsg(true, 0, 6), newLinkMsg(false, 5, lk(8, "veth", 0))}})
	if q := m.reader.takeRequests(); q.own {
		t.Errorf("asked for the own nsid again once known")
	}
	if got := m.reg.self.links[8]; got == nil {
		t.Errorf("the host's tagged link 8 is not the host's")
	}
}

// An RTM_DELNSID of a namespace that the baseline found, read before the
// socket was drained, asks for a lookup of its nsid; the lookup decides.
func TestMonitorDoubtedDelNSID(t *testing.T) {
	m := newTestMonitor(t)
	r, foo := earlyRegistry(t)
	m.reg = r
	m.apply(batch{msgs: []message{delNSIDMsg(true, 0, 3)}, emptied: true})
	if !foo.alive {
		t.Fatalf("foo was killed before the lookup")
	}
	q := m.reader.takeRequests()
	if got, want := q.confirms[3], (lookup{held: foo, delRead: true}); got != want {
		t.Fatalf("lookup of nsid 3 = %+v, want %+v", got, want)
	}
	m.apply(batch{confirmed: []confirmation{{lookup: q.confirms[3], nsid: 3, exists: false}}})
	if foo.alive {
		t.Errorf("foo alive after its nsid was found to name no namespace")
	}
	// The socket was drained: foo's successor's death is its own.
	bar := r.identify(4, 101, "bar", SourceDir, at(time.Second))
	m.apply(batch{msgs: []message{newNSIDMsg(true, 0, 4), delNSIDMsg(true, 0, 4)}})
	if bar.alive {
		t.Errorf("bar, found after the baseline, alive after its RTM_DELNSID")
	}
}
