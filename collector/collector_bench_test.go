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
	"io"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/netlink-exporter/netlink_exporter/internal/scalesnap"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// BenchmarkGather measures Gather alone at the spec's scale: the families
// of a snapshot.
func BenchmarkGather(b *testing.B) {
	g := New(fakeSource(scalesnap.Snapshot()), Options{})
	b.ReportAllocs()
	metrics := 0
	for b.Loop() {
		mfs, done, err := g.Gather()
		if err != nil {
			b.Fatal(err)
		}
		metrics = 0
		for _, mf := range mfs {
			metrics += len(mf.GetMetric())
		}
		done()
	}
	b.ReportMetric(float64(metrics), "metrics/op")
}

// BenchmarkScrape measures what a scrape of the netlink families costs at
// the spec's scale: Gather and text encoding. The spec wants a whole
// default scrape under 15 ms.
func BenchmarkScrape(b *testing.B) {
	benchScrape(b, New(fakeSource(scalesnap.Snapshot()), Options{}), expfmt.TypeTextPlain)
}

// BenchmarkScrapeProto is BenchmarkScrape in the protobuf format, which
// Prometheus 3 asks for to ingest created timestamps.
func BenchmarkScrapeProto(b *testing.B) {
	benchScrape(b, New(fakeSource(scalesnap.Snapshot()), Options{}), expfmt.TypeProtoDelim)
}

// BenchmarkScrapeAggregate is BenchmarkScrape with --netns.aggregate: the
// same 1,000 namespaces, served as one aggregate and a recent view of 5.
func BenchmarkScrapeAggregate(b *testing.B) {
	benchScrape(b, New(fakeSource(scalesnap.Snapshot()), Options{Aggregate: true, Recent: 5}), expfmt.TypeTextPlain)
}

// benchScrape gathers g and encodes it in format, as a scrape does.
func benchScrape(b *testing.B, g prometheus.TransactionalGatherer, format expfmt.FormatType) {
	b.ReportAllocs()
	for b.Loop() {
		mfs, done, err := g.Gather()
		if err != nil {
			b.Fatal(err)
		}
		enc := expfmt.NewEncoder(io.Discard, expfmt.NewFormat(format))
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				b.Fatal(err)
			}
		}
		done()
	}
}

// podSnapshot is a node with pods (a namespace with lo and eth0), their
// veth peers in the host on a bridge, with per-link detail.
func podSnapshot(pods int) netlinkmon.InterfaceSnapshot {
	host := netlinkmon.NamespaceInterfaces{Name: "host", Alive: true, Interfaces: []netlinkmon.Interface{
		{Index: 1, Name: "lo", Kind: "device", OperState: "unknown", Up: true, Carrier: true},
		{Index: 2, Name: "cni0", Kind: "bridge", OperState: "up", Up: true, Carrier: true},
	}}
	snap := netlinkmon.InterfaceSnapshot{}
	for i := range pods {
		host.Interfaces = append(host.Interfaces, netlinkmon.Interface{
			Index: int32(3 + i), Name: fmt.Sprintf("veth%08x", i), Kind: "veth", OperState: "up",
			Master: "cni0", Up: true, Carrier: true, CarrierUp: 1,
		})
		snap.Namespaces = append(snap.Namespaces, netlinkmon.NamespaceInterfaces{
			Name: fmt.Sprintf("cni-%08x", i), Alive: true,
			Interfaces: []netlinkmon.Interface{
				{Index: 1, Name: "lo", Kind: "device", OperState: "unknown", Up: true, Carrier: true},
				{Index: 3, Name: "eth0", Kind: "veth", OperState: "up", Up: true, Carrier: true, CarrierUp: 1},
			},
		})
	}
	snap.Namespaces = append(snap.Namespaces, host)
	return snap
}

// BenchmarkScrapeInterfaces measures what the per-link series of 1,000
// pods add to a scrape: Collect, Gather and text encoding.
func BenchmarkScrapeInterfaces(b *testing.B) {
	c, err := NewInterfaces(fakeInterfaces(podSnapshot(1000)), InterfaceOptions{MaxSeries: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	benchScrape(b, c, expfmt.TypeTextPlain)
}
