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

// totals adds up a snapshot's counters as a reader that aggregates does:
// Namespaces and Expired together, by source, and Unidentified on its own.
func totals(s Snapshot) map[expiredKey]map[string]KindCounters {
	out := make(map[expiredKey]map[string]KindCounters)
	add := func(ns Namespace) {
		k := expiredKey{source: ns.Source}
		if ns.Name == Unidentified {
			k = expiredKey{name: Unidentified}
		}
		if out[k] == nil {
			out[k] = make(map[string]KindCounters)
		}
		for _, c := range ns.Kinds {
			sum, ok := out[k][c.Kind]
			if !ok || c.Created.Before(sum.Created) {
				created := c.Created
				c.Add(&sum)
				c.Created = created
				out[k][c.Kind] = c
				continue
			}
			sum.Add(&c)
			out[k][c.Kind] = sum
		}
	}
	for _, ns := range s.Namespaces {
		add(ns)
	}
	for _, ns := range s.Expired {
		add(ns)
	}
	return out
}

// The sums of namespaces by source, and of Unidentified, stay exact and
// only grow while namespaces die, expire, give their name to a new one, and
// while Unidentified itself expires; the time each kind's series began
// stays.
func TestRegistryExpiredTotals(t *testing.T) {
	r := newTestRegistry()
	dir, proc, unid := expiredKey{source: SourceDir}, expiredKey{source: SourceProc}, expiredKey{name: Unidentified}
	vethUp := func(index int32) link { return withChange(lk(index, "veth", iffUp), iffUp) }

	r.identify(3, 100, "foo", SourceDir, t0)
	r.identify(4, 200, "bar", SourceDir, t0)
	r.identify(5, 300, "baz", SourceProc, t0)
	r.apply([]message{
		newLinkMsg(false, 3, lk(2, "veth", 0)),
		newLinkMsg(false, 3, vethUp(2)),
		newLinkMsg(false, 4, lk(2, "veth", 0)),
		newLinkMsg(false, 5, lk(2, "bridge", 0)),
		// Dies before any scan names it.
		newNSIDMsg(true, 0, 6),
		newLinkMsg(false, 6, lk(2, "veth", 0)),
		delNSIDMsg(true, 0, 6),
	}, t0)
	died := t0.Add(time.Second)
	r.apply([]message{delNSIDMsg(true, 0, 3)}, died)

	flagged := func(c KindCounters) KindCounters { c.FlagsSet[0] = 1; return c }
	type want map[expiredKey]map[string]KindCounters
	steps := []struct {
		name string
		// do changes the registry, then the snapshot is taken at at.
		do   func()
		at   time.Time
		want want
	}{
		{"foo dead", func() {}, died, want{
			dir:  {"veth": flagged(KindCounters{Kind: "veth", Created: t0, Creations: 2, Deletions: 1})},
			proc: {"bridge": {Kind: "bridge", Created: t0, Creations: 1}},
			unid: {"veth": {Kind: "veth", Created: t0, Creations: 1, Deletions: 1}},
		}},
		{"foo and unidentified expired, no prune yet", func() {}, died.Add(time.Minute), nil},
		{"foo and unidentified pruned", func() { r.prune(died.Add(time.Minute)) }, died.Add(time.Minute), nil},
		{"bar dies and a new namespace takes its name", func() {
			at := died.Add(2 * time.Minute)
			r.apply([]message{delNSIDMsg(true, 0, 4)}, at)
			r.identify(7, 400, "bar", SourceDir, at)
			r.apply([]message{newLinkMsg(false, 7, lk(2, "veth", 0))}, at)
		}, died.Add(2 * time.Minute), want{
			dir:  {"veth": flagged(KindCounters{Kind: "veth", Created: t0, Creations: 3, Deletions: 2})},
			proc: {"bridge": {Kind: "bridge", Created: t0, Creations: 1}},
			unid: {"veth": {Kind: "veth", Created: t0, Creations: 1, Deletions: 1}},
		}},
		{"another unnamed death after unidentified expired", func() {
			at := died.Add(3 * time.Minute)
			r.apply([]message{newNSIDMsg(true, 0, 8), newLinkMsg(false, 8, lk(2, "bridge", 0)), delNSIDMsg(true, 0, 8)}, at)
		}, died.Add(3 * time.Minute), want{
			dir:  {"veth": flagged(KindCounters{Kind: "veth", Created: t0, Creations: 3, Deletions: 2})},
			proc: {"bridge": {Kind: "bridge", Created: t0, Creations: 1}},
			unid: {
				"veth":   {Kind: "veth", Created: t0, Creations: 1, Deletions: 1},
				"bridge": {Kind: "bridge", Created: died.Add(3 * time.Minute), Creations: 1, Deletions: 1},
			},
		}},
		{"everything dead and pruned", func() {
			at := died.Add(4 * time.Minute)
			r.apply([]message{delNSIDMsg(true, 0, 5), delNSIDMsg(true, 0, 7)}, at)
			r.prune(at.Add(time.Minute))
		}, died.Add(5 * time.Minute), want{
			dir:  {"veth": flagged(KindCounters{Kind: "veth", Created: t0, Creations: 3, Deletions: 3})},
			proc: {"bridge": {Kind: "bridge", Created: t0, Creations: 1, Deletions: 1}},
			unid: {
				"veth":   {Kind: "veth", Created: t0, Creations: 1, Deletions: 1},
				"bridge": {Kind: "bridge", Created: died.Add(3 * time.Minute), Creations: 1, Deletions: 1},
			},
		}},
	}
	var last want
	for _, step := range steps {
		step.do()
		s := r.counters(step.at)
		got := totals(s)
		delete(got, expiredKey{source: SourceSelf})
		w := step.want
		if w == nil {
			w = last
		}
		if diff := cmp.Diff(map[expiredKey]map[string]KindCounters(w), got, cmp.AllowUnexported(expiredKey{})); diff != "" {
			t.Errorf("%s: totals (-want +got):\n%s", step.name, diff)
		}
		last = w
	}
	if got := names(r.counters(died.Add(5 * time.Minute))); !cmp.Equal(got, []string{"host"}) {
		t.Errorf("namespaces at the end %v, want host alone", got)
	}
}
