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
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// coalesce is the period at which the reader drains the socket during a
// burst, so that a burst piles up and is read in one go; see the package
// documentation.
const coalesce = 10 * time.Millisecond

// keptMsgs bounds the message array that the reader keeps from one batch to
// the next: a burst's batches hold tens of messages, and the array of the
// rare long one is left to the garbage collector.
const keptMsgs = 256

// A batch is what the reader applies after draining the socket, in kernel
// order: the messages first, then the answers to the loop's requests, read
// from the kernel once the socket was empty, in the order of the fields
// below.
type batch struct {
	msgs []message
	// overrun is set when the kernel dropped events (ENOBUFS) before or
	// among these.
	overrun bool
	// malformed counts messages that could not be decoded.
	malformed int
	// foreign counts datagrams from another sender than the kernel,
	// dropped unread.
	foreign int
	// resync, after an overrun, re-reads every namespace.
	resync *resync
	// drained is when the drain ended, before any request; emptied, that
	// it ended because the socket was empty.
	drained time.Time
	emptied bool
	// resolved answers the loop's requests for the nsids of namespace
	// files that scans found.
	resolved []resolution
	// own answers the loop's request for the nsid that the exporter's
	// namespace has for itself.
	own *ownAnswer
	// nsids is the kernel's nsid table, when the loop asked for it.
	nsids *nsidList
	// confirmed answers the loop's lookups of nsids.
	confirmed []confirmation
	// dumps answer the loop's requests for the links of namespaces.
	dumps []dump
}

// A dump is the links of one namespace, read after every event that came
// before it.
type dump struct {
	// target is the namespace the dump was asked for, nil in a resync,
	// which dumps nsids: a dump applies to the namespace it was asked for,
	// whichever namespace holds the nsid by the time it is applied.
	target *namespace
	nsid   int32
	linkDump
	err error
}

// A resync is the full state read after an overrun: every nsid, and the
// links of the exporter's namespace and of each nsid.
type resync struct {
	nsids []int32
	// interruptions counts the nsid dumps that the kernel interrupted.
	interruptions int
	err           error
	dumps         []dump
}

// An nsidList is the kernel's nsid table.
type nsidList struct {
	ids           []int32
	interruptions int
	err           error
}

// An ownAnswer is the nsid that the exporter's namespace has for itself, or
// NoNSID.
type ownAnswer struct {
	nsid int32
	err  error
}

// A lookup asks whether an nsid names a namespace now.
type lookup struct {
	// held is the namespace that the registry held at the nsid when it
	// asked, or nil.
	held *namespace
	// fileGone is set when held's file vanished: the kernel announces a
	// namespace's death only once it has destroyed it, which can take
	// seconds, but fails a lookup of its nsid at once.
	fileGone bool
	// delRead is set when an RTM_DELNSID of the nsid was read that may
	// have been an earlier holder's (registry.takeDoubted).
	delRead bool
}

// A confirmation answers a lookup of nsid.
type confirmation struct {
	lookup
	nsid   int32
	exists bool
	err    error
}

// requests are what the loop asked the reader to read from the kernel after
// its next drain that empties the socket.
type requests struct {
	resolves []resolveRequest
	own      bool
	nsids    bool
	confirms map[int32]lookup
	dumps    map[*namespace]struct{}
}

func (q *requests) empty() bool {
	return len(q.resolves) == 0 && !q.own && !q.nsids && len(q.confirms) == 0 && len(q.dumps) == 0
}

// merge adds the requests of o that q does not have.
func (q *requests) merge(o requests) {
	q.resolves = append(q.resolves, o.resolves...)
	q.own = q.own || o.own
	q.nsids = q.nsids || o.nsids
	for id, l := range o.confirms {
		if _, ok := q.confirms[id]; !ok {
			q.confirms[id] = l
		}
	}
	for ns := range o.dumps {
		q.dumps[ns] = struct{}{}
	}
}

func newRequests() requests {
	return requests{confirms: make(map[int32]lookup), dumps: make(map[*namespace]struct{})}
}

// A reader owns the order of everything read from the kernel: requests are
// served only right after a drain that emptied the socket, so every message
// older than an answer is applied before it. See "Goroutines and order" in
// the package documentation.
type reader struct {
	sock *eventSocket
	req  *requester

	mu      sync.Mutex
	pending requests
	// urgent ends the rest after a batch: namespace files wait to be
	// resolved.
	urgent chan struct{}
	// drop, set by tests only, drops the decoded messages it returns true
	// for before they are applied: a lost announcement (see dropKey).
	drop func(message) bool
}

