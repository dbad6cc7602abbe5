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
	"slices"
	"strings"
	"time"
)

// An expiredKey names the sum that a namespace's counters join once it
// leaves snapshots: its source for a named namespace, Unidentified for the
// namespaces that died unnamed. Neither changes in a namespace's life, so a
// namespace never moves from one sum to another.
type expiredKey struct {
	name   string
	source Source
}

func expiredKeyOf(ns *namespace) expiredKey {
	if ns.name == Unidentified {
		return expiredKey{name: Unidentified}
	}
	return expiredKey{source: ns.source}
}

// newExpired returns an empty sum, dead and named after its key.
func newExpired(k expiredKey) *namespace {
	ns := newNamespace(NoNSID)
	ns.name, ns.source, ns.alive = k.name, k.source, false
	ns.links, ns.gone = nil, nil
	return ns
}

// retire adds the counters of ns, which leaves snapshots, to the sum of its
// key; see Snapshot.Expired.
func (r *registry) retire(ns *namespace) {
	k := expiredKeyOf(ns)
	sum, ok := r.retired[k]
	if !ok {
		sum = newExpired(k)
		r.retired[k] = sum
	}
	sum.merge(ns, r.started)
}

// merge adds the counters of ns to sum. Each kind keeps the earliest time a
// series of it began, so that the created timestamp of a total made of sum
// and of the namespaces still in snapshots never moves.
func (sum *namespace) merge(ns *namespace, started time.Time) {
	for kind, c := range ns.counters {
		created := ns.began(c.Created, started)
		k, ok := sum.counters[kind]
		if !ok {
			k = &KindCounters{Kind: kind, Created: created}
			sum.counters[kind] = k
		}
		if created.Before(k.Created) {
			k.Created = created
		}
		k.Add(c)
	}
	if ns.lastEvent.After(sum.lastEvent) {
		sum.lastEvent = ns.lastEvent
	}
}

// expiredSnapshot returns the sums of the namespaces that left snapshots,
// and of late: those that expired by the time of the snapshot, which it
// leaves out, but that no prune has retired yet.
func (r *registry) expiredSnapshot(late []*namespace) []Namespace {
	if len(r.retired) == 0 && len(late) == 0 {
		return nil
	}
	sums := r.retired
	if len(late) > 0 {
		sums = make(map[expiredKey]*namespace, len(r.retired)+1)
		for k, sum := range r.retired {
			c := newExpired(k)
			c.merge(sum, r.started)
			sums[k] = c
		}
		for _, ns := range late {
			k := expiredKeyOf(ns)
			if sums[k] == nil {
				sums[k] = newExpired(k)
			}
			sums[k].merge(ns, r.started)
		}
	}
	out := make([]Namespace, 0, len(sums))
	for _, sum := range sums {
		out = append(out, sum.snapshot(r.started, nil))
	}
	slices.SortFunc(out, func(a, b Namespace) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(string(a.Source), string(b.Source)))
	})
	return out
}
