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
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// A pendingMove is an RTM_DELLINK that said its link left for another
// namespace. The kernel reports the arrival right after it, as the
// link's registration in the new namespace.
type pendingMove struct {
	ifindex int32
	// nsid is relative to the namespace the link left; it can be compared
	// with the monitor's own nsids only when that was the host.
	nsid      int32
	fromLocal bool
}

func (m *pendingMove) matches(msg *message) bool {
	if m == nil || msg.link.change != changeAll || msg.link.index != m.ifindex {
		return false
	}
	return !m.fromLocal || (!msg.local && msg.nsid == m.nsid)
}

// A registry holds every namespace the monitor knows and applies events to
// them. It does no I/O, so that tests drive it with synthetic events.
type registry struct {
	log *slog.Logger

	self *namespace
	// selfNSID is the nsid that self has for itself, or NoNSID; see "The
	// exporter's own nsid" in the package documentation.
	selfNSID int32
	// newNSID is set when a namespace is added; see takeNewNSID.
	newNSID bool
	// early holds the namespaces the baseline found until the socket has
	// been drained once since (caughtUp); doubted, those of them whose
	// RTM_DELNSID was read meanwhile (takeDoubted).
	early   map[*namespace]struct{}
	doubted []*namespace
	// doubting holds the doubted namespaces until their lookup answers.
	doubting map[*namespace]struct{}
	// byNSID holds the living namespaces other than self, named or not.
	byNSID map[int32]*namespace
	// byInode holds the living named namespaces, and those waiting for a
	// name.
	byInode map[uint64]*namespace
	// added holds the inodes of namespaces indexed since the monitor last
	// passed them to Options.NamespaceAdded.
	added []uint64
	// byName holds the exported namespaces, living or within retention.
	byName map[string]*namespace
	// staleDel holds the nsids whose next RTM_DELNSIDs are swallowed, as
	// they belong to namespaces already counted dead; see "Stale
	// RTM_DELNSID" in the package documentation.
	staleDel map[int32]staleDel
	move     *pendingMove
	// unidentified holds the counters of the namespaces that died before
	// any scan named them; see Unidentified.
	unidentified *namespace
	// retired adds up the counters of the namespaces that left byName, and
	// of the unidentified ones pruned; see Snapshot.Expired.
	retired map[expiredKey]*namespace

	// batch numbers the reader's batches, from 1; see linkState.dumped.
	batch uint64
	// unsettled holds the namespaces with dumped links not yet counted.
	unsettled map[*namespace]struct{}
	// waiting holds the namespaces that wait for a name; see wantedName.
	waiting map[*namespace]struct{}
	// seeding holds the namespaces that may have a dump due, so that the
	// loop does not look through every namespace after each batch.
	seeding map[*namespace]struct{}
	// baselining holds the namespaces whose baseline dump the kernel
	// interrupted every time: they count nothing until a dump of theirs
	// completes (see "Interrupted dumps" in the package documentation).
	baselining map[*namespace]struct{}

	// counting is false while the start-up baseline is read: namespaces
	// found then are not new.
	counting  bool
	retention time.Duration
	// started is when counting began; see startCounting.
	started time.Time
	// detail keeps per-link detail; see enableDetail.
	detail bool
	// feed publishes what the namespaces count.
	feed *Feed

	discoveries uint64
	removals    uint64
	overruns    uint64
	resyncs     map[string]uint64
	messages    [numMsgTypes]uint64
	malformed   uint64
	// foreign counts datagrams that another sender than the kernel sent to
	// the monitor's sockets; they are dropped unread.
	foreign uint64
	// interruptions counts dumps that the kernel marked NLM_F_DUMP_INTR.
	interruptions uint64
	// repairs counts corrections of the registry, by reason (repairReasons).
	repairs map[string]uint64
}

// newRegistry returns the registry of a monitor in the namespace with inode
// selfInode. It reads the baseline until startCounting.
func newRegistry(selfInode uint64, retention time.Duration) *registry {
	r := &registry{
		log:        slog.New(slog.DiscardHandler),
		selfNSID:   NoNSID,
		byNSID:     make(map[int32]*namespace),
		byInode:    make(map[uint64]*namespace),
		byName:     make(map[string]*namespace),
		staleDel:   make(map[int32]staleDel),
		unsettled:  make(map[*namespace]struct{}),
		waiting:    make(map[*namespace]struct{}),
		seeding:    make(map[*namespace]struct{}),
		baselining: make(map[*namespace]struct{}),
		early:      make(map[*namespace]struct{}),
		doubting:   make(map[*namespace]struct{}),
		retired:    make(map[expiredKey]*namespace),
		batch:      1,
		resyncs:    map[string]uint64{"overrun": 0},
		repairs:    make(map[string]uint64, len(repairReasons)),
		retention:  retention,
		feed:       NewFeed(),
	}
	for _, reason := range repairReasons {
		r.repairs[reason] = 0
	}
	self := newNamespace(NoNSID)
	self.feed = r.feed
	r.self = self
	// Its series begin when counting does, like every series of the
	// baseline (see began).
	r.name(self, selfInode, "host", SourceSelf, time.Time{})
	r.unidentified = newUnidentified()
	return r
}