// dropKey is the context key under which tests give Start a reader.drop.
type dropKey struct{}

func newReader(sock *eventSocket, req *requester) *reader {
	return &reader{sock: sock, req: req, pending: newRequests(), urgent: make(chan struct{}, 1)}
}

// ask adds requests with add, and wakes the reader.
func (r *reader) ask(add func(q *requests)) {
	r.mu.Lock()
	add(&r.pending)
	r.mu.Unlock()
	r.sock.wake.Wake()
}

// requestDump asks for the links of ns after the next drain.
func (r *reader) requestDump(ns *namespace) {
	r.ask(func(q *requests) { q.dumps[ns] = struct{}{} })
}

// requestResolve asks for the nsids of namespace files after the next drain,
// which comes without the rest after a batch: the files may not last.
func (r *reader) requestResolve(rs []resolveRequest) {
	r.ask(func(q *requests) { q.resolves = append(q.resolves, rs...) })
	select {
	case r.urgent <- struct{}{}:
	default:
	}
}

// requestOwnNSID asks for the nsid that the exporter's namespace has for
// itself after the next drain.
func (r *reader) requestOwnNSID() {
	r.ask(func(q *requests) { q.own = true })
}

// requestNSIDs asks for the kernel's nsid table after the next drain.
func (r *reader) requestNSIDs() {
	r.ask(func(q *requests) { q.nsids = true })
}

// requestConfirm asks whether each nsid of check names a namespace, after
// the next drain; check maps it to the namespace the registry holds there.
func (r *reader) requestConfirm(check map[int32]*namespace) {
	r.ask(func(q *requests) {
		for id, ns := range check {
			if l, ok := q.confirms[id]; ok && l.delRead {
				// It tells all that this one would.
				continue
			}
			q.confirms[id] = lookup{held: ns}
		}
	})
}

// requestLookups asks whether the nsid of each namespace, whose file
// vanished, still names a namespace, after the next drain. A lookup that
// the nsid table asked for already stands: if the nsid is gone from the
// table too, its RTM_DELNSID was sent, and a namespace still alive then
// missed it (a repair).
func (r *reader) requestLookups(nss []*namespace) {
	r.ask(func(q *requests) {
		for _, ns := range nss {
			if _, ok := q.confirms[ns.nsid]; !ok {
				q.confirms[ns.nsid] = lookup{held: ns, fileGone: true}
			}
		}
	})
}

// requestDoubted asks whether the nsid of each namespace, whose RTM_DELNSID
// may have been an earlier holder's, still names a namespace, after the next
// drain. It stands in for a lookup of the nsid asked for the same namespace.
func (r *reader) requestDoubted(nss []*namespace) {
	r.ask(func(q *requests) {
		for _, ns := range nss {
			if l, ok := q.confirms[ns.nsid]; !ok || l.held == ns {
				q.confirms[ns.nsid] = lookup{held: ns, delRead: true}
			}
		}
	})
}

// requeue puts back requests that could not be served yet.
func (r *reader) requeue(q requests) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending.merge(q)
}

func (r *reader) takeRequests() requests {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending.empty() {
		return requests{}
	}
	q := r.pending
	r.pending = newRequests()
	return q
}

