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

// earlyRegistry returns a registry whose baseline found namespace foo at
// nsid 3, with its loopback.
func earlyRegistry(t *testing.T) (*registry, *namespace) {
	t.Helper()
	r := newRegistry(hostIno, time.Minute)
	foo := r.identify(3, 100, "foo", SourceDir, t0)
	r.reconcile(foo, linkDump{links: []link{lk(1, "device", 0)}}, t0)
	r.startCounting(t0)
	return r, foo
}

// The event socket opens before the baseline, so it may hold the
// RTM_DELNSID of an earlier holder of an nsid that the baseline found given
// to another namespace: that message does not kill the namespace, a lookup
// of the nsid after the drain decides.
func TestRegistryEarlyDelNSID(t *testing.T) {
	tests := []struct {
		name string
		msgs []message
		// exists is what the lookup of nsid 3 finds.
		exists   bool
		wantDead bool
	}{
		{"an earlier holder's, then foo's own announcement", []message{delNSIDMsg(true, 0, 3), newNSIDMsg(true, 0, 3)}, true, false},
		{"an earlier holder's, foo's announcement long gone", []message{delNSIDMsg(true, 0, 3)}, true, false},
		{"foo's own death", []message{delNSIDMsg(true, 0, 3)}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, foo := earlyRegistry(t)
			applyAt(r, time.Second, tt.msgs)
			if !foo.alive {
				t.Fatalf("foo was killed by an RTM_DELNSID read before the socket was drained")
			}
			doubted := r.takeDoubted()
			if len(doubted) != 1 || doubted[0] != foo {
				t.Fatalf("doubted %v, want foo", doubted)
			}
			r.caughtUp()
			r.doubtedDeath(foo, tt.exists, at(2*time.Second))
			if foo.alive == tt.wantDead {
				t.Errorf("foo alive = %v, want %v", foo.alive, !tt.wantDead)
			}
			// foo's loopback was in the baseline: never created, and gone
			// only with foo.
			want := []KindCounters{{Kind: "device"}}
			if tt.wantDead {
				want[0].Deletions = 1
			}
			if diff := cmp.Diff(want, mustNS(t, r.counters(at(3*time.Second)), "foo").Kinds, noKindCreated); diff != "" {
				t.Errorf("foo's counters (-want +got):\n%s", diff)
			}
		})
	}
}

// Once the socket has been drained, an RTM_DELNSID of the nsid is foo's own,
// and an RTM_NEWNSID of it is a reuse.
func TestRegistryEarlyCaughtUp(t *testing.T) {
	t.Run("death", func(t *testing.T) {
		r, foo := earlyRegistry(t)
		r.caughtUp()
		applyAt(r, time.Second, []message{delNSIDMsg(true, 0, 3)})
		if foo.alive || len(r.takeDoubted()) != 0 {
			t.Errorf("foo alive %v after its RTM_DELNSID; want it dead, no lookup", foo.alive)
		}
	})
	t.Run("death after its own announcement, before the drain", func(t *testing.T) {
		r, foo := earlyRegistry(t)
		applyAt(r, time.Second, []message{newNSIDMsg(true, 0, 3), delNSIDMsg(true, 0, 3)})
		if foo.alive || len(r.takeDoubted()) != 0 {
			t.Errorf("foo alive %v after its RTM_DELNSID; want it dead, no lookup", foo.alive)
		}
	})
	t.Run("reuse", func(t *testing.T) {
		r, foo := earlyRegistry(t)
		r.caughtUp()
		applyAt(r, time.Second, []message{newNSIDMsg(true, 0, 3)})
		if foo.alive || r.byNSID[3] == foo || r.byNSID[3] == nil {
			t.Errorf("foo alive %v; want it dead and a new holder of nsid 3", foo.alive)
		}
		if diff := cmp.Diff(repairs(0, 0, 1), r.counters(at(time.Second)).Repairs); diff != "" {
			t.Errorf("repairs (-want +got):\n%s", diff)
		}
	})
}

// foo died at once, and nsid 3 went to another: its RTM_DELNSID, read after
// its own announcement or doubted before a reuse, is never expected again,
// so the new holder's death is not swallowed.
func TestRegistryEarlyDeathThenReuse(t *testing.T) {
	tests := []struct {
		name    string
		batches [][]message
	}{
		{"foo's announcement read first", [][]message{{newNSIDMsg(true, 0, 3), delNSIDMsg(true, 0, 3), newNSIDMsg(true, 0, 3)}}},
		{"foo's death doubted, the reuse after the drain", [][]message{{delNSIDMsg(true, 0, 3)}, {newNSIDMsg(true, 0, 3)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, foo := earlyRegistry(t)
			for i, msgs := range tt.batches {
				applyAt(r, time.Duration(i+1)*time.Second, msgs)
				r.caughtUp()
			}
			next := r.byNSID[3]
			if foo.alive || next == nil || next == foo {
				t.Fatalf("foo alive %v, nsid 3 held by foo %v; want foo dead and a new holder", foo.alive, next == foo)
			}
			applyAt(r, 5*time.Second, []message{delNSIDMsg(true, 0, 3)})
			if next.alive {
				t.Errorf("the new holder of nsid 3 survived its RTM_DELNSID")
			}
			if diff := cmp.Diff(repairs(0, 0, 0), r.counters(at(5*time.Second)).Repairs); diff != "" {
				t.Errorf("repairs (-want +got):\n%s", diff)
			}
		})
	}
}
