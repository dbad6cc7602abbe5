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

package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
)

func TestScrapeQueries(t *testing.T) {
	s := scrape{body: []byte(`# HELP netlink_link_creations_total Links.
# TYPE netlink_link_creations_total counter
netlink_link_creations_total{kind="veth",netns="a"} 4000
netlink_link_creations_total{kind="bridge",netns="a"} 1
netlink_link_creations_total{kind="veth",netns="b\"q\\x"} 2
netlink_link_creations_total_extra{kind="veth",netns="a"} 7
netlink_netns_removals_total 3
netlink_netns_info{inode="4026532",netns="a",nsid="5",source="dir"} 1
netlink_netns_last_event_timestamp_seconds{netns="a"} 1.7000000005e+09
`)}
	if got := s.count(mCreations, "a", "veth"); got != 4000 {
		t.Errorf("count(a, veth) = %d, want 4000", got)
	}
	if got := s.count(mCreations, `b"q\x`, "veth"); got != 2 {
		t.Errorf("count with escapes = %d, want 2", got)
	}
	if got := s.total(mRemovals); got != 3 {
		t.Errorf("total(removals) = %v, want 3", got)
	}
	if sum, n := s.sum(mCreations, netnsPrefix("a")); sum != 4001 || n != 2 {
		t.Errorf("sum(a*) = %v over %d, want 4001 over 2", sum, n)
	}
	if id, ok, err := s.nsid("a"); id != 5 || !ok || err != nil {
		t.Errorf("nsid(a) = %d, %v, %v; want 5, true, nil", id, ok, err)
	}
	if _, ok, _ := s.nsid("b"); ok {
		t.Error("nsid(b) found, want not watched")
	}
	if got := s.lastEvent("a").UnixMilli(); got != 1700000000500 {
		t.Errorf("lastEvent(a) = %d ms, want 1700000000500", got)
	}
	if got := s.series(); got != 7 {
		t.Errorf("series = %d, want 7", got)
	}
}

func TestParseMonitorLine(t *testing.T) {
	for _, tc := range []struct {
		line    string
		nsid    int
		name    string
		deleted bool
		ok      bool
	}{
		{"[nsid 0]2: b0@NONE: <BROADCAST,MULTICAST> mtu 1500", 0, "b0", false, true},
		{"[nsid 12]3: a0@if2: <BROADCAST,MULTICAST,M-DOWN> mtu 1500", 12, "a0", false, true},
		{"5: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500", -1, "eth0", false, true},
		{"Deleted [nsid 1]7: a9@if8: <BROADCAST>", 1, "a9", true, true},
		{"[nsid 1]Deleted 7: a9@if8: <BROADCAST>", 1, "a9", true, true},
		{"    link/ether 0e:2b:1a:71:4f:c7 brd ff:ff:ff:ff:ff:ff", 0, "", false, false},
		{"", 0, "", false, false},
		{"Error: something", 0, "", false, false},
	} {
		nsid, name, deleted, ok := parseMonitorLine(tc.line)
		if ok != tc.ok || ok && (nsid != tc.nsid || name != tc.name || deleted != tc.deleted) {
			t.Errorf("parseMonitorLine(%q) = %d, %q, %v, %v; want %d, %q, %v, %v",
				tc.line, nsid, name, deleted, ok, tc.nsid, tc.name, tc.deleted, tc.ok)
		}
	}
}

