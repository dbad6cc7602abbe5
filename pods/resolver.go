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

package pods

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"
)

// Defaults of Options.
const (
	// DefaultResyncInterval is how often the sandboxes are listed again
	// when no new namespace asks for it.
	DefaultResyncInterval = 30 * time.Second
	// DefaultTimeout bounds each CRI call. A runtime answers these calls
	// from memory, in milliseconds.
	DefaultTimeout = 2 * time.Second
)

// Options configure a Resolver.
type Options struct {
	// Logger receives the resolver's logs. Nil discards them.
	Logger *slog.Logger
	// Endpoints are CRI sockets, as paths or unix:// URLs, tried in
	// order: the first that answers is the runtime. None tries
	// DefaultEndpoints. With more than one, those that are not there are
	// skipped, and while none answers they are tried again, quietly, every
	// ResyncInterval. One alone is the runtime: its failures are
	// counted, logged and retried with backoff.
	Endpoints []string
	// ResyncInterval is how often the sandboxes are listed again without
	// a new namespace: to forget removed sandboxes, and to catch those
	// whose namespaces stopped being retried.
	ResyncInterval time.Duration
	// Timeout bounds each CRI call.
	Timeout time.Duration
}

// Stats are a Resolver's counters, for the exporter's own metrics.
type Stats struct {
	// Endpoint is the socket of the runtime in use, or "" while none
	// answers.
	Endpoint string
	// RuntimeName and RuntimeVersion are what the runtime said of itself.
	RuntimeName, RuntimeVersion string
	// Requests counts CRI calls by method (Version, ListPodSandbox,
	// PodSandboxStatus), and Errors those that failed.
	Requests, Errors map[string]uint64
	// Sandboxes is the number of sandboxes at the last list, and
	// Attributed those among them with a network namespace of their own.
	Sandboxes, Attributed int
	// Started is when the counters began, at zero: when New made the
	// Resolver. It is their created timestamp.
	Started time.Time
}

// A Resolver attributes network namespaces to pods: see the package
// documentation.
type Resolver struct {
	log  *slog.Logger
	opts Options
	// candidates are the sockets tried, in order; explicit is set when
	// there is one alone, which must answer.
	candidates []string
	explicit   bool
	retry      retryPolicy
	fs         *nsfs
	// now is time.Now, but for tests.
	now func() time.Time

	wake chan struct{}
	// mu guards notified and stats, which other goroutines touch.
	mu       sync.Mutex
	notified map[uint64]struct{}
	stats    Stats

	// The rest belongs to Run's goroutine.
	rt        *runtime
	connectAt time.Time
	// listAt is when the next list is due, failing or not.
	listAt   time.Time
	errPause time.Duration
	// failing is true from a failed call to the next successful list, so
	// that a runtime that is down is logged once, not per call.
	failing     bool
	failedCalls int
	// sandboxes caches what the runtime said of each sandbox, by id: a
	// sandbox's network namespace is fixed for its life.
	sandboxes map[string]*sandbox
	// byInode holds the sandboxes with a namespace of their own.
	byInode map[uint64]*sandbox
	// wanted holds the namespaces not known to belong to a pod, that are
	// still being looked for.
	wanted map[uint64]*wanted
	// said remembers which once-only messages were logged.
	said map[string]bool
}

// A sandbox is what the resolver knows of one pod sandbox.
type sandbox struct {
	id  string
	pod Pod
	// inode is the sandbox's network namespace, or 0 if it has none of
	// its own or none was found.
	inode uint64
	// file is the namespace file that inode was read from.
	file string
}

// New returns a Resolver. It checks the options and does no I/O with the
// runtime: Run connects.
func New(opts Options) (*Resolver, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ResyncInterval == 0 {
		opts.ResyncInterval = DefaultResyncInterval
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	switch {
	case opts.ResyncInterval < 0:
		return nil, fmt.Errorf("pods: resync interval %v is negative", opts.ResyncInterval)
	case opts.Timeout < 0:
		return nil, fmt.Errorf("pods: timeout %v is negative", opts.Timeout)
	}
	r := &Resolver{
		log:        opts.Logger,
		opts:       opts,
		candidates: DefaultEndpoints(),
		retry:      defaultRetry(),
		now:        time.Now,
		wake:       make(chan struct{}, 1),
		notified:   make(map[uint64]struct{}),
		sandboxes:  make(map[string]*sandbox),
		byInode:    make(map[uint64]*sandbox),
		wanted:     make(map[uint64]*wanted),
		said:       make(map[string]bool),
		stats: Stats{
			Started:  time.Now(),
			Requests: map[string]uint64{methodVersion: 0, methodList: 0, methodStatus: 0},
			Errors:   map[string]uint64{methodVersion: 0, methodList: 0, methodStatus: 0},
		},
	}
	if len(opts.Endpoints) > 0 {
		r.candidates, r.explicit = nil, len(opts.Endpoints) == 1
		for _, e := range opts.Endpoints {
			socket, err := ParseEndpoint(e)
			if err != nil {
				return nil, err
			}
			r.candidates = append(r.candidates, socket)
		}
	}
	fs, err := openNSFS()
	if err != nil {
		return nil, err
	}
	r.fs = fs
	return r, nil
}

// Notify tells the resolver that a network namespace with this inode
// appeared. It does not block.
func (r *Resolver) Notify(inode uint64) {
	r.mu.Lock()
	r.notified[inode] = struct{}{}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Stats returns a copy of the resolver's counters.
func (r *Resolver) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Requests, s.Errors = maps.Clone(s.Requests), maps.Clone(s.Errors)
	return s
}

// Run attributes namespaces to pods, through attach, until ctx is done. It
// lists every sandbox at once, then whenever a namespace is notified that
// it cannot attribute from what it knows, and every ResyncInterval.
func (r *Resolver) Run(ctx context.Context, attach AttachFunc) {
	defer r.disconnect()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-timer.C:
		}
		next := r.step(ctx, r.now(), attach)
		timer.Reset(time.Until(next))
	}
}

// step does what is due at now, and returns when it should run again.
func (r *Resolver) step(ctx context.Context, now time.Time, attach AttachFunc) time.Time {
	if r.rt == nil && !r.connect(ctx, now) {
		r.takeNotified(now)
		return r.connectAt
	}
	r.takeNotified(now)
	r.attachKnown(attach)
	if r.listDue(now) {
		if err := r.sync(ctx, attach); err != nil {
			r.failed("Cannot list the CRI runtime's pod sandboxes; retrying", r.rt.socket, err)
			r.listAt = r.now().Add(r.pauseAfterError())
		} else {
			r.recovered()
			r.listAt = r.now().Add(r.opts.ResyncInterval)
		}
		r.retryLater(now)
	}
	next := r.listAt
	if !r.failing {
		for _, w := range r.wanted {
			if w.next.Before(next) {
				next = w.next
			}
		}
	}
	return next
}

// count records a CRI call in the stats.
func (r *Resolver) count(method string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Requests[method]++
	if err != nil {
		r.stats.Errors[method]++
	}
}

// once logs a message once for the resolver's life.
func (r *Resolver) once(level slog.Level, msg string, args ...any) {
	if r.said[msg] {
		r.log.Debug(msg, args...)
		return
	}
	r.said[msg] = true
	r.log.Log(context.Background(), level, msg, args...)
}

func (r *Resolver) disconnect() {
	if r.rt != nil {
		r.rt.close()
		r.rt = nil
	}
}
