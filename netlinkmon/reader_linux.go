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
	"sync"
	"time"
)

// coalesce is how long the reader rests after each batch, so that a burst
// piles up and is read in one go; see the package documentation.
const coalesce = 10 * time.Millisecond

// A batch is what the reader hands over after draining the socket, in kernel
// order: the messages first, then the dumps it made once the socket was
// empty.
type batch struct {
	msgs []message
	// overrun is set when the kernel dropped events (ENOBUFS) before or
	// among these.
	overrun bool
	// malformed counts messages that could not be decoded.
	malformed int
	// resync, after an overrun, re-reads every namespace.
	resync *resync
	// drained is when the socket was found empty, before any dump.
	drained time.Time
	// dumps answer the loop's requests for the links of namespaces.
	dumps []dump
	// err is a receive error that stops the reader.
	err error
}

// A dump is the links of one namespace, read after every event that came
// before it.
type dump struct {
	nsid  int32
	links []link
	err   error
}

// A resync is the full state read after an overrun: every nsid, and the
// links of the exporter's namespace and of each nsid.
type resync struct {
	nsids []int32
	err   error
	dumps []dump
}

// A reader owns the order of everything read from the kernel: dumps are made
// only right after a drain that emptied the socket, so every message older
// than a dump is applied before it. See "Goroutines and order" in the
// package documentation.
type reader struct {
	sock *eventSocket
	req  *requester

	mu      sync.Mutex
	pending map[int32]struct{}
}

func newReader(sock *eventSocket, req *requester) *reader {
	return &reader{sock: sock, req: req, pending: make(map[int32]struct{})}
}

// requestDump asks for the links of nsid after the next drain.
func (r *reader) requestDump(nsid int32) {
	r.mu.Lock()
	r.pending[nsid] = struct{}{}
	r.mu.Unlock()
	r.sock.wake.Wake()
}

// requeue puts back requests that could not be served yet.
func (r *reader) requeue(ids []int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		r.pending[id] = struct{}{}
	}
}

func (r *reader) takeRequests() []int32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 {
		return nil
	}
	ids := make([]int32, 0, len(r.pending))
	for id := range r.pending {
		ids = append(ids, id)
		delete(r.pending, id)
	}
	return ids
}

// run reads batches until ctx is done or a receive fails, and closes out.
func (r *reader) run(ctx context.Context, out chan<- batch) {
	defer close(out)
	stop := r.sock.wake.WakeWhenDone(ctx)
	defer stop()
	rest := time.NewTimer(0)
	defer rest.Stop()
	// flush is set after a batch with dumps: the next batch goes out even
	// if empty, since the events it would hold are what settles them.
	flush := false
	for {
		reqs := r.takeRequests()
		if len(reqs) == 0 && !flush {
			if err := r.sock.wait(); err != nil {
				r.fail(ctx, out, err)
				return
			}
			if ctx.Err() != nil {
				return
			}
			// A wake-up may have brought requests.
			reqs = r.takeRequests()
		}
		var b batch
		empty, err := r.sock.drain(&b)
		if err != nil {
			r.fail(ctx, out, err)
			return
		}
		b.drained = time.Now()
		switch {
		case b.overrun:
			b.resync = r.resync()
		case !empty:
			// A dump must come after every event older than it.
			r.requeue(reqs)
		default:
			for _, id := range reqs {
				links, err := r.req.links(id)
				b.dumps = append(b.dumps, dump{nsid: id, links: links, err: err})
			}
		}
		if len(b.msgs) == 0 && len(b.dumps) == 0 && b.resync == nil && b.malformed == 0 && !flush {
			continue
		}
		flush = len(b.dumps) > 0 || b.resync != nil
		select {
		case out <- b:
		case <-ctx.Done():
			return
		}
		rest.Reset(coalesce)
		select {
		case <-rest.C:
		case <-ctx.Done():
			return
		}
	}
}

func (r *reader) fail(ctx context.Context, out chan<- batch, err error) {
	select {
	case out <- batch{err: fmt.Errorf("netlinkmon: receive events: %w", err)}:
	case <-ctx.Done():
	}
}

// resync reads everything again. The socket has just been drained, which
// ends the kernel's congestion state, so events from here on arrive again.
func (r *reader) resync() *resync {
	// Requests made before the overrun are covered by the full read.
	r.takeRequests()
	ids, err := r.req.nsids()
	if err != nil {
		return &resync{err: err}
	}
	rs := &resync{nsids: ids}
	for _, id := range append([]int32{NoNSID}, ids...) {
		links, err := r.req.links(id)
		rs.dumps = append(rs.dumps, dump{nsid: id, links: links, err: err})
	}
	return rs
}
