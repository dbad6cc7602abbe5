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
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/netns"
)

// The loop's timing and queue; the package documentation says why each has
// its value.
const (
	// pruneInterval is how often expired state is forgotten.
	pruneInterval = time.Second
	// retryFailed is how long an inode that could not be watched is left
	// alone.
	retryFailed = time.Minute
	// retryDump is how long after a failed dump it is tried again.
	retryDump = time.Second
	// minProcScanGap limits the process scans that unnamed namespaces
	// trigger.
	minProcScanGap = time.Second
)

// A Monitor watches link events in every network namespace it can find.
type Monitor struct {
	log     *slog.Logger
	opts    Options
	nsfsDev uint64

	events *eventSocket
	req    *requester
	reader *reader

	// mu guards reg and the discovery state up to lastProcScan, which the
	// reader's goroutine changes as it applies batches, the loop as it
	// scans, and which snapshots read.
	mu  sync.Mutex
	reg *registry

	resolveWanted bool
	rescanWanted  bool
	// ownNSIDWarned is set once a failure to read the exporter's own nsid
	// was logged.
	ownNSIDWarned bool
	// failed remembers namespaces that could not be watched, so that every
	// scan does not retry them and log again.
	failed map[uint64]time.Time
	// resolving holds the inodes whose nsids the reader was asked for.
	resolving map[uint64]struct{}

	// lastProcScan is the loop's alone.
	lastProcScan time.Time
	// turn gives the loop a turn after a batch that left it work.
	turn chan struct{}

	// life says whether the baseline is read and the loop turns.
	life *lifecycle

	// cancel stops the goroutines when the loop ends early.
	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{}
	err    error
}

// Start checks privileges and opens the netlink sockets, and returns: every
// error it returns is known without waiting for the kernel's RTNL lock. In
// the background, the monitor then discovers the namespaces present now and
// reads their links as the baseline, which may wait minutes for RTNL on a
// busy host ([Monitor.Ready] says when it is done), and watches until ctx is
// cancelled. Errors name what is missing.
func Start(ctx context.Context, opts Options) (*Monitor, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	need := []capability{capNetAdmin, capNetBroadcast}
	if opts.ProcScan {
		need = append(need, capSysPtrace)
	}
	if err := checkCaps(need); err != nil {
		return nil, err
	}
	selfIno, nsfsDev, err := netns.Self()
	if err != nil {
		return nil, fmt.Errorf("netlinkmon: %w", err)
	}
	m := &Monitor{
		log:       opts.Logger,
		opts:      opts,
		nsfsDev:   nsfsDev,
		reg:       newRegistry(selfIno, opts.Retention),
		life:      newLifecycle(time.Now()),
		done:      make(chan struct{}),
		failed:    make(map[uint64]time.Time),
		resolving: make(map[uint64]struct{}),
		turn:      make(chan struct{}, 1),
	}
	m.reg.log = m.log
	if opts.LinkDetail {
		m.reg.enableDetail()
	}
	// The event socket opens first, so that nothing between the baseline
	// dumps and the first read is missed.
	if m.events, err = openEventSocket(opts.ReceiveBufferSize); err != nil {
		return nil, err
	}
	if m.req, err = openRequester(); err != nil {
		m.events.close()
		return nil, err
	}
	ctx, m.cancel = context.WithCancel(ctx)
	// Closing the request socket ends a multi-part dump after its current
	// part, and fails every later request at once: a stop waits for no
	// more than the one request the kernel is serving.
	context.AfterFunc(ctx, func() { m.req.close() })
	go m.run(ctx)
	return m, nil
}

// run reads the baseline, then counts events until ctx is done or the
// event socket fails.
func (m *Monitor) run(ctx context.Context) {
	defer close(m.done)
	defer m.closeSockets()
	defer m.wg.Wait()
	defer m.cancel()
	defer m.reg.feed.Stop()
	defer func() { m.life.setPhase(stopped, m.err) }()

	start := time.Now()
	complete, err := m.baseline(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.err = err
			m.log.Error("Cannot read the baseline; stopping", "err", err)
		}
		return
	}
	if !complete {
		m.log.Warn("The kernel kept interrupting baseline link dumps; retrying", "namespaces", m.baselinePending())
	}
	m.mu.Lock()
	m.reg.startCounting(time.Now())
	m.mu.Unlock()

	readerDone := make(chan error, 1)
	dirChanged := make(chan struct{}, 1)
	m.reader = newReader(m.events, m.req)
	m.reader.drop, _ = ctx.Value(dropKey{}).(func(message) bool)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		readerDone <- m.reader.run(ctx, m.applyBatch)
	}()
	if len(m.opts.NetnsDirs) > 0 {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			if err := netns.Watch(ctx, m.opts.NetnsDirs, dirChanged); err != nil && !errors.Is(err, context.Canceled) {
				m.log.Error("Namespace directories are not watched; only scans will find namespaces", "err", err)
			}
		}()
	}
	// Events since Start wait in the event socket: from here on, every
	// one is counted.
	m.life.setPhase(counting, nil)
	m.log.Info("Read the baseline; counting events", "took", time.Since(start).Round(time.Millisecond))
	m.loop(ctx, readerDone, dirChanged)
}

