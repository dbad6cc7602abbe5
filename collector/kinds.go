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
	n := 0
	for i := range refs {
		n += len(refs[i].Kinds)
	}
	kinds := make([]kindRef, 0, n)
	for i := range refs {
		r := &refs[i]
		for j := range r.Kinds {
			k := &r.Kinds[j]
			kinds = append(kinds, kindRef{KindCounters: k, ns: r, created: w.b.timestamp(k.Created),
				base: w.labels(r, w.b.sharedPair("kind", k.Kind), r.netns)})
		}
	}
	slices.SortStableFunc(kinds, func(a, b kindRef) int { return strings.Compare(a.Kind, b.Kind) })
	return kinds
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
			for _, k := range kinds {
				if n := change.counts(k.KindCounters)[bit]; n != 0 {
					flags.counter(n, k.created, b.join(lp, k.base))
				}
			}
		}
	}
}
