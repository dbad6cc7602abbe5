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
	"sync/atomic"
	"time"
)

// MinBuffer is the smallest buffer a subscription gets: room for an event
// and the EventDropped notice in front of it.
const MinBuffer = 2

// A Feed hands events to its subscribers without ever waiting for one. Each
// subscription has a queue of its own, of bounded length; an event that does
// not fit is dropped for that subscription alone, which then finds an
// EventDropped exactly where events are missing.
//
// Publish queues an event; Flush, which the publisher calls after each
// batch of events, wakes the subscribers that have some. A subscriber thus
// wakes once a batch, not once an event: a wake-up, and the write that
// follows, cost more than the event. A queue half full wakes its subscriber
// at once, so that a long batch is read while it is published.
//
// One goroutine publishes and flushes; any goroutine may subscribe and
// close.
type Feed struct {
	// active is read without the lock, so that an event that nobody
	// wants costs one atomic load, and is not even built.
	active  atomic.Int32
	dropped atomic.Uint64

	mu      sync.Mutex
	subs    []*Subscription
	stopped bool
	now     func() time.Time
}

// NewFeed returns a feed without subscribers.
func NewFeed() *Feed {
	return &Feed{now: time.Now}
}

// A Subscription receives the events of a Feed that its match accepts.
type Subscription struct {
	feed  *Feed
	match func(*Event) bool
	limit int
	// ready holds a wake-up when events wait; it is closed when the
	// subscription ends.
	ready chan struct{}

	// Guarded by feed.mu.
	queue  []Event
	closed bool
	// pending counts the events dropped since the last notice, the first
	// of them at since.
	pending uint64
	since   time.Time
}

// Active reports whether anyone is subscribed. It is safe on a nil feed.
func (f *Feed) Active() bool {
	return f != nil && f.active.Load() > 0
}

// Subscribers returns the number of open subscriptions.
func (f *Feed) Subscribers() int { return int(f.active.Load()) }

// Dropped returns the number of events dropped for subscribers that did not
// keep up, since the feed was made.
func (f *Feed) Dropped() uint64 { return f.dropped.Load() }

// Subscribe opens a subscription whose queue holds up to buffer events (at
// least MinBuffer). Its memory grows only as events wait. A nil match
// accepts every event; match runs on the publishing goroutine and must be
// quick. Notices (EventResync) go through match too. On a stopped feed, the
// subscription is closed at once.
func (f *Feed) Subscribe(buffer int, match func(*Event) bool) *Subscription {
	s := &Subscription{feed: f, match: match, limit: max(buffer, MinBuffer), ready: make(chan struct{}, 1)}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		s.closed = true
		close(s.ready)
		return s
	}
	f.subs = append(f.subs, s)
	f.active.Add(1)
	return s
}

// Ready returns a channel that receives when events wait to be taken, and
// is closed when the subscription ends.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Take returns the events waiting, in order, and keeps buf[:0] to queue
// the next ones, so that two buffers take turns. open is false once the
// subscription has ended: what Take returns then is the last.
func (s *Subscription) Take(buf []Event) (evs []Event, open bool) {
	f := s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	evs, s.queue = s.queue, buf[:0]
	return evs, !s.closed
}

// Close ends the subscription. It may be called more than once, from any
// goroutine.
func (s *Subscription) Close() {
	f := s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.closed {
		return
	}
	s.end()
	for i, o := range f.subs {
		if o == s {
			f.subs = append(f.subs[:i], f.subs[i+1:]...)
			break
		}
	}
	f.active.Add(-1)
}

func (s *Subscription) end() {
	s.closed = true
	close(s.ready)
}

// Publish queues ev for every subscription that matches it, stamped with
// the current time if it has none. It never blocks on a subscriber.
func (f *Feed) Publish(ev Event) {
	if !f.Active() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if ev.Time.IsZero() {
		ev.Time = f.now()
	}
	for _, s := range f.subs {
		if s.match == nil || s.match(&ev) {
			s.offer(&ev)
		}
	}
}

// offer queues ev, preceded by the notice of earlier drops, if they both
// fit.
func (s *Subscription) offer(ev *Event) {
	need := 1
	if s.pending > 0 {
		need = 2
	}
	if len(s.queue)+need > s.limit {
		if s.pending == 0 {
			s.since = ev.Time
		}
		s.pending++
		s.feed.dropped.Add(1)
		return
	}
	if s.pending > 0 {
		s.notify()
	}
	s.queue = append(s.queue, *ev)
	if len(s.queue) >= s.limit/2 {
		s.wake()
	}
}

func (s *Subscription) notify() {
	s.queue = append(s.queue, Event{Type: EventDropped, Time: s.since, Dropped: s.pending})
	s.pending = 0
}

func (s *Subscription) wake() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Flush wakes the subscribers that have events waiting. It also queues the
// notices of drops that no later event has carried yet, where they fit, so
// that a subscriber learns of them even when the events stop.
func (f *Feed) Flush() {
	if !f.Active() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.subs {
		if s.pending > 0 && len(s.queue) < s.limit {
			s.notify()
		}
		if len(s.queue) > 0 {
			s.wake()
		}
	}
}

// Stop ends every subscription, and those made later at once. Events
// already queued can still be taken.
func (f *Feed) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	for _, s := range f.subs {
		s.end()
	}
	f.subs = nil
	f.active.Store(0)
}
