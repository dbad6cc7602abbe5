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
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// A builder makes the metric families of one scrape. Its series, label
// pairs and timestamps are cut from slabs: client_golang's registry makes
// each series a prometheus.Metric, then a dto.Metric with its own value,
// labels and timestamp, and checks and hashes it, which was most of a
// scrape at 1,000 namespaces.
//
// The builder does what the registry's checks did for this package: it
// leaves out, with an error, a series with a label value that is not valid
// UTF-8 and a second series with the same labels, and it sorts each
// family's series by label values as the registry does. Emitted in that
// order, which the callers keep to, the sort is a linear check.
type builder struct {
	families []*dto.MetricFamily
	counters slab[counterSeries]
	gauges   slab[gaugeSeries]
	labels   slab[*dto.LabelPair]
	pairs    slab[labelPair]
	times    slab[timestamppb.Timestamp]
	// shared holds the label pairs that many series share, by name and
	// value.
	shared map[[2]string]*dto.LabelPair
	// invalid holds the pairs whose value is not valid UTF-8, nil while
	// there are none.
	invalid map[*dto.LabelPair]bool
}

// A desc describes a metric family: its name, help and type, and its label
// names in the order of the label pairs of its series (sorted).
type desc struct {
	name, help string
	typ        dto.MetricType
	labels     []string
}

// A family is a metric family that a builder is making.
type family struct {
	b  *builder
	mf *dto.MetricFamily
}

// counterSeries and gaugeSeries are a series with the value its dto.Metric
// points to, allocated together.
type counterSeries struct {
	m dto.Metric
	c dto.Counter
	v float64
}

type gaugeSeries struct {
	m dto.Metric
	g dto.Gauge
	v float64
}

type labelPair struct {
	lp          dto.LabelPair
	name, value string
}

func newBuilder() *builder {
	return &builder{shared: make(map[[2]string]*dto.LabelPair)}
}

// reset empties b for another scrape, keeping its slabs. It zeroes what
// they handed out, so that a builder at rest holds no snapshot alive.
func (b *builder) reset() {
	b.families = nil
	b.counters.reset()
	b.gauges.reset()
	b.labels.reset()
	b.pairs.reset()
	b.times.reset()
	clear(b.shared)
	b.invalid = nil
}

// builders keeps the builder of the last scrape for the next one. Its
// slabs are nearly all that a scrape allocates (4 MiB at 1,000
// namespaces), and made anew they made the GC run twice a scrape. A
// builder is reused only once the families it made have been served: the
// gatherers are transactional, and promhttp calls done after encoding.
//
// One builder is kept, not a sync.Pool's: scrapes seldom overlap, and a
// pool whose builder sits in one CPU's private slot made another for a
// scrape served on the other CPU, and kept both.
type builders struct {
	idle chan *builder
}

func newBuilders() builders {
	return builders{idle: make(chan *builder, 1)}
}

func (p builders) get() *builder {
	select {
	case b := <-p.idle:
		return b
	default:
		return newBuilder()
	}
}

// release returns the done func of a Gather that b served: a second call
// must not hand b out twice.
func (p builders) release(b *builder) func() {
	return sync.OnceFunc(func() {
		b.reset()
		select {
		case p.idle <- b:
		default: // another scrape's builder is kept
		}
	})
}

// family starts the family of d, with room for n series.
func (b *builder) family(d *desc, n int) family {
	mf := &dto.MetricFamily{Name: &d.name, Help: &d.help, Type: &d.typ, Metric: make([]*dto.Metric, 0, n)}
	b.families = append(b.families, mf)
	return family{b: b, mf: mf}
}

// counter adds a counter series, created at created (nil if unknown).
// Series may share labels, which must be sorted by name.
func (f family) counter(v uint64, created *timestamppb.Timestamp, labels []*dto.LabelPair) {
	s := f.b.counters.next()
	s.v = float64(v)
	s.c.Value, s.c.CreatedTimestamp = &s.v, created
	s.m.Label, s.m.Counter = labels, &s.c
	f.mf.Metric = append(f.mf.Metric, &s.m)
}

// gauge adds a gauge series, like counter.
func (f family) gauge(v float64, labels []*dto.LabelPair) {
	s := f.b.gauges.next()
	s.v = v
	s.g.Value = &s.v
	s.m.Label, s.m.Gauge = labels, &s.g
	f.mf.Metric = append(f.mf.Metric, &s.m)
}

