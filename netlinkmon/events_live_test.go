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

//go:build linux

package netlinkmon_test

import (
	"fmt"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// A recorder collects, in the background, the events of the monitor about
// the test's own namespaces.
type recorder struct {
	mu   sync.Mutex
	evs  []netlinkmon.Event
	done chan struct{}
}

func record(t *testing.T, mon *netlinkmon.Monitor, buffer int, names ...string) *recorder {
	t.Helper()
	sub := mon.Subscribe(buffer, func(ev *netlinkmon.Event) bool {
		return ev.Type == netlinkmon.EventResync || slices.Contains(names, ev.Netns)
	})
	r := &recorder{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		var evs []netlinkmon.Event
		for open := true; open; {
			<-sub.Ready()
			evs, open = sub.Take(evs)
			r.mu.Lock()
			r.evs = append(r.evs, evs...)
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		sub.Close()
		<-r.done
	})
	return r
}

func (r *recorder) events() []netlinkmon.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs)
}

// countEvents counts the link events of namespace name as the monitor's
// counters count.
func countEvents(evs []netlinkmon.Event, name string) counts {
	out := counts{}
	add := func(kind, counter string, n uint64) {
		if n == 0 {
			return
		}
		if out[kind] == nil {
			out[kind] = map[string]uint64{}
		}
		out[kind][counter] += n
	}
	for _, ev := range evs {
		if ev.Netns != name {
			continue
		}
		switch ev.Type {
		case netlinkmon.EventCreated:
			add(ev.Kind, "creations", 1)
		case netlinkmon.EventDeleted:
			add(ev.Kind, "deletions", 1)
		case netlinkmon.EventMovedIn:
			add(ev.Kind, "moves_in", 1)
		case netlinkmon.EventMovedOut:
			add(ev.Kind, "moves_out", 1)
		case netlinkmon.EventChanged:
			add(ev.Kind, "carrier_up", uint64(ev.CarrierUp))
			add(ev.Kind, "carrier_down", uint64(ev.CarrierDown))
			for _, f := range ev.FlagsSet {
				add(ev.Kind, "set/"+f, 1)
			}
			for _, f := range ev.FlagsCleared {
				add(ev.Kind, "cleared/"+f, 1)
			}
		}
	}
	return out
}

// waitAgreement waits until the events of each namespace add up to its
// counters. Both change under one lock, so they agree once the recorder
// has read what was sent.
func waitAgreement(t *testing.T, mon *netlinkmon.Monitor, r *recorder, timeout time.Duration, names ...string) []netlinkmon.Event {
	t.Helper()
	var evs []netlinkmon.Event
	waitFor(t, mon, timeout, "events agree with counters", func(s netlinkmon.Snapshot) string {
		evs = r.events()
		for _, name := range names {
			ns, ok := findNS(s, name)
			if !ok {
				return name + " is not in the snapshot"
			}
			if d := cmp.Diff(countsOf(ns), countEvents(evs, name)); d != "" {
				return fmt.Sprintf("namespace %s (-counters +events):\n%s", name, d)
			}
		}
		return ""
	})
	return evs
}

// lifecycles returns, for each netns/link, the events other than changes,
// as type/via, in order.
func lifecycles(evs []netlinkmon.Event) map[string][]string {
	out := map[string][]string{}
	for _, ev := range evs {
		if ev.Type != netlinkmon.EventChanged && ev.Type != netlinkmon.EventResync {
			k := ev.Netns + "/" + ev.Link
			out[k] = append(out[k], string(ev.Type)+"/"+string(ev.Via))
		}
	}
	return out
}

// checkOperStates checks that each change of operstate starts where the
// link's previous event left it.
func checkOperStates(t *testing.T, evs []netlinkmon.Event) {
	t.Helper()
	last := map[string]string{}
	for _, ev := range evs {
		k := fmt.Sprintf("%s/%d", ev.Netns, ev.Ifindex)
		if ev.OldOperState != "" && last[k] != "" && ev.OldOperState != last[k] {
			t.Errorf("%s %s: operstate %s → %s, but the last event left it %s", ev.Netns, ev.Link, ev.OldOperState, ev.OperState, last[k])
		}
		if ev.OperState != "" {
			last[k] = ev.OperState
		}
	}
}