// apply applies a batch of messages. It reports whether a namespace appeared
// that only a scan can name.
func (r *registry) apply(msgs []message, now time.Time) (unnamed bool) {
	for i := range msgs {
		msg := &msgs[i]
		if !msg.local && msg.nsid == r.selfNSID {
			msg.local = true
		}
		r.messages[msg.typ]++
		switch msg.typ {
		case msgNewLink:
			ns, isNew := r.lookup(msg, now)
			unnamed = unnamed || isNew
			movedIn := r.move.matches(msg)
			r.move = nil
			if ns.baselining {
				// Older than its baseline, which a later dump reads.
				continue
			}
			ns.newLink(&msg.link, movedIn, now)
			if msg.local && !movedIn && r.peerOf(&msg.link, now) {
				unnamed = true
			}
		case msgDelLink:
			ns, isNew := r.lookup(msg, now)
			unnamed = unnamed || isNew
			r.move = nil
			if msg.link.moved {
				r.move = &pendingMove{ifindex: msg.link.newIfindex, nsid: msg.link.newNSID, fromLocal: msg.local}
			}
			if !ns.baselining {
				ns.delLink(&msg.link, now)
			}
		case msgNewNSID:
			if msg.local && msg.peer != r.selfNSID && r.announced(msg.peer, now) {
				unnamed = true
			}
			// Another namespace's own nsids mean nothing here.
		case msgDelNSID:
			if msg.local {
				r.delNSID(msg.peer, now)
			}
		}
	}
	return unnamed
}

// startCounting ends the baseline: from now on, links the monitor did not
// know are creations. Every counter begins at zero now, at the latest, as
// Snapshot.Started says; those of the baseline's namespaces and kinds begin
// now too (see began).
func (r *registry) startCounting(now time.Time) {
	r.counting = true
	r.started = now
}

// announced applies an RTM_NEWNSID of nsid. The kernel announces an nsid once
// each time it gives it out, so the second announcement while one namespace
// holds it means that the kernel gave it out again: the holder is dead, and
// its RTM_DELNSID is still to come. It reports whether a namespace appeared
// that only a scan can name.
func (r *registry) announced(nsid int32, now time.Time) (unnamed bool) {
	ns, ok := r.byNSID[nsid]
	_, doubted := r.doubting[ns]
	switch {
	case ok && doubted && ns.announced:
		// Its RTM_DELNSID, read already, was its own.
		r.kill(ns, now, "RTM_DELNSID, then its nsid was announced again")
		ok = false
	case ok && ns.announced:
		r.kill(ns, now, "the kernel announced its nsid again")
		r.expectDel(nsid, now, false)
		r.repairs[repairNSIDReused]++
		ok = false
	}
	if !ok {
		ns = r.add(nsid, now)
		unnamed = true
	}
	ns.announced = true
	ns.assignedAt = time.Time{}
	return unnamed
}

// delNSID applies an RTM_DELNSID of nsid.
func (r *registry) delNSID(nsid int32, now time.Time) {
	if r.staleDelNSID(nsid) {
		return
	}
	ns, ok := r.byNSID[nsid]
	switch {
	case !ok:
	case !ns.assignedAt.IsZero():
		r.log.Debug("Ignored the RTM_DELNSID of an earlier holder of the nsid", "netns", ns.name, "nsid", ns.nsid)
	case ns.early && !ns.announced:
		// Once its own announcement is read, the next RTM_DELNSID is its
		// own: the kernel announces a holder's death before the next one.
		r.log.Debug("Read an RTM_DELNSID of a namespace the baseline found; looking its nsid up", "netns", ns.name, "nsid", ns.nsid)
		r.doubted = append(r.doubted, ns)
		r.doubting[ns] = struct{}{}
	default:
		r.kill(ns, now, "RTM_DELNSID")
	}
}