// baseline checks that the kernel has what the monitor needs, and reads the
// namespaces and links present at start, which are not counted as created.
// Each request may wait for the kernel's RTNL lock; after ctx is done, the
// closed request socket fails them at once. It reports whether every dump of
// it was complete: the kernel marks a dump interrupted when links come and go
// while it runs (see "Interrupted dumps" in the package documentation). A
// namespace whose dump never completed counts nothing until a later one
// does, and the monitor is not ready until then (baselinePending).
func (m *Monitor) baseline(ctx context.Context) (complete bool, err error) {
	if err := m.request(m.req.probe); err != nil {
		return false, baselineError(ctx, err)
	}
	var d linkDump
	err = m.request(func() (err error) { d, err = m.req.links(NoNSID); return err })
	if err := m.applyBaselineDump(m.reg.self, d, err); err != nil {
		return false, baselineError(ctx, err)
	}
	m.scanDirs(ctx)
	if m.opts.ProcScan {
		m.scanProc(ctx)
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	var own int32
	err = m.request(func() (err error) { own, err = ownNSID(m.req); return err })
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	m.mu.Lock()
	if err != nil {
		m.warnOwnNSID(err)
	}
	m.reg.ownNSID(own, time.Now())
	m.mu.Unlock()
	// Namespaces that already had nsids but that no scan can reach.
	var (
		ids           []int32
		interruptions int
	)
	err = m.request(func() (err error) { ids, interruptions, err = m.req.nsids(); return err })
	m.mu.Lock()
	m.reg.interruptions += uint64(interruptions)
	if err == nil {
		for _, id := range m.reg.others(ids) {
			if _, ok := m.reg.byNSID[id]; !ok {
				m.reg.add(id, time.Now())
			}
		}
	}
	nss := slices.Collect(maps.Values(m.reg.byNSID))
	m.mu.Unlock()
	if err != nil {
		return false, baselineError(ctx, err)
	}
	for _, ns := range nss {
		var d linkDump
		err := m.request(func() (err error) { d, err = m.req.links(ns.nsid); return err })
		if err := m.applyBaselineDump(ns, d, err); err != nil {
			return false, baselineError(ctx, err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reg.foreign += uint64(m.req.takeForeign())
	// The baseline asked for the exporter's own nsid before it listed
	// the nsids.
	m.reg.takeNewNSID()
	return len(m.reg.baselining) == 0, nil
}

// baselineError is err, or the cancellation that caused it.
func baselineError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// request runs do, a request to the kernel, as a wait that does not count
// against the monitor's health.
func (m *Monitor) request(do func() error) error {
	defer m.life.enterKernel()()
	return do()
}

// applyBaselineDump applies the baseline dump of ns. It returns the error
// that fails the start, if any.
func (m *Monitor) applyBaselineDump(ns *namespace, d linkDump, err error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	m.reg.interruptions += uint64(d.interruptions)
	switch {
	case err == nil:
		m.noteMalformed(ns, d)
		m.reg.reconcile(ns, d, now)
	case errors.Is(err, errInterrupted):
		m.reg.interruptedBaseline(ns)
		m.reg.seedAfter(ns, now.Add(retryDump))
	case ns != m.reg.self && errors.Is(err, errNoNamespace):
		m.reg.kill(ns, now, "gone before its first dump")
	default:
		return err
	}
	return nil
}

// baselinePending returns how many namespaces, the exporter's own included,
// still wait for a baseline dump that the kernel did not interrupt. The
// baseline is complete once none does.
func (m *Monitor) baselinePending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.reg.baselining)
}

// loop runs what batches leave to do, the scans and the periodic work, until
// ctx is done or the reader stops.
func (m *Monitor) loop(ctx context.Context, readerDone <-chan error, dirChanged <-chan struct{}) {
	rescan := time.NewTicker(m.opts.RescanInterval)
	defer rescan.Stop()
	prune := time.NewTicker(pruneInterval)
	defer prune.Stop()
	// catchUp arms seedTimer when a retried dump is due; nothing is yet.
	seedTimer := time.NewTimer(time.Hour)
	defer seedTimer.Stop()

	m.announceAdded() // the baseline's
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-readerDone:
			if err != nil && ctx.Err() == nil {
				m.err = err
				m.log.Error("Event socket failed; stopping", "err", err)
			}
			return
		case <-m.turn:
		case <-dirChanged:
			m.scanDirs(ctx)
		case <-rescan.C:
			m.rescan(ctx)
		case <-prune.C:
			now := time.Now()
			m.mu.Lock()
			m.reg.prune(now)
			m.reg.nameWaiting(now)
			maps.DeleteFunc(m.failed, func(_ uint64, t time.Time) bool { return now.Sub(t) >= retryFailed })
			m.mu.Unlock()
		case <-seedTimer.C:
		}
		if next := m.catchUp(ctx); !next.IsZero() {
			seedTimer.Reset(time.Until(next))
		}
		m.reg.feed.Flush()
		m.announceAdded()
		m.life.beat(time.Now())
	}
}