// The events of a link's life, each counted as the counters count it: made,
// brought up, flapped through its peer, moved, deleted; and the links of a
// namespace that appears after the start and dies.
func TestLiveEvents(t *testing.T) {
	t.Parallel()
	a, b := testns.Add(t), testns.Add(t)
	mon := startMonitor(t, dirOptions())
	waitWatched(t, mon, a, netlinkmon.SourceDir, promptly)
	waitWatched(t, mon, b, netlinkmon.SourceDir, promptly)
	c := testns.Name(t, "tns")
	rec := record(t, mon, 10000, a, b, c)
	x, y := testns.Name(t, "ex"), testns.Name(t, "ey")

	inA := func(args ...string) { testns.IP(t, append([]string{"-n", a}, args...)...) }
	inA("link", "add", x, "type", "veth", "peer", "name", y)
	inA("link", "set", x, "up")
	inA("link", "set", y, "up")
	expectLinks(t, mon, a, map[string]int{"device/down": 1, "veth/up": 2})
	evs := waitAgreement(t, mon, rec, eventually, a)
	// The carrier came up once on each end.
	if got := countEvents(evs, a)["veth"]; got["carrier_up"] != 2 || got["set/up"] != 2 {
		t.Errorf("veth counts from events %v, want carrier_up 2 and set/up 2", got)
	}

	inA("link", "set", y, "down")
	inA("link", "set", y, "up")
	inA("link", "set", x, "netns", b)
	testns.IP(t, "-n", b, "link", "del", x)
	expectLinks(t, mon, a, map[string]int{"device/down": 1})

	testns.IP(t, "netns", "add", c)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", c).Run() })
	waitWatched(t, mon, c, netlinkmon.SourceDir, promptly)
	expectCounts(t, mon, c, eventually, counts{"device": {"creations": 1}})
	testns.IP(t, "-n", c, "link", "add", "br0", "type", "bridge")
	expectCounts(t, mon, c, eventually, counts{"device": {"creations": 1}, "bridge": {"creations": 1}})
	testns.Del(t, c)
	waitDead(t, mon, c, promptly)

	evs = waitAgreement(t, mon, rec, eventually, a, b, c)
	want := map[string][]string{
		a + "/" + x: {"created/event", "moved_out/event"},
		a + "/" + y: {"created/event", "deleted/event"},
		b + "/" + x: {"moved_in/event", "deleted/event"},
		c + "/lo":   {"created/dump", "deleted/netns_death"},
		c + "/br0":  {"created/event", "deleted/netns_death"},
	}
	if d := cmp.Diff(want, lifecycles(evs)); d != "" {
		t.Errorf("lifecycles (-want +got):\n%s", d)
	}
	// The flap: the peer's carrier went down and came back.
	if got := countEvents(evs, a)["veth"]; got["carrier_down"] < 2 || got["carrier_up"] != 4 {
		t.Errorf("veth counts from events %v, want carrier_up 4 and carrier_down at least 2", got)
	}
	checkOperStates(t, evs)
	for _, ev := range evs {
		if ev.Time.IsZero() {
			t.Errorf("event without a time: %+v", ev)
		}
		if ev.Type == netlinkmon.EventResync {
			t.Errorf("resync without an overrun: %+v", ev)
		}
	}
}

// After an overrun, the differences a resync finds come as events via the
// dump, after a resync notice, and still add up to the counters.
func TestLiveEventsOverrun(t *testing.T) {
	testns.RequireRoot(t)
	const pairs = 500
	ns := testns.Add(t)
	opts := dirOptions()
	opts.ReceiveBufferSize = 4096
	mon := startMonitor(t, opts)
	waitWatched(t, mon, ns, netlinkmon.SourceDir, eventually)
	rec := record(t, mon, 4*pairs, ns)

	testns.IPBatch(t, ns, vethBatch(pairs, pairs))
	deleteGroupAtCleanup(t, ns)
	expectCounts(t, mon, ns, 30*time.Second, counts{"veth": {"creations": 2 * pairs}})
	evs := waitAgreement(t, mon, rec, eventually, ns)
	if s := mon.Snapshot(); s.Overruns == 0 || s.EventsDropped != 0 {
		t.Fatalf("overruns %d, events dropped %d; want overruns with a 4 KiB receive buffer, and no drop", s.Overruns, s.EventsDropped)
	}
	via := map[netlinkmon.Via]int{}
	resyncs := 0
	for _, ev := range evs {
		switch {
		case ev.Type == netlinkmon.EventResync:
			resyncs++
			if ev.Reason != "overrun" {
				t.Errorf("resync notice %+v, want reason overrun", ev)
			}
		case ev.Type == netlinkmon.EventCreated:
			via[ev.Via]++
			if resyncs == 0 && ev.Via == netlinkmon.ViaDump {
				t.Errorf("creation via a dump before any resync notice: %+v", ev)
			}
		}
	}
	t.Logf("creations by way: %v, resync notices %d", via, resyncs)
	if resyncs == 0 || via[netlinkmon.ViaDump] == 0 {
		t.Errorf("resync notices %d, creations via a dump %d; want some of each", resyncs, via[netlinkmon.ViaDump])
	}
}
