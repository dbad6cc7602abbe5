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
// subscription has a buffer of its own; an event that does not fit is
// dropped for that subscription alone, which then finds an EventDropped
// exactly where events are missing. One goroutine publishes; any goroutine
// may subscribe and close.
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
	ch    chan Event
	match func(*Event) bool

	// Guarded by feed.mu.
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

// Subscribe opens a subscription that buffers up to buffer events (at least
// MinBuffer). A nil match accepts every event; match runs on the publishing
// goroutine and must be quick. Notices (EventResync) go through match too.
// On a stopped feed, the subscription's channel is closed at once.
func (f *Feed) Subscribe(buffer int, match func(*Event) bool) *Subscription {
	s := &Subscription{feed: f, ch: make(chan Event, max(buffer, MinBuffer)), match: match}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		s.closed = true
		close(s.ch)
		return s
	}
	f.subs = append(f.subs, s)
	f.active.Add(1)
	return s
}

// Events returns the channel of events. It is closed once the subscription
// is closed or the feed stops.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Close ends the subscription and closes its channel. It may be called more
// than once, from any goroutine.
func (s *Subscription) Close() {
	f := s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.ch)
	for i, o := range f.subs {
		if o == s {
			f.subs = append(f.subs[:i], f.subs[i+1:]...)
			break
		}
	}
	f.active.Add(-1)
}

// Publish hands ev to every subscription that matches it, stamped with the
// current time if it has none. It never blocks on a subscriber.
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

// offer sends ev, preceded by the notice of earlier drops, if they both
// fit. Only the publisher sends, under the feed's lock, so that room seen
// in the buffer stays there until it sends.
func (s *Subscription) offer(ev *Event) {
	need := 1
	if s.pending > 0 {
		need = 2
	}
	if cap(s.ch)-len(s.ch) < need {
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
	s.ch <- *ev
}

func (s *Subscription) notify() {
	s.ch <- Event{Type: EventDropped, Time: s.since, Dropped: s.pending}
	s.pending = 0
}

// Flush hands out the notices of drops that no later event has carried
// yet, where they fit, so that a subscriber learns of them even when the
// events stop.
func (f *Feed) Flush() {
	if !f.Active() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.subs {
		if s.pending > 0 && len(s.ch) < cap(s.ch) {
			s.notify()
		}
	}
}

// Stop closes every subscription, and those made later at once.
func (f *Feed) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	for _, s := range f.subs {
		s.closed = true
		close(s.ch)
	}
	f.subs = nil
	f.active.Store(0)
}