// pair returns a new label pair, for a value that no other series has.
func (b *builder) pair(name, value string) *dto.LabelPair {
	p := b.pairs.next()
	p.name, p.value = name, value
	p.lp.Name, p.lp.Value = &p.name, &p.value
	if !utf8.ValidString(value) {
		if b.invalid == nil {
			b.invalid = make(map[*dto.LabelPair]bool)
		}
		b.invalid[&p.lp] = true
	}
	return &p.lp
}

// sharedPair returns the label pair of name and value that series share.
func (b *builder) sharedPair(name, value string) *dto.LabelPair {
	k := [2]string{name, value}
	lp, ok := b.shared[k]
	if !ok {
		lp = b.pair(name, value)
		b.shared[k] = lp
	}
	return lp
}

// join returns the label pairs of lists one after the other.
func (b *builder) join(lists ...[]*dto.LabelPair) []*dto.LabelPair {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := b.labels.cut(n)[:0]
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// timestamp returns t as a created timestamp, or nil for the zero time,
// which says that the source does not know when a counter began.
func (b *builder) timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	ts := b.times.next()
	ts.Seconds, ts.Nanos = t.Unix(), int32(t.Nanosecond())
	return ts
}

// gather returns the families that have series, sorted by name, each
// with its series sorted by label values, and an error for each series
// left out.
func (b *builder) gather() ([]*dto.MetricFamily, error) {
	var errs prometheus.MultiError
	out := b.families[:0]
	for _, mf := range b.families {
		mf.Metric = b.valid(mf, &errs)
		if len(mf.Metric) > 0 {
			out = append(out, mf)
		}
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, errs.MaybeUnwrap()
}

// valid returns the series of mf sorted, without those with an invalid
// label value or the labels of another.
func (b *builder) valid(mf *dto.MetricFamily, errs *prometheus.MultiError) []*dto.Metric {
	ms := mf.Metric
	if b.invalid != nil {
		ms = slices.DeleteFunc(ms, func(m *dto.Metric) bool {
			for _, lp := range m.Label {
				if b.invalid[lp] {
					errs.Append(fmt.Errorf("collector: %s%s: label %s: value not valid UTF-8", mf.GetName(), labelText(m), lp.GetName()))
					return true
				}
			}
			return false
		})
	}
	if !slices.IsSortedFunc(ms, compareLabels) {
		slices.SortStableFunc(ms, compareLabels)
	}
	return slices.CompactFunc(ms, func(a, b *dto.Metric) bool {
		if compareLabels(a, b) != 0 {
			return false
		}
		errs.Append(fmt.Errorf("collector: %s%s: duplicate series", mf.GetName(), labelText(b)))
		return true
	})
}

// compareLabels orders series as client_golang's registry does: by label
// values, in the order of the label pairs.
func compareLabels(a, b *dto.Metric) int {
	if c := cmp.Compare(len(a.Label), len(b.Label)); c != 0 {
		return c
	}
	for i, lp := range a.Label {
		if c := strings.Compare(lp.GetValue(), b.Label[i].GetValue()); c != 0 {
			return c
		}
	}
	return 0
}

// labelText returns the labels of m as the text format writes them, for
// errors.
func labelText(m *dto.Metric) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, lp := range m.Label {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "%s=%q", lp.GetName(), lp.GetValue())
	}
	sb.WriteByte('}')
	return sb.String()
}

// slabSize is how many values a slab allocates at a time: 512 series are
// about 90 KiB.
const slabSize = 512

// A slab hands out values of T cut from arrays of slabSize, so that a scrape
// allocates per slab rather than per value, and a reset slab hands out the
// same arrays again.
type slab[T any] struct {
	arrays [][]T // every array made
	used   int   // how many of arrays were cut from since the reset
	free   []T
}

func (s *slab[T]) next() *T {
	return &s.cut(1)[0]
}

// cut returns n zero values, with no room to append beyond them.
func (s *slab[T]) cut(n int) []T {
	if len(s.free) < n {
		s.free = s.array(n)
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}

// array returns the next array of at least n values.
func (s *slab[T]) array(n int) []T {
	if s.used == len(s.arrays) {
		s.arrays = append(s.arrays, nil)
	}
	a := s.arrays[s.used]
	if len(a) < n {
		a = make([]T, max(n, slabSize))
		s.arrays[s.used] = a
	}
	s.used++
	return a
}

// reset zeroes the values handed out and starts again at the first array.
func (s *slab[T]) reset() {
	for _, a := range s.arrays[:s.used] {
		clear(a)
	}
	s.used, s.free = 0, nil
}
