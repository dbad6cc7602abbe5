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

// A retryPolicy paces the lists made for namespaces that the runtime does
// not list (yet), and the calls after a failure.
type retryPolicy struct {
	// first, doubling up to max, is the pause between lists for a
	// namespace not found, until it has been looked for for giveUp.
	first, max, giveUp time.Duration
	// errFirst, doubling up to the resync interval, is the pause after a
	// failed call.
	errFirst time.Duration
}

// defaultRetry: the runtime lists a sandbox only once CNI has set its
// namespace up and its process runs, hundreds of milliseconds after the
// namespace appeared, or seconds with slow CNI plugins. The lists stay
// close enough together that a pod is named within half a second of its
// sandbox's start; they are shared by every namespace that waits. A
// namespace that is no pod's costs giveUp/max lists at most.
func defaultRetry() retryPolicy {
	return retryPolicy{
		first:    100 * time.Millisecond,
		max:      500 * time.Millisecond,
		giveUp:   15 * time.Second,
		errFirst: time.Second,
	}
}

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

// wanted is a namespace that is being looked for among the sandboxes.
type wanted struct {
	since, next time.Time
	tries       int
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

// takeNotified moves the notified namespaces to wanted. While no runtime
// answers, they are dropped: once one does, its first list attributes
// every sandbox it has.
func (r *Resolver) takeNotified(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ino := range r.notified {
		if _, ok := r.wanted[ino]; !ok && r.rt != nil {
			r.wanted[ino] = &wanted{since: now, next: now}
		}
	}
	clear(r.notified)
}

// attachKnown attaches the wanted namespaces of sandboxes already known.
// The file that gave a sandbox's inode is read again first: a namespace
// that died takes its inode with it, and the kernel gives it to the next
// new namespace, which may be no pod's.
func (r *Resolver) attachKnown(attach AttachFunc) {
	for ino := range r.wanted {
		sb, ok := r.byInode[ino]
		if !ok {
			continue
		}
		if got, err := r.fs.inode(sb.file); err != nil || got != ino {
			delete(r.byInode, ino)
			sb.inode, sb.file = 0, ""
			continue
		}
		delete(r.wanted, ino)
		attach(ino, sb.pod)
	}
}

func (r *Resolver) listDue(now time.Time) bool {
	if !now.Before(r.listAt) {
		return true
	}
	if r.failing {
		return false
	}
	for _, w := range r.wanted {
		if !now.Before(w.next) {
			return true
		}
	}
	return false
}

// retryLater schedules the next look for the namespaces still wanted after
// a list begun at now, and gives up on those wanted for too long. Every
// list looks for every namespace, so it counts as a try for each.
func (r *Resolver) retryLater(now time.Time) {
	for ino, w := range r.wanted {
		pause := r.retry.first
		for i := 0; i < w.tries && pause < r.retry.max; i++ {
			pause *= 2
		}
		w.next = now.Add(min(pause, r.retry.max))
		w.tries++
		if w.next.Sub(w.since) >= r.retry.giveUp {
			delete(r.wanted, ino)
		}
	}
}

// pauseAfterError returns how long to wait after a failure: doubling, from
// retry.errFirst up to the resync interval.
func (r *Resolver) pauseAfterError() time.Duration {
	switch {
	case r.errPause == 0:
		r.errPause = min(r.retry.errFirst, r.opts.ResyncInterval)
	case r.errPause < r.opts.ResyncInterval:
		r.errPause = min(2*r.errPause, r.opts.ResyncInterval)
	}
	return r.errPause
}

// failed logs the first failure of a streak as a warning, and the rest
// only at debug level.
func (r *Resolver) failed(msg, endpoint string, err error) {
	r.failedCalls++
	if r.failing {
		r.log.Debug(msg, "endpoint", endpoint, "err", err)
		return
	}
	r.failing = true
	r.log.Warn(msg, "endpoint", endpoint, "err", err)
}

func (r *Resolver) recovered() {
	if r.failing {
		r.log.Info("The CRI runtime answers again", "endpoint", r.rt.socket, "failed_attempts", r.failedCalls)
	}
	r.failing, r.failedCalls, r.errPause = false, 0, 0
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