// run reads batches and passes each to apply, in order, until ctx is done
// or a receive fails, whose error it returns.
func (r *reader) run(ctx context.Context, apply func(batch)) error {
	stop := r.sock.wake.WakeWhenDone(ctx)
	defer stop()
	// pace ends each rest. It ticks while batches come and stops while the
	// reader waits for the socket: see coalesce in the package
	// documentation for why not a timer per rest.
	pace := time.NewTicker(coalesce)
	pace.Stop()
	defer pace.Stop()
	pacing := false
	// flush is set after a batch with answers: the next batch goes out
	// even if empty, since the events it would hold are what settles them.
	flush := false
	// early is set until a batch whose drain emptied the socket has been
	// applied: every batch goes out until then, since that one tells the
	// registry that what the socket held from before counting began has
	// been read (registry.caughtUp).
	early := true
	// busy is set after a batch with messages: a burst is likely still
	// coming, and the next drain goes first, without a wait. A wait is a
	// blocking system call, which costs the scheduler more than an empty
	// drain does.
	busy := false
	// msgs is the array of the last batch's messages, which the next one
	// reuses: apply keeps no reference to it.
	var msgs []message
	for {
		reqs := r.takeRequests()
		if reqs.empty() && !flush && !busy {
			if pacing {
				pace.Stop()
				pacing = false
			}
			if err := r.sock.wait(); err != nil {
				return fmt.Errorf("netlinkmon: receive events: %w", err)
			}
			if ctx.Err() != nil {
				return nil
			}
			// A wake-up may have brought requests.
			reqs = r.takeRequests()
		}
		b := batch{msgs: msgs[:0]}
		empty, err := r.sock.drain(&b)
		if err != nil {
			return fmt.Errorf("netlinkmon: receive events: %w", err)
		}
		b.drained, b.emptied = time.Now(), empty
		if r.drop != nil {
			b.msgs = slices.DeleteFunc(b.msgs, r.drop)
		}
		switch {
		case b.overrun:
			// The dumps and the nsid table asked for are in the resync.
			b.resync = r.resync()
			reqs.dumps, reqs.nsids = nil, false
			r.serve(&b, reqs)
		case !empty:
			// An answer must come after every event older than it.
			if !reqs.empty() {
				r.requeue(reqs)
			}
		default:
			r.serve(&b, reqs)
		}
		b.foreign += r.req.takeForeign()
		answers := b.resync != nil || len(b.resolved)+len(b.confirmed)+len(b.dumps) > 0 || b.nsids != nil || b.own != nil
		busy = len(b.msgs) > 0
		if len(b.msgs) == 0 && !answers && b.malformed == 0 && b.foreign == 0 && !flush && !early {
			continue
		}
		flush = answers
		if ctx.Err() != nil {
			// After a stop, requests fail on the closed socket.
			return nil
		}
		apply(b)
		early = early && !b.emptied
		if cap(b.msgs) <= keptMsgs {
			msgs = b.msgs
		}
		if !pacing {
			pace.Reset(coalesce)
			pacing = true
		}
		select {
		case <-pace.C:
		case <-r.urgent:
		case <-ctx.Done():
			return nil
		}
	}
}

// serve answers the requests, in the order the batch holds them. Dumps wait
// for RTNL, which others may hold for long: once a scan asks to resolve
// namespace files, the dumps left wait for the next batch, so that a
// namespace that lives only moments is resolved while its file is still
// there.
func (r *reader) serve(b *batch, q requests) {
	for _, rr := range q.resolves {
		b.resolved = append(b.resolved, resolve(r.req, rr))
	}
	if q.own {
		id, err := ownNSID(r.req)
		b.own = &ownAnswer{nsid: id, err: err}
	}
	if q.nsids {
		ids, n, err := r.req.nsids()
		b.nsids = &nsidList{ids: ids, interruptions: n, err: err}
	}
	for id, l := range q.confirms {
		exists, err := r.req.nsidExists(id)
		b.confirmed = append(b.confirmed, confirmation{lookup: l, nsid: id, exists: exists, err: err})
	}
	for ns := range q.dumps {
		if len(b.dumps) > 0 && r.resolvesPending() {
			rest := newRequests()
			for ns := range q.dumps {
				rest.dumps[ns] = struct{}{}
			}
			for _, d := range b.dumps {
				delete(rest.dumps, d.target)
			}
			r.requeue(rest)
			return
		}
		d, err := r.req.links(ns.nsid)
		b.dumps = append(b.dumps, dump{target: ns, nsid: ns.nsid, linkDump: d, err: err})
	}
}

// resolvesPending reports whether namespace files wait to be resolved.
func (r *reader) resolvesPending() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending.resolves) > 0
}

// resync reads everything again. The socket has just been drained, which
// ends the kernel's congestion state, so events from here on arrive again.
func (r *reader) resync() *resync {
	ids, n, err := r.req.nsids()
	if err != nil {
		return &resync{interruptions: n, err: err}
	}
	rs := &resync{nsids: ids, interruptions: n}
	for _, id := range append([]int32{NoNSID}, ids...) {
		d, err := r.req.links(id)
		rs.dumps = append(rs.dumps, dump{nsid: id, linkDump: d, err: err})
	}
	return rs
}