// announceAdded passes the namespaces that began to be watched to
// Options.NamespaceAdded. The callback gets no lock held.
func (m *Monitor) announceAdded() {
	m.mu.Lock()
	added := m.reg.takeAdded()
	m.mu.Unlock()
	if m.opts.NamespaceAdded == nil {
		return
	}
	for _, inode := range added {
		m.opts.NamespaceAdded(inode)
	}
}

// rescan is the periodic repair: the scans, which find what a watch or an
// announcement missed, and the nsid table, which the next batch compares
// with the kernel's. See "Self-repair" in the package documentation.
func (m *Monitor) rescan(ctx context.Context) {
	m.scanDirs(ctx)
	if m.opts.ProcScan {
		m.scanProc(ctx)
	}
	m.mu.Lock()
	m.askOwnNSID()
	m.mu.Unlock()
	m.reader.requestNSIDs()
}

// askOwnNSID asks whether the exporter's namespace has an nsid for itself,
// until it has one: a namespace that appears at an nsid may be self (see
// "The exporter's own nsid" in the package documentation). The caller holds
// m.mu.
func (m *Monitor) askOwnNSID() {
	if m.reg.selfNSID == NoNSID {
		m.reader.requestOwnNSID()
	}
}

func (m *Monitor) applyOwnNSID(a ownAnswer, now time.Time) {
	if a.err != nil {
		m.warnOwnNSID(a.err)
		return
	}
	if m.reg.ownNSID(a.nsid, now) {
		m.reader.requestDump(m.reg.self)
	}
}

// warnOwnNSID logs the first failure to read the exporter's own nsid; it is
// asked again at every rescan.
func (m *Monitor) warnOwnNSID(err error) {
	if !m.ownNSIDWarned {
		m.ownNSIDWarned = true
		m.log.Warn("Cannot read the exporter's own nsid; retrying at each rescan", "err", err)
	}
}

// applyBatch applies a batch on the reader's goroutine, wakes the event
// subscribers, and gives the loop a turn if the batch left it work. A burst
// of link events leaves it none: each batch then costs no thread wake-up
// beyond the reader's own.
func (m *Monitor) applyBatch(b batch) {
	if m.apply(b) {
		select {
		case m.turn <- struct{}{}:
		default:
		}
	}
	m.reg.feed.Flush()
}

