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
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// scaleSnapshot is the spec's scale: 1,000 namespaces, each with 10 veths
// and a loopback.
func scaleSnapshot(b *testing.B) netlinkmon.Snapshot {
	up := flagBit(b, "up")
	started := time.Unix(1700000000, 0)
	snap := netlinkmon.Snapshot{
		Discoveries: 1000,
		Resyncs:     map[string]uint64{"overrun": 1},
		Messages:    map[string]uint64{"newlink": 40000, "dellink": 10000, "newnsid": 1000},
		Started:     started,
	}
	for i := range 1000 {
		created := started.Add(time.Duration(i) * time.Second)
		veth := netlinkmon.KindCounters{Kind: "veth", Created: created, Creations: 10, CarrierUp: 10}
		veth.FlagsSet[up] = 10
		snap.Namespaces = append(snap.Namespaces, netlinkmon.Namespace{
			Name: fmt.Sprintf("cni-%08x", i), Inode: 4026532000 + uint64(i), NSID: int32(i),
			Source: netlinkmon.SourceDir, Alive: true, LastEvent: time.Unix(1700000000, 0),
			Kinds: []netlinkmon.KindCounters{{Kind: "device", Created: created}, veth},
			Links: []netlinkmon.LinkCount{
				{Kind: "device", OperState: "unknown", Count: 1},
				{Kind: "veth", OperState: "up", Count: 10},
			},
		})
	}
	return snap
}

// BenchmarkCollect measures Collect alone at the spec's scale.
func BenchmarkCollect(b *testing.B) {
	c := New(fakeSource(scaleSnapshot(b)), Options{})
	ch := make(chan prometheus.Metric, 1024)
	done := make(chan int)
	go func() {
		n := 0
		for range ch {
			n++
		}
		done <- n
	}()
	b.ReportAllocs()
	for b.Loop() {
		c.Collect(ch)
	}
	close(ch)
	b.ReportMetric(float64(<-done)/float64(b.N), "metrics/op")
}

// BenchmarkScrape measures what a scrape of the collector costs at the
// spec's scale: Collect, Gather and text encoding. The spec wants a whole
// default scrape under 50 ms.
func BenchmarkScrape(b *testing.B) {
	benchScrape(b, New(fakeSource(scaleSnapshot(b)), Options{}))
}

// BenchmarkScrapeAggregate is BenchmarkScrape with --netns.aggregate: the
// same 1,000 namespaces, served as one aggregate and a recent view of 5.
func BenchmarkScrapeAggregate(b *testing.B) {
	benchScrape(b, New(fakeSource(scaleSnapshot(b)), Options{Aggregate: true, Recent: 5}))
}

// benchScrape gathers c and encodes it as text, as a scrape does.
func benchScrape(b *testing.B, c prometheus.Collector) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	b.ReportAllocs()
	for b.Loop() {
		mfs, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		enc := expfmt.NewEncoder(io.Discard, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				b.Fatal(err)
			}
		}
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
	benchScrape(b, c)
}
