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
	"maps"
	"slices"
	"time"
)

// The registry's nsid table against the kernel's: the RTM_DELNSID messages
// expected for namespaces already counted dead, the reconciliation after an
// overrun and every rescan interval, and the repairs it counts. See "Stale
// RTM_DELNSID" and "Self-repair" in the package documentation.

// staleDelTTL bounds how long an RTM_DELNSID is expected for a namespace
// already counted dead. The package documentation says why.
const staleDelTTL = 10 * time.Second

// Reasons of the registry's repairs; see Snapshot.Repairs.
const (
	repairNSIDGone        = "nsid_gone"
	repairNSIDUnannounced = "nsid_unannounced"
	repairNSIDReused      = "nsid_reused"
)

// repairReasons lists every reason, so that snapshots have each from the
// start.
var repairReasons = []string{repairNSIDGone, repairNSIDUnannounced, repairNSIDReused}

// RepairReasons returns the reasons of Snapshot.Repairs.
func RepairReasons() []string { return slices.Clone(repairReasons) }

// A staleDel is the RTM_DELNSID messages still expected for one nsid: n of
// them, the last expectation made at at.
type staleDel struct {
	n  int
	at time.Time
	// destroying is set when a namespace was counted dead because a dump
	// or a lookup of its nsid found no namespace: the kernel fails those as
	// soon as it begins to destroy a namespace, and frees the nsid, and
	// announces it, only once it is done.
	destroying bool
}

// expectDel expects one more RTM_DELNSID of nsid, of a namespace the monitor
// counted dead before its announcement; destroying says why (see staleDel).
func (r *registry) expectDel(nsid int32, now time.Time, destroying bool) {
	e := r.staleDel[nsid]
	r.staleDel[nsid] = staleDel{n: e.n + 1, at: now, destroying: e.destroying || destroying}
}

// staleDelNSID consumes an expected RTM_DELNSID of nsid, if any.
func (r *registry) staleDelNSID(nsid int32) bool {
	e, ok := r.staleDel[nsid]
	switch {
	case !ok:
		return false
	case e.n > 1:
		e.n--
		r.staleDel[nsid] = e
	default:
		delete(r.staleDel, nsid)
	}
	return true
}

// forgetStaleDels stops expecting the RTM_DELNSID messages that expired says
// will not come.
func (r *registry) forgetStaleDels(expired func(nsid int32, e staleDel) bool) {
	maps.DeleteFunc(r.staleDel, expired)
}

// dying reports whether nsid is that of a namespace that the monitor counted
// dead while the kernel destroys it: the kernel still lists the nsid, which
// is no new namespace.
func (r *registry) dying(nsid int32) bool {
	return r.staleDel[nsid].destroying && r.byNSID[nsid] == nil
}

func listedNSIDs(ids []int32) map[int32]bool {
	listed := make(map[int32]bool, len(ids))
	for _, id := range ids {
		listed[id] = true
	}
	return listed
}

// vanished kills a namespace whose nsid was found to name no namespace, and
// expects its RTM_DELNSID.
func (r *registry) vanished(ns *namespace, now time.Time) {
	r.kill(ns, now, "its nsid names no namespace")
	r.expectDel(ns.nsid, now, true)
}

