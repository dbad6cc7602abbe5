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
	"maps"
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
	// staleDel holds the nsids whose next RTM_DELNSID is swallowed, as it
	// belongs to a namespace already counted dead, with when that was
	// found; see "Stale RTM_DELNSID" in the package documentation.
	staleDel map[int32]time.Time
	move     *pendingMove

	// batch numbers the reader's batches, from 1; see linkState.dumped.
	batch uint64
	// unsettled holds the namespaces with dumped links not yet counted.
	unsettled map[*namespace]struct{}
	// waiting holds the namespaces that wait for a name; see wantedName.
	waiting map[*namespace]struct{}
	// seeding holds the namespaces that may have a dump due, so that the
	// loop does not look through every namespace after each batch.
	seeding map[*namespace]struct{}

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
}

// newRegistry returns the registry of a monitor in the namespace with inode
// selfInode. It reads the baseline until startCounting.
func newRegistry(selfInode uint64, retention time.Duration) *registry {
	r := &registry{
		log:       slog.New(slog.DiscardHandler),
		byNSID:    make(map[int32]*namespace),
		byInode:   make(map[uint64]*namespace),
		byName:    make(map[string]*namespace),
		staleDel:  make(map[int32]time.Time),
		unsettled: make(map[*namespace]struct{}),
		waiting:   make(map[*namespace]struct{}),
		seeding:   make(map[*namespace]struct{}),
		batch:     1,
		resyncs:   map[string]uint64{"overrun": 0},
		retention: retention,
		feed:      NewFeed(),
	}
	self := newNamespace(NoNSID)
	self.feed = r.feed
	r.self = self
	// Its series begin when counting does, like every series of the
	// baseline (see began).
	r.name(self, selfInode, "host", SourceSelf, time.Time{})
	return r
}

// apply applies a batch of messages. It reports whether a namespace appeared
// that only a scan can name.
func (r *registry) apply(msgs []message, now time.Time) (unnamed bool) {
	for i := range msgs {
		msg := &msgs[i]
		r.messages[msg.typ]++
		switch msg.typ {
		case msgNewLink:
			ns, isNew := r.lookup(msg, now)
			unnamed = unnamed || isNew
			ns.newLink(&msg.link, r.move.matches(msg), now)
			r.move = nil
		case msgDelLink:
			ns, isNew := r.lookup(msg, now)
			unnamed = unnamed || isNew
			ns.delLink(&msg.link, now)
			r.move = nil
			if msg.link.moved {
				r.move = &pendingMove{ifindex: msg.link.newIfindex, nsid: msg.link.newNSID, fromLocal: msg.local}
			}
		case msgNewNSID:
			if !msg.local {
				// Another namespace's own nsids mean nothing here.
				continue
			}
			if ns, ok := r.byNSID[msg.peer]; ok {
				ns.assignedAt = time.Time{}
			} else {
				r.add(msg.peer, now)
				unnamed = true
			}
		case msgDelNSID:
			if !msg.local {
				continue
			}
			if _, stale := r.staleDel[msg.peer]; stale {
				delete(r.staleDel, msg.peer)
				continue
			}
			ns, ok := r.byNSID[msg.peer]
			switch {
			case !ok:
			case !ns.assignedAt.IsZero():
				r.log.Debug("Ignored the RTM_DELNSID of an earlier holder of the nsid", "netns", ns.name, "nsid", ns.nsid)
			default:
				r.kill(ns, now, "RTM_DELNSID")
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

// reconcile applies a dump made after this batch's events.
func (r *registry) reconcile(ns *namespace, links []link, now time.Time) {
	ns.reconcile(links, r.counting, now, r.batch)
	if r.counting {
		r.unsettled[ns] = struct{}{}
	}
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
	return ns
}

// vanished kills a namespace whose nsid a dump found gone, and expects its
// RTM_DELNSID (staleDel).
func (r *registry) vanished(ns *namespace, now time.Time) {
	r.kill(ns, now, "its nsid names no namespace")
	r.staleDel[ns.nsid] = now
}

// assigned records that the monitor itself just had the kernel assign nsid
// to the namespace with this inode, and names it. The kernel gives out only
// free nsids, so whichever namespace held it here is dead; see "nsid
// assignment and its announcements" in the package documentation.
func (r *registry) assigned(nsid int32, inode uint64, base string, src Source, now time.Time) *namespace {
	if ns, ok := r.byNSID[nsid]; ok {
		r.kill(ns, now, "the kernel gave its nsid out again")
		r.staleDel[nsid] = now
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
		r.staleDel[nsid] = now
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

// staleDelTTL bounds how long an RTM_DELNSID is expected for a namespace
// already counted dead. The package documentation says why.
const staleDelTTL = 10 * time.Second

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
	if old, ok := r.byName[base]; ok && old.alive {
		// Two living namespaces never share a name.
		base = ino
	}
	if old, ok := r.byName[base]; ok && !old.alive {
		// A name is reused (ip netns del X; ip netns add X): the dead
		// namespace's series end early rather than collide.
		delete(r.byName, base)
	}
	ns.name, ns.inode, ns.source, ns.named = base, inode, src, true
	ns.discovered = now
	r.indexInode(ns, inode)
	r.byName[base] = ns
	r.discoveries++
}

func (r *registry) kill(ns *namespace, now time.Time, why string) {
	r.log.Debug("Namespace died", "netns", ns.name, "nsid", ns.nsid, "inode", ns.inode, "why", why)
	ns.die(now)
	delete(r.unsettled, ns)
	delete(r.waiting, ns)
	defer r.nameWaiting(now)
	if r.byNSID[ns.nsid] == ns {
		delete(r.byNSID, ns.nsid)
	}
	// A namespace waiting for a name has an inode but no name yet.
	if r.byInode[ns.inode] == ns {
		delete(r.byInode, ns.inode)
	}
	if ns.named {
		r.removals++
	}
}

// syncNSIDs compares the living namespaces with the nsids that exist after
// an overrun, which may have hidden RTM_NEWNSID and RTM_DELNSID messages. It
// starts watching the new nsids, and returns those it knows that the list
// lacks, which only a dump can tell dead (see "Overruns and resyncs" in the
// package documentation). It also reports whether a namespace appeared that
// only a scan can name.
//
// drained is when the reader emptied the socket before the nsid list was
// taken: every RTM_NEWNSID and RTM_DELNSID sent before then has been read or
// lost.
func (r *registry) syncNSIDs(ids []int32, now, drained time.Time) (missing []int32, unnamed bool) {
	maps.DeleteFunc(r.staleDel, func(_ int32, found time.Time) bool { return found.Before(drained) })
	for _, ns := range r.byNSID {
		if !ns.assignedAt.IsZero() && ns.assignedAt.Before(drained) {
			// Its RTM_NEWNSID was read or lost.
			ns.assignedAt = time.Time{}
		}
	}
	listed := make(map[int32]bool, len(ids))
	for _, id := range ids {
		listed[id] = true
		if _, ok := r.byNSID[id]; !ok {
			r.add(id, now)
			unnamed = true
		}
	}
	for id := range r.byNSID {
		if !listed[id] {
			missing = append(missing, id)
		}
	}
	return missing, unnamed
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
			delete(r.byName, name)
		}
	}
	maps.DeleteFunc(r.staleDel, func(_ int32, found time.Time) bool { return now.Sub(found) >= staleDelTTL })
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