// peerOf notes the peer that the registration of a veth in the exporter's
// namespace names in a namespace whose links the monitor has not read yet.
// The kernel delivers a link's messages only once the link's namespace has
// an nsid; a veth made with its peer in a namespace that has none gives it
// one as it reports the host end, after the peer's registration. The peer is
// counted when a dump reads the namespace, or, if the namespace dies first,
// at its death (namespace.peers). It reports whether a namespace appeared
// that only a scan can name.
func (r *registry) peerOf(l *link, now time.Time) (unnamed bool) {
	if l.change != changeAll || l.kind != "veth" || !l.hasLinkNSID || l.peer <= 0 {
		return false
	}
	ns, ok := r.byNSID[l.linkNSID]
	if !ok {
		ns = r.add(l.linkNSID, now)
		unnamed = true
	}
	if !ns.seeded && !ns.baselining {
		ns.expectPeer(l.peer, l.kind)
	}
	return unnamed
}

// nextBatch starts a batch: what dumps of earlier batches found, and no
// event of theirs or of this one explained, is counted at settle.
func (r *registry) nextBatch() { r.batch++ }

// settle counts the differences found by dumps before this batch.
func (r *registry) settle() {
	for ns := range r.unsettled {
		if !ns.settle(r.batch) {
			delete(r.unsettled, ns)
		}
	}
}

// reconcile applies a dump made after this batch's events. The first complete
// dump of a namespace whose baseline was interrupted is its baseline.
func (r *registry) reconcile(ns *namespace, d linkDump, now time.Time) {
	count := r.counting && !ns.baselining
	ns.reconcile(d, count, now, r.batch)
	if count {
		r.unsettled[ns] = struct{}{}
	}
	if ns.baselining {
		ns.baselining = false
		delete(r.baselining, ns)
	}
}

// holds reports whether ns is alive and still the namespace the monitor knows
// by its nsid: a dump or a lookup asked for it applies to it.
func (r *registry) holds(ns *namespace) bool {
	return ns == r.self || (ns.alive && r.byNSID[ns.nsid] == ns)
}

// interruptedBaseline records that the kernel interrupted every baseline
// dump of ns: until one completes, ns counts nothing.
func (r *registry) interruptedBaseline(ns *namespace) {
	ns.baselining = true
	r.baselining[ns] = struct{}{}
}

// lookup finds the namespace of a link event. Events of an nsid the monitor
// has not heard of (its RTM_NEWNSID was lost in an overrun) start a new one.
func (r *registry) lookup(msg *message, now time.Time) (*namespace, bool) {
	if msg.local {
		return r.self, false
	}
	if ns, ok := r.byNSID[msg.nsid]; ok {
		return ns, false
	}
	return r.add(msg.nsid, now), true
}

// add starts watching the namespace with this nsid. Its links are read as
// soon as the events before now are applied, or by the caller during
// start-up.
func (r *registry) add(nsid int32, now time.Time) *namespace {
	ns := newNamespace(nsid)
	ns.detail = r.detail
	ns.feed = r.feed
	if r.counting {
		r.seedAfter(ns, now)
	}
	r.byNSID[nsid] = ns
	r.newNSID = true
	if !r.counting {
		ns.early = true
		r.early[ns] = struct{}{}
	}
	return ns
}

// assigned records that the monitor itself just had the kernel assign nsid
// to the namespace with this inode, and names it. The kernel gives out only
// free nsids, so whichever namespace held it here is dead; see "nsid
// assignment and its announcements" in the package documentation.
func (r *registry) assigned(nsid int32, inode uint64, base string, src Source, now time.Time) *namespace {
	if ns, ok := r.byNSID[nsid]; ok {
		r.kill(ns, now, "the kernel gave its nsid out again")
		r.expectDel(nsid, now, false)
	}
	ns := r.identify(nsid, inode, base, src, now)
	ns.assignedAt = now
	return ns
}

// identify records that a scan found the namespace with this inode behind
// nsid, and names it. It returns the namespace.
func (r *registry) identify(nsid int32, inode uint64, base string, src Source, now time.Time) *namespace {
	ns := r.byNSID[nsid]
	if ns != nil && ns.named && ns.inode != inode {
		// The kernel gave the nsid to another namespace, so the one that
		// had it died; its RTM_DELNSID is still on its way.
		r.kill(ns, now, "its nsid belongs to another namespace")
		r.expectDel(nsid, now, false)
		ns = nil
	}
	if ns == nil {
		ns = r.add(nsid, now)
	}
	if ns.named || ns.want != nil {
		return ns
	}
	if old, ok := r.byName[base]; ok && old.alive && src == SourceDir {
		// Most likely the old holder is dying: wait a moment for it.
		ns.inode = inode
		r.indexInode(ns, inode)
		ns.want = &wantedName{base: base, src: src, until: now.Add(nameWait)}
		r.waiting[ns] = struct{}{}
		return ns
	}
	r.name(ns, inode, base, src, now)
	return ns
}

