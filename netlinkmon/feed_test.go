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
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var feedT0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// numbered is the i-th test event: its ifindex tells it apart.
func numbered(i int) Event {
	return Event{Type: EventCreated, Time: feedT0.Add(time.Duration(i) * time.Second), Ifindex: int32(i)}
}

func dropped(n uint64, since int) Event {
	return Event{Type: EventDropped, Time: numbered(since).Time, Dropped: n}
}

func drain(s *Subscription) []Event {
	evs, _ := s.Take(nil)
	return evs
}

// A feedStep acts on a feed and the subscription under test.
type feedStep func(f *Feed, s *Subscription) []Event

func publish(from, to int) feedStep {
	return func(f *Feed, _ *Subscription) []Event {
		for i := from; i <= to; i++ {
			f.Publish(numbered(i))
		}
		return nil
	}
}

func read(_ *Feed, s *Subscription) []Event { return drain(s) }

func flush(f *Feed, _ *Subscription) []Event { f.Flush(); return nil }

func TestFeedDrops(t *testing.T) {
	tests := []struct {
		name        string
		buffer      int
		steps       []feedStep
		want        []Event
		wantDropped uint64
	}{
		{
			name: "all fit", buffer: 4,
			steps: []feedStep{publish(1, 4), read},
			want:  []Event{numbered(1), numbered(2), numbered(3), numbered(4)},
		},
		{
			name: "the notice stands where events are missing", buffer: 3,
			steps: []feedStep{publish(1, 10), read, publish(11, 11), read},
			want: []Event{
				numbered(1), numbered(2), numbered(3), dropped(7, 4), numbered(11),
			},
			wantDropped: 7,
		},
		{
			name: "flush tells of drops when events stop", buffer: 2,
			steps:       []feedStep{publish(1, 5), read, flush, read},
			want:        []Event{numbered(1), numbered(2), dropped(3, 3)},
			wantDropped: 3,
		},
		{
			name: "flush without room waits", buffer: 2,
			steps:       []feedStep{publish(1, 3), flush, read, flush, read},
			want:        []Event{numbered(1), numbered(2), dropped(1, 3)},
			wantDropped: 1,
		},
		{
			name: "drops after a notice", buffer: 3,
			steps:       []feedStep{publish(1, 4), read, publish(5, 9), read, publish(10, 10), read},
			want:        []Event{numbered(1), numbered(2), numbered(3), dropped(1, 4), numbered(5), numbered(6), dropped(3, 7), numbered(10)},
			wantDropped: 4,
		},
		{
			name: "a buffer below the minimum is raised", buffer: 0,
			steps: []feedStep{publish(1, 2), read},
			want:  []Event{numbered(1), numbered(2)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFeed()
			s := f.Subscribe(tt.buffer, nil)
			// A subscriber that keeps up loses nothing to a slow one.
			fast := f.Subscribe(100, nil)
			var got []Event
			for _, step := range tt.steps {
				got = append(got, step(f, s)...)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if n := f.Dropped(); n != tt.wantDropped {
				t.Errorf("Dropped() = %d, want %d", n, tt.wantDropped)
			}
			for i, ev := range drain(fast) {
				if ev.Type != EventCreated || ev.Ifindex != int32(i+1) {
					t.Fatalf("fast subscriber's event %d: %+v", i, ev)
				}
			}
		})
	}
}

// woken reports whether s has a wake-up waiting.
func woken(s *Subscription) bool {
	select {
	case <-s.Ready():
		return true
	default:
		return false
	}
}

// A subscriber wakes once a batch, at Flush, or as soon as its queue is
// half full.
func TestFeedWakeUps(t *testing.T) {
	f := NewFeed()
	s := f.Subscribe(8, nil)
	steps := []struct {
		step feedStep
		want bool
	}{
		{flush, false}, // nothing waits
		{publish(1, 3), false},
		{flush, true},
		{publish(4, 4), true}, // half full
		{read, false},
		{publish(5, 5), false},
		{flush, true},
	}
	for i, st := range steps {
		st.step(f, s)
		if got := woken(s); got != st.want {
			t.Errorf("step %d: woken %v, want %v", i, got, st.want)
		}
	}
}

// Take hands back the queue and keeps the buffer given for the next.
func TestFeedTakeTurns(t *testing.T) {
	f := NewFeed()
	s := f.Subscribe(8, nil)
	publish(1, 2)(f, s)
	a, _ := s.Take(nil)
	publish(3, 3)(f, s)
	b, _ := s.Take(make([]Event, 0, 8))
	publish(4, 5)(f, s)
	c, _ := s.Take(a)
	want := [][]Event{{numbered(3)}, {numbered(4), numbered(5)}}
	if diff := cmp.Diff(want, [][]Event{b, c}); diff != "" {
		t.Errorf("takes (-want +got):\n%s", diff)
	}
}

func TestFeedMatch(t *testing.T) {
	f := NewFeed()
	odd := f.Subscribe(10, func(ev *Event) bool { return ev.Ifindex%2 == 1 })
	publish(1, 4)(f, nil)
	if diff := cmp.Diff([]Event{numbered(1), numbered(3)}, drain(odd)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestFeedStampsTime(t *testing.T) {
	f := NewFeed()
	f.now = func() time.Time { return feedT0 }
	s := f.Subscribe(10, nil)
	f.Publish(Event{Type: EventResync})
	if diff := cmp.Diff([]Event{{Type: EventResync, Time: feedT0}}, drain(s)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// ended reports whether s has ended: its Ready channel is closed.
func ended(s *Subscription) bool {
	for {
		select {
		case _, ok := <-s.Ready():
			if !ok {
				return true
			}
		default:
			return false
		}
	}
}

func TestFeedLifecycle(t *testing.T) {
	f := NewFeed()
	if f.Active() || (*Feed)(nil).Active() {
		t.Fatal("Active() without subscribers")
	}
	a, b := f.Subscribe(10, nil), f.Subscribe(10, nil)
	if !f.Active() || f.Subscribers() != 2 {
		t.Fatalf("Active() = %v, Subscribers() = %d; want true, 2", f.Active(), f.Subscribers())
	}
	a.Close()
	a.Close()
	if f.Subscribers() != 1 {
		t.Fatalf("Subscribers() = %d after closing one twice, want 1", f.Subscribers())
	}
	if !ended(a) || ended(b) {
		t.Errorf("ended: closed %v, open %v; want true, false", ended(a), ended(b))
	}
	f.Publish(numbered(1))
	f.Stop()
	if f.Active() || f.Subscribers() != 0 {
		t.Errorf("after Stop: Active() = %v, Subscribers() = %d", f.Active(), f.Subscribers())
	}
	// What was queued is still taken, as the last.
	evs, open := b.Take(nil)
	if diff := cmp.Diff([]Event{numbered(1)}, evs); diff != "" || open || !ended(b) {
		t.Errorf("after Stop: open %v, ended %v, events (-want +got):\n%s", open, ended(b), diff)
	}
	b.Close()
	late := f.Subscribe(10, nil)
	if !ended(late) {
		t.Error("a subscription to a stopped feed is open")
	}
	late.Close()
	f.Publish(numbered(2))
	f.Flush()
	if evs, _ := late.Take(nil); f.Subscribers() != 0 || len(evs) != 0 {
		t.Errorf("after Stop: Subscribers() = %d, late subscriber got %v", f.Subscribers(), evs)
	}
}

// TestFeedConcurrentClose runs Publish and Flush against Subscribe, Take
// and Close on other goroutines, for the race detector.
func TestFeedConcurrentClose(t *testing.T) {
	f := NewFeed()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var buf []Event
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := f.Subscribe(2, nil)
				<-s.Ready()
				buf, _ = s.Take(buf)
				s.Close()
				s.Close()
			}
		})
	}
	for i := range 20000 {
		f.Publish(numbered(i))
		if i%100 == 0 {
			f.Flush()
		}
	}
	close(stop)
	// Subscribers waiting for an event are released by Stop.
	f.Stop()
	wg.Wait()
	if n := f.Subscribers(); n != 0 {
		t.Errorf("Subscribers() = %d after every subscription closed, want 0", n)
	}
}