// apply applies a batch, and reports whether it left the loop work: dumps
// to ask for, scans to run, namespaces to announce.
func (m *Monitor) apply(b batch) (loopWanted bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	m.reg.nextBatch()
	removals := m.reg.removals
	if m.reg.apply(b.msgs, now) {
		m.resolveWanted = true
	}
	m.reg.settle()
	if b.malformed > 0 {
		m.reg.malformed += uint64(b.malformed)
		m.log.Debug("Skipped malformed netlink messages", "count", b.malformed)
	}
	if b.foreign > 0 {
		m.reg.foreign += uint64(b.foreign)
		m.log.Debug("Dropped netlink datagrams that the kernel did not send", "count", b.foreign)
	}
	if b.overrun {
		m.reg.overruns++
	}
	if b.resync != nil {
		m.applyResync(b.resync, now, b.drained)
	}
	for _, res := range b.resolved {
		m.applyResolution(res, now)
	}
	if b.own != nil {
		m.applyOwnNSID(*b.own, now)
	}
	if b.nsids != nil {
		m.applyNSIDList(b.nsids, now, b.drained)
	}
	for _, c := range b.confirmed {
		m.applyConfirmation(c, now)
	}
	for _, d := range b.dumps {
		m.applyDump(d, now)
	}
	if m.reg.takeNewNSID() {
		m.askOwnNSID()
	}
	if d := m.reg.takeDoubted(); len(d) > 0 {
		m.reader.requestDoubted(d)
	}
	if b.emptied {
		m.reg.caughtUp()
	}
	if m.reg.removals != removals {
		// The kernel reuses a dead namespace's inode at once: a new
		// namespace that a scan skipped as already watched is found now.
		m.rescanWanted = true
	}
	return m.resolveWanted || m.rescanWanted || len(m.reg.seeding) > 0 || len(m.reg.added) > 0
}

// applyResync counts every difference between the state and a full re-read
// made after events were lost.
func (m *Monitor) applyResync(rs *resync, now, drained time.Time) {
	m.reg.interruptions += uint64(rs.interruptions)
	if rs.err != nil {
		// Without the nsid list, the state cannot be trusted: try again.
		m.log.Error("Resync failed; retrying", "err", rs.err)
		for _, ns := range m.reg.byNSID {
			m.reader.requestDump(ns)
		}
		m.reader.requestDump(m.reg.self)
		return
	}
	m.reg.resyncs["overrun"]++
	m.reg.feed.Publish(Event{Type: EventResync, Time: now, Reason: "overrun"})
	missing, unnamed := m.reg.syncNSIDs(rs.nsids, now, drained)
	if unnamed {
		m.resolveWanted = true
	}
	for _, id := range missing {
		m.reader.requestDump(m.reg.byNSID[id])
	}
	for _, d := range rs.dumps {
		m.applyDump(d, now)
	}
	m.log.Info("Resynchronized link state after an overrun", "namespaces", len(rs.dumps))
}

// applyNSIDList compares the kernel's nsid table with the registry's, and asks
// to confirm each nsid on which they disagree.
func (m *Monitor) applyNSIDList(l *nsidList, now, drained time.Time) {
	m.reg.interruptions += uint64(l.interruptions)
	if l.err != nil {
		m.log.Warn("Cannot list nsids; retrying at the next rescan", "err", l.err)
		return
	}
	if check := m.reg.nsidTable(l.ids, drained); len(check) > 0 {
		m.reader.requestConfirm(check)
	}
}

func (m *Monitor) applyConfirmation(c confirmation, now time.Time) {
	switch {
	case c.err != nil:
		m.log.Warn("Cannot look up nsid; retrying at the next rescan", "nsid", c.nsid, "err", c.err)
	case c.delRead:
		m.reg.doubtedDeath(c.held, c.exists, now)
	case c.fileGone:
		if !c.exists && m.reg.holds(c.held) {
			// Destroyed; the kernel announces it once it is done.
			m.reg.vanished(c.held, now)
		}
	case m.reg.confirmed(c.nsid, c.held, c.exists, now):
		m.resolveWanted = true
	}
}

// applyDump applies a dump to the namespace it was asked for, if it still
// holds its nsid, or, in a resync, to the namespace of its nsid.
func (m *Monitor) applyDump(d dump, now time.Time) {
	m.reg.interruptions += uint64(d.interruptions)
	ns := d.target
	switch {
	case ns != nil && !m.reg.holds(ns):
		// It died, or lost its nsid, before its dump was applied.
		return
	case ns == nil && d.nsid == NoNSID:
		ns = m.reg.self
	case ns == nil:
		if ns = m.reg.byNSID[d.nsid]; ns == nil {
			return
		}
	}
	switch {
	case d.err == nil:
		m.noteMalformed(ns, d.linkDump)
		m.reg.reconcile(ns, d.linkDump, now)
	case errors.Is(d.err, errNoNamespace):
		// Every event sent before the dump has been applied, so its
		// RTM_DELNSID was lost in an overrun, or is still to come.
		m.reg.vanished(ns, now)
	case errors.Is(d.err, errInterrupted):
		m.log.Debug("Links came and went during every dump of the namespace; retrying", "netns", ns.name, "nsid", ns.nsid)
		m.reg.seedAfter(ns, now.Add(retryDump))
	default:
		m.log.Warn("Cannot read links of namespace; retrying", "netns", ns.name, "nsid", ns.nsid, "err", d.err)
		m.reg.seedAfter(ns, now.Add(retryDump))
	}
}