// nameWait is how long a namespace found in a directory waits for a name
// that a living namespace holds, before it takes "ino-<inode>". The package
// documentation says why.
const nameWait = time.Second

// nameWaiting names the namespaces that waited for a name which is free
// now, or waited long enough.
func (r *registry) nameWaiting(now time.Time) {
	for ns := range r.waiting {
		old, held := r.byName[ns.want.base]
		if held && old.alive && now.Before(ns.want.until) {
			continue
		}
		r.name(ns, ns.inode, ns.want.base, ns.want.src, now)
		ns.want = nil
		delete(r.waiting, ns)
	}
}

// name gives ns its fixed name and exports it: its series begin now.
func (r *registry) name(ns *namespace, inode uint64, base string, src Source, now time.Time) {
	ino := "ino-" + strconv.FormatUint(inode, 10)
	// File names need not be UTF-8; label values must.
	base = strings.ToValidUTF8(base, "\uFFFD")
	if base == "" {
		base = ino
	}
	if old, ok := r.byName[base]; (ok && old.alive) || base == Unidentified {
		// Two living namespaces never share a name, and none takes the
		// one of those that no scan named.
		base = ino
	}
	if old, ok := r.byName[base]; ok && !old.alive {
		// A name is reused (ip netns del X; ip netns add X): the dead
		// namespace's series end early rather than collide.
		r.retire(old)
		delete(r.byName, base)
	}
	ns.name, ns.inode, ns.source, ns.named = base, inode, src, true
	ns.discovered = now
	r.indexInode(ns, inode)
	r.byName[base] = ns
	r.discoveries++
}

// kill counts ns dead. One that a scan found and that still waited for its
// name takes it now, or "ino-<inode>" if a living namespace still holds it: it
// was identified. The counters of one that no scan found go to Unidentified.
func (r *registry) kill(ns *namespace, now time.Time, why string) {
	if want := ns.want; want != nil && !ns.named {
		ns.want = nil
		r.name(ns, ns.inode, want.base, want.src, now)
	}
	r.log.Debug("Namespace died", "netns", ns.name, "nsid", ns.nsid, "inode", ns.inode, "why", why)
	ns.die(now)
	delete(r.unsettled, ns)
	delete(r.doubting, ns)
	delete(r.waiting, ns)
	delete(r.baselining, ns)
	ns.baselining = false
	defer r.nameWaiting(now)
	if r.byNSID[ns.nsid] == ns {
		delete(r.byNSID, ns.nsid)
	}
	if ns.named {
		if r.byInode[ns.inode] == ns {
			delete(r.byInode, ns.inode)
		}
		r.removals++
		return
	}
	r.unidentified.absorb(ns, now)
}

// expired reports whether ns is dead and its retention is over.
func (r *registry) expired(ns *namespace, now time.Time) bool {
	return !ns.alive && now.Sub(ns.died) >= r.retention
}

// prune forgets dead namespaces whose retention has expired, and old
// tombstones.
func (r *registry) prune(now time.Time) {
	for name, ns := range r.byName {
		if r.expired(ns, now) {
			r.retire(ns)
			delete(r.byName, name)
		}
	}
	if r.unidentified.present() && r.expired(r.unidentified, now) {
		r.retire(r.unidentified)
		r.unidentified = newUnidentified()
	}
	r.forgetStaleDels(func(_ int32, e staleDel) bool { return now.Sub(e.at) >= staleDelTTL })
	r.self.expireTombstones(now)
	r.self.expireFormer(now, r.retention)
	for _, ns := range r.byNSID {
		ns.expireTombstones(now)
		ns.expireFormer(now, r.retention)
	}
}

// seedAfter makes a dump of ns due at t.
func (r *registry) seedAfter(ns *namespace, t time.Time) {
	ns.seedAt = t
	r.seeding[ns] = struct{}{}
}

// due returns the namespaces whose first dump is due, and when the next
// one will be.
func (r *registry) due(now time.Time) (due []*namespace, next time.Time) {
	for ns := range r.seeding {
		switch {
		case ns.seedAt.IsZero() || !ns.alive:
			delete(r.seeding, ns)
		case !ns.seedAt.After(now):
			due = append(due, ns)
		case next.IsZero() || ns.seedAt.Before(next):
			next = ns.seedAt
		}
	}
	return due, next
}

// unnamed reports whether any living namespace still needs a scan to be
// named.
func (r *registry) unnamed() bool {
	for _, ns := range r.byNSID {
		if !ns.named && ns.want == nil {
			return true
		}
	}
	return false
}