func TestIsBurstLink(t *testing.T) {
	for name, want := range map[string]bool{"a0": true, "b1999": true, "ready": false, "ready0": false, "a": false, "bx": false, "c1": false} {
		if got := isBurstLink(name); got != want {
			t.Errorf("isBurstLink(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestMedian(t *testing.T) {
	if got := median([]int{5, 1, 3}); got != 3 {
		t.Errorf("median odd = %d, want 3", got)
	}
	if got := median([]int{4, 1, 3, 2}); got != 2 {
		t.Errorf("median even = %d, want 2 (lower middle)", got)
	}
	if got := median([]float64(nil)); got != 0 {
		t.Errorf("median empty = %v, want 0", got)
	}
}

func TestScaleLines(t *testing.T) {
	if got := len(scaleLines("n", 10)); got != 1+4+1 {
		t.Errorf("scaleLines(10) has %d lines, want netns add + 4 veth pairs + 1 ifb", got)
	}
	if got := len(scaleLines("n", 3)); got != 1+1 {
		t.Errorf("scaleLines(3) has %d lines, want netns add + 1 veth pair", got)
	}
}

func TestParseGCLine(t *testing.T) {
	line := "gc 12 @3.456s 1%: 0.012+1.2+0.003 ms clock, 0.024+0.1/0.5/0+0.006 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
	if c, ok := parseGCLine(line); !ok || c.n != 12 || c.liveMB != 2 {
		t.Errorf("parseGCLine = %+v, %v; want n 12, live 2", c, ok)
	}
	if _, ok := parseGCLine("time=... level=WARN msg=x\n"); ok {
		t.Error("log line parsed as GC")
	}
}

// scaleBody is a /metrics body of n namespaces, each with lo and 10 veths,
// in the exporter's families: about 1 MB for 1,000.
func scaleBody(n int) []byte {
	var b bytes.Buffer
	family := func(name, typ string, line func(ns string, i int)) {
		fmt.Fprintf(&b, "# HELP %s Help.\n# TYPE %s %s\n", name, name, typ)
		for i := range n {
			line(fmt.Sprintf("cni-%08x", i), i)
		}
	}
	family("netlink_link_carrier_changes_total", "counter", func(ns string, _ int) {
		for _, k := range []string{"device", "veth"} {
			for _, d := range []string{"down", "up"} {
				fmt.Fprintf(&b, "netlink_link_carrier_changes_total{direction=%q,kind=%q,netns=%q} 10\n", d, k, ns)
			}
		}
	})
	for _, name := range []string{mCreations, mDeletions} {
		family(name, "counter", func(ns string, _ int) {
			fmt.Fprintf(&b, "%s{kind=\"device\",netns=%q} 1\n%s{kind=\"veth\",netns=%q} 10\n", name, ns, name, ns)
		})
	}
	family("netlink_link_flag_changes_total", "counter", func(ns string, _ int) {
		fmt.Fprintf(&b, "netlink_link_flag_changes_total{change=\"set\",flag=\"up\",kind=\"veth\",netns=%q} 10\n", ns)
	})
	family(mLinks, "gauge", func(ns string, _ int) {
		fmt.Fprintf(&b, "netlink_links{kind=\"device\",netns=%q,operstate=\"unknown\"} 1\nnetlink_links{kind=\"veth\",netns=%q,operstate=\"up\"} 10\n", ns, ns)
	})
	family(mNetnsInfo, "gauge", func(ns string, i int) {
		fmt.Fprintf(&b, "netlink_netns_info{inode=\"%d\",netns=%q,nsid=\"%d\",source=\"dir\"} 1\n", 4026532000+i, ns, i)
	})
	family(mLastEvent, "gauge", func(ns string, _ int) {
		fmt.Fprintf(&b, "netlink_netns_last_event_timestamp_seconds{netns=%q} 1.7e+09\n", ns)
	})
	return b.Bytes()
}

// BenchmarkScrapeQuery measures one poll of the scale stage's wait with
// 1,000 namespaces watched, minus the HTTP request: a parse of the body and
// a query. The bench's line filter against expfmt, as the end-to-end tests
// parse: the difference is CPU that the bench takes from the exporter it
// measures.
func BenchmarkScrapeQuery(b *testing.B) {
	body := scaleBody(1000)
	b.Run("filter", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, n := (scrape{body: body}).sum(mNetnsInfo, netnsPrefix("cni-")); n != 1000 {
				b.Fatalf("%d namespaces, want 1000", n)
			}
		}
	})
	b.Run("expfmt", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			m, err := harness.ParseMetrics(bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			if _, n := m.Sum(mNetnsInfo, map[string]string{"source": "dir"}); n != 1000 {
				b.Fatalf("%d namespaces, want 1000", n)
			}
		}
	})
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
		check   func(config) bool
	}{
		{args: nil, check: func(c config) bool { return c.busyNS == 150 && c.runs("churn") && c.runs("lifecycle") }},
		{args: []string{"-quick"}, check: func(c config) bool { return c.busyNS == 20 && c.churn == 50 }},
		{args: []string{"-quick", "-busy-ns=7"}, check: func(c config) bool { return c.busyNS == 7 }},
		{args: []string{"-stages=churn,lifecycle"}, check: func(c config) bool {
			return c.runs("churn") && c.runs("lifecycle") && !c.runs("burst")
		}},
		{args: []string{"-stages=churn,nope"}, wantErr: `-stages: no stage "nope"`},
		{args: []string{"-busy-ns=0"}, wantErr: "-busy-ns: must be at least 1"},
	}
	for _, tt := range tests {
		c, err := parseFlags(tt.args, io.Discard)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFlags(%q) = %v; want an error with %q", tt.args, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("parseFlags(%q): %v", tt.args, err)
		case !tt.check(c):
			t.Errorf("parseFlags(%q) = %+v: not what was asked", tt.args, c)
		}
	}
}
