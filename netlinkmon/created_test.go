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

// A series is a namespace and kind, or a namespace and ifindex.
type series struct {
	netns, of string
}

// kindsCreated returns the created time of each kind of each namespace of s.
func kindsCreated(s Snapshot) map[series]time.Time {
	out := make(map[series]time.Time)
	for _, ns := range s.Namespaces {
		for _, k := range ns.Kinds {
			out[series{ns.Name, k.Kind}] = k.Created
		}
	}
	return out
}

// TestCreated checks when counters begin, which a scrape serves as their
// created timestamps: those of a kind in a namespace at the kind's first
// link or at the namespace's naming, whichever is later, and the global ones
// at the monitor's start.
func TestCreated(t *testing.T) {
	dev, veth, br := lk(1, "device", ifUp), lk(2, "veth", ifUp), lk(3, "bridge", ifUp)
	in := func(nsid int32, l link) message { return newLinkMsg(false, nsid, l) }
	tests := []struct {
		name string
		run  func(r *registry)
		// at is when the snapshot is taken.
		at   time.Duration
		want map[series]time.Time
	}{
		{
			name: "the host's kinds begin at their first link",
			run:  func(r *registry) { r.reconcile(r.self, linkDump{links: []link{dev}}, at(time.Second)) },
			want: map[series]time.Time{{"host", "device"}: at(time.Second)},
		},
		{
			name: "a kind begins at its first link, and later links do not move it",
			run: func(r *registry) {
				r.reconcile(r.self, linkDump{links: []link{dev}}, at(time.Second))
				applyAt(r, 5*time.Second, hostMsgs(hostNew(veth)))
				applyAt(r, 6*time.Second, hostMsgs(hostDel(veth)))
				applyAt(r, 7*time.Second, hostMsgs(hostNew(lk(4, "veth", ifUp))))
			},
			want: map[series]time.Time{{"host", "device"}: at(time.Second), {"host", "veth"}: at(5 * time.Second)},
		},
		{
			name: "a namespace found after the start",
			run: func(r *registry) {
				r.identify(3, 100, "pod", SourceDir, at(10*time.Second))
				applyAt(r, 11*time.Second, []message{in(3, dev)})
			},
			want: map[series]time.Time{{"pod", "device"}: at(11 * time.Second)},
		},
		{
			name: "links seen before the namespace is named begin at its naming",
			run: func(r *registry) {
				applyAt(r, 10*time.Second, []message{newNSIDMsg(true, 0, 3), in(3, dev), in(3, veth)})
				r.identify(3, 100, "pod", SourceDir, at(12*time.Second))
				applyAt(r, 13*time.Second, []message{in(3, br)})
			},
			want: map[series]time.Time{
				{"pod", "bridge"}: at(13 * time.Second),
				{"pod", "device"}: at(12 * time.Second),
				{"pod", "veth"}:   at(12 * time.Second),
			},
		},
		{
			name: "a dead namespace keeps its times",
			run: func(r *registry) {
				r.identify(3, 100, "pod", SourceDir, at(10*time.Second))
				applyAt(r, 11*time.Second, []message{in(3, veth)})
				applyAt(r, 20*time.Second, []message{delNSIDMsg(true, 0, 3)})
			},
			at:   30 * time.Second,
			want: map[series]time.Time{{"pod", "veth"}: at(11 * time.Second)},
		},
		{
			name: "a name reused from a dead namespace begins anew",
			run: func(r *registry) {
				r.identify(3, 100, "pod", SourceDir, at(10*time.Second))
				applyAt(r, 11*time.Second, []message{in(3, veth)})
				applyAt(r, 20*time.Second, []message{delNSIDMsg(true, 0, 3)})
				r.identify(4, 200, "pod", SourceDir, at(30*time.Second))
				applyAt(r, 31*time.Second, []message{in(4, veth)})
			},
			at:   32 * time.Second,
			want: map[series]time.Time{{"pod", "veth"}: at(31 * time.Second)},
		},
		{
			// Scrapes until the old holder's death still saw its series
			// under the name: the new one's begin after them.
			name: "a name taken from a dying namespace begins at the takeover",
			run: func(r *registry) {
				r.identify(3, 100, "pod", SourceDir, at(10*time.Second))
				applyAt(r, 11*time.Second, []message{in(3, veth)})
				r.identify(4, 200, "pod", SourceDir, at(20*time.Second))
				applyAt(r, 21*time.Second, []message{in(4, veth)})
				applyAt(r, 25*time.Second, []message{delNSIDMsg(true, 0, 3)})
			},
			at:   26 * time.Second,
			want: map[series]time.Time{{"pod", "veth"}: at(25 * time.Second)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry()
			tt.run(r)
			s := r.counters(at(tt.at))
			if !s.Started.Equal(t0) {
				t.Errorf("Started = %v, want the registry's start %v", s.Started, t0)
			}
			if diff := cmp.Diff(tt.want, kindsCreated(s)); diff != "" {
				t.Errorf("kinds' created times (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreatedBaseline checks that the counters of what the monitor found
// at its start begin when it begins counting, after the baseline: a
// restarted exporter fails scrapes until then, and a scraper stores a zero
// only after the series' last sample, which those failures mark stale.
func TestCreatedBaseline(t *testing.T) {
	r := newRegistry(hostIno, time.Minute)
	r.reconcile(r.self, linkDump{links: []link{lk(1, "device", ifUp)}}, at(time.Second))
	pod := r.identify(3, 100, "pod", SourceDir, at(time.Second))
	r.reconcile(pod, linkDump{links: []link{lk(1, "device", ifUp), lk(2, "veth", ifUp)}}, at(time.Second))
	r.startCounting(at(2 * time.Second))
	applyAt(r, 3*time.Second, hostMsgs(hostNew(lk(5, "veth", ifUp))))

	s := r.counters(at(4 * time.Second))
	if !s.Started.Equal(at(2 * time.Second)) {
		t.Errorf("Started = %v, want when counting began, %v", s.Started, at(2*time.Second))
	}
	want := map[series]time.Time{
		{"host", "device"}: at(2 * time.Second),
		{"host", "veth"}:   at(3 * time.Second),
		{"pod", "device"}:  at(2 * time.Second),
		{"pod", "veth"}:    at(2 * time.Second),
	}
	if diff := cmp.Diff(want, kindsCreated(s)); diff != "" {
		t.Errorf("kinds' created times (-want +got):\n%s", diff)
	}
}

// TestCreatedLinks checks when the per-link counters begin: at the link's
// first sight in its namespace, or at the namespace's naming if later. A
// link that left keeps its time; one that takes its ifindex has its own.
func TestCreatedLinks(t *testing.T) {
	r := newTestRegistry()
	r.enableDetail()
	r.reconcile(r.self, linkDump{links: []link{named(lk(1, "device", ifUp), "lo")}}, at(time.Second))
	applyAt(r, 2*time.Second, hostMsgs(hostNew(named(lk(5, "veth", ifUp), "v0"))))
	applyAt(r, 3*time.Second, hostMsgs(hostDel(named(lk(5, "veth", ifUp), "v0"))))
	applyAt(r, 4*time.Second, hostMsgs(hostNew(named(lk(6, "veth", ifUp), "v1"))))
	applyAt(r, 5*time.Second, []message{newNSIDMsg(true, 0, 3), newLinkMsg(false, 3, named(lk(1, "device", ifUp), "lo"))})
	r.identify(3, 100, "pod", SourceDir, at(6*time.Second))

	got := make(map[series]time.Time)
	for _, ns := range r.interfaceSnapshot(at(7 * time.Second)).Namespaces {
		for _, i := range ns.Interfaces {
			got[series{ns.Name, i.Name}] = i.Created
		}
	}
	want := map[series]time.Time{
		{"host", "lo"}: at(time.Second),
		{"host", "v0"}: at(2 * time.Second),
		{"host", "v1"}: at(4 * time.Second),
		{"pod", "lo"}:  at(6 * time.Second),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("links' created times (-want +got):\n%s", diff)
	}
}
