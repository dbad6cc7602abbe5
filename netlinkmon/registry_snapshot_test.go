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
	"fmt"
	"slices"
	"testing"
)

// scaleRegistry returns a registry watching the spec's 1,000 namespaces,
// each with a loopback, 8 veths and an ifb, as the bench makes them.
func scaleRegistry() *registry {
	r := newTestRegistry()
	for i := range int32(1000) {
		nsid := i + 1
		r.identify(nsid, uint64(5000+nsid), fmt.Sprintf("ns-%d", nsid), SourceDir, t0)
		msgs := []message{newLinkMsg(false, nsid, lk(1, "device", 0))}
		for j := range int32(8) {
			msgs = append(msgs, newLinkMsg(false, nsid, lk(2+j, "veth", 0)))
		}
		msgs = append(msgs, newLinkMsg(false, nsid, lk(10, "ifb", 0)))
		r.apply(msgs, t0)
	}
	return r
}

// BenchmarkSnapshot measures the copy that each scrape takes of the
// counters at the spec's scale, under the monitor's lock.
func BenchmarkSnapshot(b *testing.B) {
	r := scaleRegistry()
	b.ReportAllocs()
	for b.Loop() {
		s := r.counters(t0)
		if len(s.Namespaces) != 1001 {
			b.Fatalf("%d namespaces, want 1,001", len(s.Namespaces))
		}
	}
}

// The namespaces of a snapshot share an array of kinds and one of link
// counts, but a reader that appends to one namespace's slices does not
// write into the next one's.
func TestSnapshotSlicesApart(t *testing.T) {
	s := scaleRegistry().counters(t0)
	// Two namespaces with links, next to each other (the host, first, has
	// none).
	first, second := &s.Namespaces[1], &s.Namespaces[2]
	if len(first.Kinds) == 0 || len(first.Links) == 0 || len(second.Kinds) == 0 || len(second.Links) == 0 {
		t.Fatalf("%s and %s: %d, %d kinds and %d, %d link counts; want some of each",
			first.Name, second.Name, len(first.Kinds), len(second.Kinds), len(first.Links), len(second.Links))
	}
	wantKinds := slices.Clone(second.Kinds)
	wantLinks := slices.Clone(second.Links)
	// Past the room each has, into where the next one's would be.
	for range cap(first.Kinds) - len(first.Kinds) + 1 {
		first.Kinds = append(first.Kinds, KindCounters{Kind: "appended"})
	}
	for range cap(first.Links) - len(first.Links) + 1 {
		first.Links = append(first.Links, LinkCount{Kind: "appended"})
	}
	if !slices.EqualFunc(second.Kinds, wantKinds, func(a, b KindCounters) bool { return a == b }) {
		t.Errorf("%s: kinds %+v after an append to %s's, want %+v", second.Name, second.Kinds, first.Name, wantKinds)
	}
	if !slices.Equal(second.Links, wantLinks) {
		t.Errorf("%s: links %+v after an append to %s's, want %+v", second.Name, second.Links, first.Name, wantLinks)
	}
}
