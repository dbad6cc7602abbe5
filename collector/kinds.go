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

package collector

import (
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// A kindRef is the counters of one kind in one namespace, with the label
// pairs and created timestamp that every series of the kind shares.
type kindRef struct {
	*netlinkmon.KindCounters
	ns      *nsRef
	created *timestamppb.Timestamp
	// base are the kind's label pairs: kind, netns, and the pod's.
	base []*dto.LabelPair
}

// sortedKinds returns the counters of every kind of refs ordered by kind,
// then as refs are: the order of their series' label values, in which the
// builder's sort is a linear check.
func (w nsWriter) sortedKinds(refs []nsRef) []kindRef {
	var names []string
	n := 0
	for i := range refs {
		for j := range refs[i].Kinds {
			names = addName(names, refs[i].Kinds[j].Kind)
		}
		n += len(refs[i].Kinds)
	}
	kinds := make([]kindRef, 0, n)
	for _, name := range names {
		for i := range refs {
			r := &refs[i]
			for j := range r.Kinds {
				if k := &r.Kinds[j]; k.Kind == name {
					kinds = append(kinds, kindRef{KindCounters: k, ns: r, created: w.b.timestamp(k.Created),
						base: w.labels(r, w.b.sharedPair("kind", k.Kind), r.netns)})
				}
			}
		}
	}
	return kinds
}

// addName adds name to the sorted names unless they have it. Kinds are
// few (veth, bridge, device, ...): a pass over the namespaces for each
// orders thousands of series by kind faster than a stable sort of them.
func addName(names []string, name string) []string {
	i, found := slices.BinarySearch(names, name)
	if found {
		return names
	}
	return slices.Insert(names, i, name)
}

// flagBitsByName are the flag bits in the order of their names.
var flagBitsByName = func() []int {
	bits := make([]int, netlinkmon.NumFlags)
	for b := range bits {
		bits[b] = b
	}
	slices.SortFunc(bits, func(a, b int) int {
		return strings.Compare(netlinkmon.FlagName(a), netlinkmon.FlagName(b))
	})
	return bits
}()

// kindCounters adds the per-kind families, each in label order.
//
// Moves and flag changes have a series only once they count something, but
// they too were zero since their kind's counters began: their created
// timestamp is the kind's, so that Prometheus counts their first value as
// an increase from zero.
func (w nsWriter) kindCounters(kinds []kindRef) {
	b := w.b
	creations := b.family(w.descs.linkCreations, len(kinds))
	deletions := b.family(w.descs.linkDeletions, len(kinds))
	for _, k := range kinds {
		creations.counter(k.Creations, k.created, k.base)
		deletions.counter(k.Deletions, k.created, k.base)
	}
	// Moves only where the kind has moved at all: most links never do,
	// and a loopback's two zero series in every namespace add up.
	moves := b.family(w.descs.linkMoves, 0)
	in := []*dto.LabelPair{b.sharedPair("direction", "in")}
	for _, k := range kinds {
		if k.MovesIn+k.MovesOut != 0 {
			moves.counter(k.MovesIn, k.created, b.join(in, k.base))
		}
	}
	out := []*dto.LabelPair{b.sharedPair("direction", "out")}
	for _, k := range kinds {
		if k.MovesIn+k.MovesOut != 0 {
			moves.counter(k.MovesOut, k.created, b.join(out, k.base))
		}
	}
	carrier := b.family(w.descs.linkCarrierChanges, 2*len(kinds))
	down := []*dto.LabelPair{b.sharedPair("direction", "down")}
	for _, k := range kinds {
		carrier.counter(k.CarrierDown, k.created, b.join(down, k.base))
	}
	up := []*dto.LabelPair{b.sharedPair("direction", "up")}
	for _, k := range kinds {
		carrier.counter(k.CarrierUp, k.created, b.join(up, k.base))
	}
	// Only flags that changed: every flag, change and kind in every
	// namespace would be 38 series per kind, nearly all zero.
	flagged := slices.DeleteFunc(slices.Clone(kinds), func(k kindRef) bool {
		return k.FlagsSet == [netlinkmon.NumFlags]uint64{} && k.FlagsCleared == [netlinkmon.NumFlags]uint64{}
	})
	flags := b.family(w.descs.linkFlagChanges, 0)
	for _, change := range []struct {
		name   string
		counts func(*netlinkmon.KindCounters) *[netlinkmon.NumFlags]uint64
	}{
		{"cleared", func(k *netlinkmon.KindCounters) *[netlinkmon.NumFlags]uint64 { return &k.FlagsCleared }},
		{"set", func(k *netlinkmon.KindCounters) *[netlinkmon.NumFlags]uint64 { return &k.FlagsSet }},
	} {
		for _, bit := range flagBitsByName {
			lp := []*dto.LabelPair{b.sharedPair("change", change.name), b.sharedPair("flag", netlinkmon.FlagName(bit))}
			for _, k := range flagged {
				if n := change.counts(k.KindCounters)[bit]; n != 0 {
					flags.counter(n, k.created, b.join(lp, k.base))
				}
			}
		}
	}
}
