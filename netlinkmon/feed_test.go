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
	var out []Event
	for {
		select {
		case ev, ok := <-s.Events():
			if !ok {
				return out
			}
			out = append(out, ev)
		default:
			return out
		}
	}
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

func read(f *Feed, s *Subscription) []Event { return drain(s) }

func readOne(_ *Feed, s *Subscription) []Event { return []Event{<-s.Events()} }

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
			steps: []feedStep{publish(1, 10), readOne, readOne, publish(11, 11), read},
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
			// With one free slot, the event cannot come without its
			// notice: it is dropped too.
			name: "a notice and its event need two slots", buffer: 2,
			steps:       []feedStep{publish(1, 3), readOne, publish(4, 4), flush, read, publish(5, 5), read},
			want:        []Event{numbered(1), numbered(2), dropped(2, 3), numbered(5)},
			wantDropped: 2,
		},
		{
			name: "flush without room waits", buffer: 2,
			steps:       []feedStep{publish(1, 3), flush, read, flush, read},
			want:        []Event{numbered(1), numbered(2), dropped(1, 3)},
			wantDropped: 1,
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
	if _, ok := <-a.Events(); ok {
		t.Error("a closed subscription's channel is open")
	}
	f.Publish(numbered(1))
	f.Stop()
	if f.Active() || f.Subscribers() != 0 {
		t.Errorf("after Stop: Active() = %v, Subscribers() = %d", f.Active(), f.Subscribers())
	}
	// What was buffered is still read, then the channel ends.
	if diff := cmp.Diff([]Event{numbered(1)}, drain(b)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if _, ok := <-b.Events(); ok {
		t.Error("channel open after Stop")
	}
	b.Close()
	late := f.Subscribe(10, nil)
	if _, ok := <-late.Events(); ok {
		t.Error("a subscription to a stopped feed is open")
	}
	late.Close()
	f.Publish(numbered(2))
	f.Flush()
	if f.Subscribers() != 0 {
		t.Errorf("Subscribers() = %d after Stop, want 0", f.Subscribers())
	}
}

// TestFeedConcurrentClose runs Publish against Subscribe, Close and reads
// on other goroutines, for the race detector; a send on a closed channel
// would panic.
func TestFeedConcurrentClose(t *testing.T) {
	f := NewFeed()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := f.Subscribe(2, nil)
				<-s.Events()
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