// drained records that the socket was empty at drained, before the kernel
// listed the nsids in listed: every RTM_NEWNSID and RTM_DELNSID that the
// kernel sent before has been read, or lost in an overrun. The RTM_DELNSID
// messages expected since before will not come, unless a namespace being
// destroyed still holds its nsid: the kernel announces it only once it is
// done, which can be seconds after the monitor counted it dead. The
// RTM_NEWNSID of an nsid that the monitor assigned before was read or lost,
// so the next one is a reuse.
func (r *registry) drained(drained time.Time, listed map[int32]bool) {
	r.forgetStaleDels(func(nsid int32, e staleDel) bool {
		return e.at.Before(drained) && !(e.destroying && listed[nsid])
	})
	for _, ns := range r.byNSID {
		if !ns.assignedAt.IsZero() && ns.assignedAt.Before(drained) {
			ns.assignedAt = time.Time{}
			ns.announced = true
		}
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
// taken.
func (r *registry) syncNSIDs(ids []int32, now, drained time.Time) (missing []int32, unnamed bool) {
	ids = r.others(ids)
	listed := listedNSIDs(ids)
	r.drained(drained, listed)
	for _, id := range ids {
		if _, ok := r.byNSID[id]; !ok && !r.dying(id) {
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

// nsidTable compares the registry with the kernel's nsid table, read every
// rescan interval after the socket was drained at drained. It returns the
// nsids on which the two disagree, each with the namespace that the registry
// holds there, or nil: the kernel lists nsids by position, so a list taken
// while namespaces come and go can skip one, and it lists the nsid of a
// namespace being destroyed. Only a lookup of each (confirmed) tells.
func (r *registry) nsidTable(ids []int32, drained time.Time) map[int32]*namespace {
	ids = r.others(ids)
	listed := listedNSIDs(ids)
	r.drained(drained, listed)
	check := make(map[int32]*namespace)
	for _, id := range ids {
		if _, ok := r.byNSID[id]; !ok && !r.dying(id) {
			check[id] = nil
		}
	}
	for id, ns := range r.byNSID {
		if !listed[id] {
			check[id] = ns
		}
	}
	return check
}

// confirmed applies what a lookup of an nsid found, made after every message
// applied so far: whether it names a namespace, and which namespace the
// registry held at that nsid when it asked. A living namespace whose nsid is
// gone died without an RTM_DELNSID that the monitor read; an nsid that names
// a namespace the registry does not know was given out without an
// RTM_NEWNSID that it read. It reports whether a namespace appeared that only
// a scan can name.
func (r *registry) confirmed(nsid int32, held *namespace, exists bool, now time.Time) (unnamed bool) {
	if nsid == r.selfNSID {
		// Asked before the registry knew the nsid as self's own.
		return false
	}
	ns, ok := r.byNSID[nsid]
	switch {
	case exists && !ok && held == nil:
		r.log.Debug("Found an nsid that no RTM_NEWNSID announced", "nsid", nsid)
		r.add(nsid, now)
		r.repairs[repairNSIDUnannounced]++
		return true
	case !exists && ok && ns == held:
		r.log.Debug("Found a namespace's nsid gone without an RTM_DELNSID", "netns", ns.name, "nsid", nsid)
		r.vanished(ns, now)
		r.repairs[repairNSIDGone]++
	}
	return false
}

// others returns ids without the nsid that the exporter's namespace has for
// itself, which names no other namespace.
func (r *registry) others(ids []int32) []int32 {
	return slices.DeleteFunc(slices.Clone(ids), func(id int32) bool { return id == r.selfNSID })
}

// ownNSID records the nsid that the exporter's namespace has for itself, as
// RTM_GETNSID with a file of that namespace answered, or NoNSID. Older
// kernels send the namespace's own events with it, and every nsid list holds
// it. A namespace that the registry holds at the nsid is either one that
// died while its RTM_DELNSID is on its way or was lost (the kernel gives out
// the lowest free nsid), or one started for the nsid itself, from self's
// events or from its announcement: a named one is counted dead; an unnamed
// one cannot be told apart from self's and is forgotten uncounted. ownNSID
// reports that self's links must be read again, since events of self may
// have been filed elsewhere. See "The exporter's own nsid" in the package
// documentation.
func (r *registry) ownNSID(nsid int32, now time.Time) (reread bool) {
	if nsid < 0 || nsid == r.selfNSID {
		return false
	}
	r.log.Debug("The exporter's namespace has an nsid for itself", "nsid", nsid)
	r.selfNSID = nsid
	ns, ok := r.byNSID[nsid]
	switch {
	case !ok:
		return false
	case ns.named || ns.want != nil:
		r.kill(ns, now, "its nsid is the exporter's namespace's own")
		r.expectDel(nsid, now, false)
	default:
		delete(r.byNSID, nsid)
		delete(r.unsettled, ns)
		delete(r.seeding, ns)
		delete(r.baselining, ns)
	}
	return true
}

// takeNewNSID reports whether the registry started watching an nsid since
// the last call: the exporter's namespace may have been given an nsid for
// itself.
func (r *registry) takeNewNSID() bool {
	n := r.newNSID
	r.newNSID = false
	return n
}

// caughtUp records that the event socket has been drained since counting
// began: every RTM_NEWNSID and RTM_DELNSID sent before the baseline found its
// namespaces has been read, or lost in an overrun. From now on an
// RTM_DELNSID of their nsids is their own, and an RTM_NEWNSID means the
// kernel gave the nsid out again.
func (r *registry) caughtUp() {
	for ns := range r.early {
		ns.early = false
		ns.announced = true
	}
	clear(r.early)
}

// takeDoubted returns the namespaces found by the baseline whose nsid had an
// RTM_DELNSID read before caughtUp: it may have been an earlier holder's.
// A lookup of the nsid tells (doubtedDeath).
func (r *registry) takeDoubted() []*namespace {
	d := r.doubted
	r.doubted = nil
	return d
}

// doubtedDeath applies a lookup of the nsid of ns, made after the
// RTM_DELNSID that takeDoubted returned it for: if the nsid names no
// namespace, that message was ns's own death, already read, so no other is
// expected.
func (r *registry) doubtedDeath(ns *namespace, exists bool, now time.Time) {
	delete(r.doubting, ns)
	if !exists && r.holds(ns) {
		r.kill(ns, now, "RTM_DELNSID, and its nsid names no namespace")
	}
}
