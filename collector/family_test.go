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
	"fmt"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/netlink-exporter/netlink_exporter/internal/scalesnap"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// familiesText returns mfs in the text format, failing tb on an error.
func familiesText(tb testing.TB) func([]*dto.MetricFamily, error) string {
	return func(mfs []*dto.MetricFamily, err error) string {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		var sb strings.Builder
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(&sb, mf); err != nil {
				tb.Fatal(err)
			}
		}
		return sb.String()
	}
}

// A builder reset after a scrape makes the next scrape's families and
// errors exactly as a new builder does, whether the next snapshot is
// larger or smaller (1,000 namespaces take many slab arrays, a few
// namespaces part of one) or follows one with a name that is not valid
// UTF-8, and holds nothing of the last one.
func TestBuilderReuse(t *testing.T) {
	big, small, bad := scalesnap.Snapshot(), clusterSnapshot(t), clusterSnapshot(t)
	bad.Namespaces[0].Name += "\xff"
	scrape := func(g *netlinkGatherer, b *builder, snap netlinkmon.Snapshot) string {
		mfs, err := g.build(b, snap)
		var sb strings.Builder
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(&sb, mf); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&sb, "error: %v\n", err)
		return sb.String()
	}
	for _, opts := range []Options{{}, {PodLabels: true}, {Aggregate: true, Recent: 2}} {
		g := New(nil, opts).(*netlinkGatherer)
		b := newBuilder()
		for i, snap := range []netlinkmon.Snapshot{small, big, bad, small, big} {
			want := scrape(g, newBuilder(), snap)
			if got := scrape(g, b, snap); got != want {
				t.Errorf("%+v, scrape %d: %d bytes reusing a builder, %d from a new one", opts, i, len(got), len(want))
			}
			b.reset()
			if b.pairs.used != 0 || b.counters.used != 0 || len(b.shared) != 0 {
				t.Fatalf("%+v, scrape %d: reset left %d pair and %d counter arrays in use, %d shared pairs",
					opts, i, b.pairs.used, b.counters.used, len(b.shared))
			}
			for _, a := range b.pairs.arrays {
				for j := range a {
					p := &a[j]
					if p.name != "" || p.value != "" || p.lp.Name != nil {
						t.Fatalf("%+v, scrape %d: reset kept label pair %s=%q", opts, i, p.name, p.value)
					}
				}
			}
			for _, a := range b.counters.arrays {
				for j := range a {
					s := &a[j]
					if s.m.Label != nil || s.c.Value != nil || s.c.CreatedTimestamp != nil {
						t.Fatalf("%+v, scrape %d: reset kept a counter series", opts, i)
					}
				}
			}
		}
	}
}

// changing holds what a test's source serves, which the test changes
// between scrapes.
type changing[T any] struct {
	mu   sync.Mutex
	snap T
}

func (c *changing[T]) get() T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap
}

func (c *changing[T]) set(snap T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snap = snap
}

// A switchingSource serves the snapshot that the test set last.
type switchingSource struct {
	changing[netlinkmon.Snapshot]
}

func (s *switchingSource) Snapshot() netlinkmon.Snapshot { return s.get() }

// The families of a Gather stay as they were until its done func is
// called, whatever Gathers run meanwhile or after another's done.
func TestGatherUntilDone(t *testing.T) {
	text := familiesText(t)
	big, small := scalesnap.Snapshot(), clusterSnapshot(t)
	wantBig := text(New(fakeSource(big), Options{}).(*netlinkGatherer).build(newBuilder(), big))
	wantSmall := text(New(fakeSource(small), Options{}).(*netlinkGatherer).build(newBuilder(), small))

	src := &switchingSource{}
	src.set(big)
	g := New(src, Options{})
	gather := func() ([]*dto.MetricFamily, func()) {
		mfs, done, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		return mfs, done
	}
	first, doneFirst := gather()
	src.set(small)
	second, doneSecond := gather()
	if got := text(first, nil); got != wantBig {
		t.Errorf("first scrape changed by a second one: %d bytes, want %d", len(got), len(wantBig))
	}
	doneFirst()
	third, doneThird := gather() // with the first scrape's builder
	doneFirst()                  // late and again: must not reset it
	fourth, doneFourth := gather()
	for name, c := range map[string]struct {
		mfs  []*dto.MetricFamily
		want string
	}{"second": {second, wantSmall}, "third": {third, wantSmall}, "fourth": {fourth, wantSmall}} {
		if got := text(c.mfs, nil); got != c.want {
			t.Errorf("%s scrape: %d bytes, want %d", name, len(got), len(c.want))
		}
	}
	doneSecond()
	doneThird()
	doneFourth()
}
