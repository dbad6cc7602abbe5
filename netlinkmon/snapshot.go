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

import "time"

// A Source says how a namespace was found. It is fixed when the namespace is
// first seen.
type Source string

// Sources of namespaces.
const (
	// SourceSelf is the namespace the exporter runs in.
	SourceSelf Source = "self"
	// SourceDir is a namespace bind-mounted in one of the watched directories.
	SourceDir Source = "dir"
	// SourceProc is a namespace reachable only through a process.
	SourceProc Source = "proc"
)

// NoNSID is the nsid of the exporter's own namespace, which has none in its
// own id space.
const NoNSID int32 = -1

// A Snapshot is a consistent, deep copy of everything the monitor counts. It
// is safe to read while the monitor goes on.
type Snapshot struct {
	// Namespaces holds every watched namespace, and the dead ones whose
	// retention has not expired yet, sorted by name.
	Namespaces []Namespace
	// Expired holds the counters of the namespaces that left Namespaces
	// since the monitor started, added up: those of named namespaces by
	// source (Name empty), those of Unidentified under that name. A
	// namespace leaves once its retention expires, or early when a new
	// one takes its name. A reader that adds up namespaces by source gets
	// totals that only grow from these and Namespaces together: each
	// namespace is in one or the other, and its source never changes.
	// LastEvent is the latest of the namespaces', and a kind's Created the
	// earliest. Empty until a namespace leaves.
	Expired []Namespace
	// Discoveries counts namespaces that began to be watched.
	Discoveries uint64
	// Removals counts watched namespaces that died.
	Removals uint64
	// Overruns counts receive-queue overruns (ENOBUFS) on the event socket.
	Overruns uint64
	// Resyncs counts full re-reads of link state, by reason.
	Resyncs map[string]uint64
	// Repairs counts corrections of the namespace registry that the
	// kernel's nsid announcements should have made, by reason, each present
	// from the start: "nsid_gone" (a namespace's nsid no longer existed,
	// though no RTM_DELNSID said so), "nsid_unannounced" (an nsid existed
	// that no RTM_NEWNSID had announced), "nsid_reused" (the kernel
	// announced an nsid again before the death of the namespace that held
	// it).
	Repairs map[string]uint64
	// DumpInterruptions counts the dumps that the kernel marked interrupted
	// (NLM_F_DUMP_INTR), each made again.
	DumpInterruptions uint64
	// Messages counts netlink messages received on the event socket, by type
	// (newlink, dellink, newnsid, delnsid, other), the messages that could
	// not be decoded, from events and dumps ("malformed"), and the
	// datagrams that another sender than the kernel sent to the monitor's
	// sockets, dropped unread ("foreign").
	Messages map[string]uint64
	// EventSubscribers is the number of open event subscriptions.
	EventSubscribers int
	// EventsDropped counts events dropped for subscribers that did not
	// keep up.
	EventsDropped uint64
	// Started is when the monitor began counting, once it had read the
	// links present at its start: every counter above began at zero then,
	// also those of a resync reason or message type first seen later.
	Started time.Time
}

// A Namespace is the state of one network namespace, or the counters of
// those that died unnamed (Unidentified).
type Namespace struct {
	// Name is the namespace's fixed name: "host", a bind-mount file name,
	// "ino-<inode>", or Unidentified.
	Name string
	// Inode is the nsfs inode, the namespace's identity.
	Inode uint64
	// NSID is the namespace's id in the exporter's namespace, or NoNSID for
	// the exporter's own and for Unidentified.
	NSID   int32
	Source Source
	// Alive is false once the namespace has died; its counters then keep
	// their final values until the retention expires.
	Alive bool
	// LastEvent is the time of the last link event seen in the namespace,
	// or the zero time if none was.
	LastEvent time.Time
	// Pod is the pod the namespace belongs to, zero if none is known. It
	// stays after the namespace's death, with the counters.
	Pod Pod
	// Kinds holds the counters of each link kind seen, sorted by kind.
	Kinds []KindCounters
	// Links counts the links now present, by kind and operstate, sorted.
	Links []LinkCount
}

// KindCounters are the counters of one link kind in one namespace.
type KindCounters struct {
	// Kind is IFLA_INFO_KIND, or "device" when the kernel reports none.
	Kind string
	// Created is when these counters began at zero: the latest of when
	// the monitor began counting (Snapshot.Started), when it discovered
	// (named) the namespace, and when it first saw a link of the kind in
	// it. A namespace that takes a name reused from a dead one begins anew.
	Created   time.Time
	Creations uint64
	Deletions uint64
	MovesIn   uint64
	MovesOut  uint64
	// CarrierUp and CarrierDown come from the kernel's per-link carrier
	// counters, so they stay exact across lost events.
	CarrierUp   uint64
	CarrierDown uint64
	// FlagsSet and FlagsCleared count transitions of each IFF flag bit;
	// FlagName names the bits.
	FlagsSet     [NumFlags]uint64
	FlagsCleared [NumFlags]uint64
}

// A LinkCount is the number of links of one kind in one operstate.
type LinkCount struct {
	Kind      string
	OperState string
	Count     int
}