// noteMalformed counts the messages that a dump of ns skipped, and logs the
// first time a dump of ns skips any.
func (m *Monitor) noteMalformed(ns *namespace, d linkDump) {
	if d.malformed == 0 {
		return
	}
	m.reg.malformed += uint64(d.malformed)
	if !ns.malformedLogged {
		ns.malformedLogged = true
		m.log.Warn("Skipped malformed link messages in a dump; the namespace's other links are counted",
			"netns", ns.name, "nsid", ns.nsid, "count", d.malformed, "ifindexes", d.skipped)
	}
}

// catchUp asks for the first dumps of new namespaces and names them. It
// returns when the next retried dump is due.
func (m *Monitor) catchUp(ctx context.Context) time.Time {
	m.mu.Lock()
	due, next := m.reg.due(time.Now())
	for _, ns := range due {
		ns.seedAt = time.Time{}
		m.reader.requestDump(ns)
	}
	rescan, resolve := m.rescanWanted, m.resolveWanted
	m.rescanWanted, m.resolveWanted = false, false
	m.mu.Unlock()
	if rescan {
		m.scanDirs(ctx)
	}
	if resolve {
		if m.unnamed() {
			m.scanDirs(ctx)
		}
		if m.opts.ProcScan && time.Since(m.lastProcScan) >= minProcScanGap && m.unnamed() {
			m.scanProc(ctx)
		}
	}
	return next
}

// unnamed reports whether any living namespace still needs a scan to be
// named.
func (m *Monitor) unnamed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reg.unnamed()
}

func (m *Monitor) closeSockets() {
	m.events.close()
	m.req.close()
}

// Snapshot returns a consistent copy of the counters.
func (m *Monitor) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.reg.counters(time.Now())
	s.EventSubscribers, s.EventsDropped = m.reg.feed.Subscribers(), m.reg.feed.Dropped()
	return s
}

// AttachPod records that the living namespace with this inode belongs to
// pod, and reports whether the monitor watches one. The pod stays with the
// namespace in snapshots for its life and its retention; a namespace that
// later reuses the inode starts with none. It waits for the monitor's lock,
// which the loop holds while it applies a batch: call it from a goroutine
// of its own, never from Options.NamespaceAdded.
func (m *Monitor) AttachPod(inode uint64, pod Pod) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reg.attachPod(inode, pod)
}

// InterfaceSnapshot returns a copy of the per-link detail, empty unless
// Options.LinkDetail. Snapshot leaves the detail out: each scrape takes both,
// and neither builds what the other needs.
func (m *Monitor) InterfaceSnapshot() InterfaceSnapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reg.interfaceSnapshot(time.Now())
}

// Subscribe opens a subscription to the monitor's link events, as counted;
// see Feed.Subscribe. The subscription ends when the monitor stops.
func (m *Monitor) Subscribe(buffer int, match func(*Event) bool) *Subscription {
	return m.reg.feed.Subscribe(buffer, match)
}

// Ready returns nil once the baseline has been read, by dumps that the kernel
// did not interrupt, and events are counted. Until then, or once the monitor has stopped, it returns why not, on one
// line.
func (m *Monitor) Ready() error {
	if err := m.life.ready(time.Now()); err != nil {
		return err
	}
	if n := m.baselinePending(); n > 0 {
		return fmt.Errorf("netlinkmon: the kernel interrupted the baseline link dumps of %d namespaces; retrying", n)
	}
	return nil
}

// Healthy returns nil unless the monitor has stopped or its loop has made
// no progress for a minute while not waiting for the kernel: the one state
// that a restart would cure. A wait for the kernel's RTNL lock, however
// long, is not counted against it, since a restarted monitor would wait as
// long.
func (m *Monitor) Healthy() error { return m.life.healthy(time.Now()) }

// Wait blocks until the monitor has stopped after its context was cancelled,
// with every goroutine and file descriptor released. It returns the error
// that stopped the monitor early, if any.
func (m *Monitor) Wait() error {
	<-m.done
	return m.err
}
