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

// Package netlinkmon watches link events in every network namespace of a
// Linux host and counts them per namespace.
//
// One event socket in the host namespace listens with NETLINK_LISTEN_ALL_NSID
// and hears every namespace that has an nsid. The monitor assigns nsids to the
// namespaces it discovers (bind mounts in watched directories, processes, and
// those the kernel announces), seeds each one's link state with a dump through
// IFLA_TARGET_NETNSID, and treats RTM_DELNSID as the namespace's death. It
// never holds a file descriptor or socket of another namespace for longer than
// one request: either would keep a dead namespace, and its devices, alive.
//
// Callers read the counters through [Monitor.Snapshot], and follow what is
// counted, event by event, through [Monitor.Subscribe]. The package has no
// Prometheus dependency. With [Options.LinkDetail], [Monitor.InterfaceSnapshot]
// has each link's detail, which costs memory per link.
//
// The rest of this comment is for those who change the package: how a
// namespace and a link live in the monitor, and why each constant has its
// value. Comments in the code are short and point here.
//
// # Goroutines and order
//
// The reader goroutine owns the order of everything read from the kernel.
// It waits on the event socket (a raw descriptor in an epoll instance of its
// own, so that a datagram wakes nobody unless the reader waits), reads every
// queued datagram without blocking (a drain), and hands the decoded messages
// over as a batch. Dumps that the loop asked for are made only right after a
// drain that emptied the socket, and travel in the same batch, after its
// messages: every message the kernel sent before a dump is applied before the
// dump. After each batch the reader rests for coalesce.
//
// The loop goroutine applies batches to the registry, which holds every
// namespace and does no I/O (its tests drive it with hand-made messages). It
// also runs the scans, assigns nsids, prunes, and wakes event subscribers
// once per loop turn. Snapshots take the registry's lock; only the loop
// writes to the registry.
//
// With [Options.NetnsDirs], a third goroutine watches the directories
// (netns.Watch in internal/netns) and tells the loop when to scan them.
//
// # Start, stop and health
//
// [Start] checks the capabilities and opens the sockets, which needs no RTNL,
// and returns. A goroutine then reads the baseline (below) and runs the
// loop. A link dump waits for the kernel's RTNL lock in uninterruptible
// sleep, and the kernel holds RTNL for seconds to minutes while it tears
// down namespaces full of bridges; until the baseline has been read,
// [Monitor.Ready] says what it waits for, and snapshots are not complete.
// The requests for nsids need no RTNL (RTM_NEWNSID and RTM_GETNSID are
// RTNL_FLAG_DOIT_UNLOCKED, and 6.x kernels dump nsids unlocked too): they
// answer in milliseconds while a link dump waits.
//
// Stopping closes the request socket at once: a dump that waits for RTNL
// returns when the kernel serves it, then fails, as does every later
// request, so a stop waits for no more than the one request in flight. No
// signal ends that wait; the process exits when the kernel lets it.
//
// [Monitor.Healthy] fails only where a restart would help. The goroutine that
// reads the baseline and runs the loop records a beat at every loop turn
// (at least every pruneInterval) and at the end of every request to the
// kernel, and marks the time it spends in such requests. Time in the kernel
// never counts: a restarted monitor would wait as long for the same lock.
// Only loopStall without a beat outside the kernel makes it unhealthy: a
// deadlock, or a loop that no longer turns. The reader is not watched: it
// waits only for the kernel (epoll, receives, dumps) and for the loop.
//
// # Discovery
//
// A namespace becomes known in one of these ways:
//
//   - At start, as the baseline: the host's links are dumped, the directories
//     and (with [Options.ProcScan]) the processes are scanned, every nsid the
//     kernel lists is added, and every namespace found is dumped. Namespaces
//     named then count as discoveries; their links are not counted as
//     created.
//   - A directory scan: Watch signals once at its start, and within
//     milliseconds of a change to the entries of a watched directory
//     (inotify) or to the mount table (POLLPRI on /proc/self/mountinfo:
//     "ip netns add" bind-mounts onto a file it created earlier, which
//     raises no inotify event). Every signal scans every directory.
//   - A process scan, every [Options.RescanInterval] with [Options.ProcScan].
//   - The kernel: an RTM_NEWNSID in the host's nsid space for an nsid the
//     monitor does not know, a link message from such an nsid (its
//     RTM_NEWNSID was lost in an overrun), or an nsid that the list after an
//     overrun has. Such a namespace is known by its nsid alone: it is
//     watched, its links are dumped and counted, but it has no name and is
//     left out of snapshots until a scan finds its inode behind that nsid.
//     Right after the batch that made it, the loop scans the directories if
//     any namespace lacks a name, then, with [Options.ProcScan], the processes
//     if one still does and minProcScanGap has passed since the last process
//     scan.
//
// A scan only stats namespace files. For each one whose inode the monitor
// does not know, the loop opens the file (checking that it still is the
// network namespace with that inode), asks the kernel for its nsid with
// RTM_GETNSID, has the kernel assign one with RTM_NEWNSID if it has none
// (without an nsid the kernel delivers none of its events to the event
// socket), and closes the file. A file that vanished or changed in between
// (another inode, or no network namespace) is skipped: the kernel reuses
// inodes at once, so the next namespace with that inode must not wait. Any
// other failure is logged and the inode left alone for retryFailed.
//
// # Names
//
// A namespace is named when a scan identifies it, and the name is fixed for
// its life: "host" for the exporter's own, the file name (invalid UTF-8
// replaced by U+FFFD) for one found in a directory, "ino-<inode>" for one
// found only through a process. Two living namespaces never share a name: a
// namespace whose name a living one holds takes "ino-<inode>". One found in a
// directory first waits up to nameWait for the name, because "ip netns del
// X; ip netns add X" makes the new X before the old one's death is known: it
// takes the name at the old one's death, or "ino-<inode>" if the wait ends
// first (which each prune checks). A name that a dead namespace within its
// retention holds is taken at once, and the dead one's series end early
// rather than collide.
//
// # nsid assignment and its announcements
//
// The kernel frees a dead namespace's nsid before it announces the death
// with RTM_DELNSID, and may give the nsid out again in between. So when the
// monitor itself has the kernel assign an nsid that a namespace it watches
// still holds, that namespace is dead: it is counted dead at once. The same
// holds when a scan finds another inode behind a named namespace's nsid. In
// both cases the old holder's RTM_DELNSID is still to come (unless it was
// lost), and may come before or after the new holder's RTM_NEWNSID; see
// "Stale RTM_DELNSID" below.
//
// Until the RTM_NEWNSID of an nsid the monitor had assigned is read, an
// RTM_DELNSID of that nsid belongs to an earlier holder and is ignored. That
// wait ends when the RTM_NEWNSID is read, or at a resync whose drain came
// after the assignment (the message was then read or lost).
//
// # The seed dump and settling one batch later
//
// The dump of a namespace found after the start is asked for at the end of
// the loop turn that found it. The dump counts: a link it finds that the
// monitor did not know is a creation, a link it lacks is a deletion, a flag
// that differs is a change. Creations and deletions are not counted at once,
// though. The kernel keeps sending while a dump runs, so the next batch may
// hold messages older than the dump: the registration of a link that moved
// into the namespace, say, which the dump already shows. Such differences
// are held until the next batch is applied (the reader sends it even if it is
// empty), and counted then, unless a message of that batch says how the link
// came or went: a registration that follows the link's departure from
// another namespace makes it a move in, an RTM_DELLINK that names a new
// namespace makes it a move out. While a link waits to be settled, its
// messages count no flag changes: they may be older than the dump. A dump
// that fails with another error than a gone namespace is retried after
// retryDump.
//
// # Death
//
// A namespace dies:
//
//   - at its RTM_DELNSID, unless the message belongs to an earlier holder of
//     the nsid (see "nsid assignment and its announcements" above and
//     "Stale RTM_DELNSID" below);
//   - when a dump of its nsid fails because no namespace has that nsid any
//     more: every message sent before the dump has been applied, so its
//     RTM_DELNSID was lost in an overrun or is still on its way. A dump's
//     result goes to whichever namespace holds the nsid when it is applied:
//     for now, a dump asked for an earlier holder, made after that one died
//     and applied after the nsid went to a new one, kills the new one too;
//   - when its nsid is given to another namespace (see "nsid assignment and
//     its announcements");
//   - during the baseline, when it is gone before its first dump.
//
// The kernel sends no RTM_DELLINK for the devices of a dying namespace, so
// death counts each remaining link as deleted (via netns_death), after
// counting as created those that a dump found and that were not settled yet;
// links that a dump found gone and that were not settled yet are counted as
// deleted too. A death counts as a removal if the namespace was named. The
// kernel gives a dead namespace's inode to a new one at once, so after a
// batch in which an RTM_DELNSID killed a named namespace the loop scans the
// directories again: a namespace that an earlier scan skipped as already
// known is found now.
//
// # Stale RTM_DELNSID
//
// When the monitor counts a namespace dead before its RTM_DELNSID (a dump
// found its nsid gone, or its nsid went to another namespace), it expects
// that message: the next RTM_DELNSID of the nsid is swallowed, so that it
// does not kill the nsid's next holder. The new holder's RTM_NEWNSID does
// not end the expectation, since the old holder's RTM_DELNSID may follow it.
// An expectation ends after staleDelTTL, or at a resync whose drain came
// after it was made: every RTM_DELNSID sent before a drain has been read or
// lost.
//
// # The life of a link
//
// A link is first seen in a baseline dump (not counted), in a counting dump
// (counted when settled, as above), or in a message. Any RTM_NEWLINK of an
// ifindex the monitor does not know counts as a creation, or as a move in
// when it is the registration that comes right after the link's RTM_DELLINK
// toward this namespace. An RTM_DELLINK of an unknown link counts a creation
// too: the link was made where the monitor could not see (before the
// namespace's first dump, during an overrun).
//
// Flags are diffed against the last state known, bit by bit: the kernel's
// ifi_change is zero for carrier changes, so it is not used. Carrier
// transitions come from the kernel's per-link counters, which only grow: a
// lower value is a message older than what the monitor has seen, and
// transitions are exact whatever events were lost. The counters at a link's
// first sight are its baseline; when a dump found the link before its
// registration was read, the transitions in between are counted as the
// registration is read.
//
// A link leaves by an RTM_DELLINK (a deletion, or a move out when it names
// the new namespace), by a dump that lacks it, or with its namespace. A link
// that a dump found gone leaves a tombstone, kept until tombstoneTTL after
// the dump (and at least until it is settled), so that its RTM_DELLINK, in
// flight when the dump ran, is not counted again, and late RTM_NEWLINK
// changes of it are ignored. A registration at a tombstone's ifindex is
// another link: an unsettled tombstone is then counted as deleted at once.
//
// With [Options.LinkDetail], a link that leaves keeps its final detail for the
// retention, until a link takes its ifindex in that namespace.
//
// # Overruns and resyncs
//
// When the receive queue overflows, the kernel drops messages and recvmsg
// reports ENOBUFS; a truncated datagram is treated the same way. The reader
// then reads on to the end of the queue (the kernel drops everything until
// the queue has been emptied), lists every nsid, and dumps the host and
// every nsid. The loop counts the overrun, and the resync (an [EventResync] to
// subscribers), counts every difference the dumps show (settled one batch
// later), starts watching the nsids it did not know, and asks for dumps of
// those it knows that the list lacks: a multi-part nsid dump resumes by
// position, so a list taken while namespaces come and go can skip one, and
// only a dump tells whether it died. If the nsid list cannot be read, the
// loop asks for dumps of the host and of every namespace it knows instead,
// and counts no resync. Changes that undid each other during the
// blind window are not seen, except carrier transitions (see above).
//
// # Retention and pruning
//
// A dead namespace keeps its final counters in snapshots for
// [Options.Retention], then is left out; a zero retention leaves it out from
// its death on. Every pruneInterval the loop forgets what has expired: dead
// namespaces past their retention, expectations of stale RTM_DELNSID,
// settled tombstones, the detail of links that left, and the inodes that
// could not be watched. Snapshots leave expired namespaces, and links that
// left, out even before a prune.
//
// # Constants
//
// The values, and why each is what it is:
//
//   - coalesce (10 ms): the reader's rest after each batch. A goroutine that
//     parks on the poller after every datagram spends most of its CPU in
//     scheduler wake-ups; resting lets a burst pile up and be read in one go,
//     well within the 100 ms in which an event must be visible.
//   - maxBatch (4,096 messages): the most a batch holds, so that a long burst
//     is applied, and visible, while it is still being read. After an
//     overrun a drain reads on regardless, to the end of the queue.
//   - datagramSize (64 KiB): the receive buffer for one datagram. Multicast
//     link messages without RTEXT_FILTER_VF stay within a few KiB; a longer
//     datagram is truncated, and handled like an overrun.
//   - batchQueue (256 batches): how far the reader may run ahead of the loop.
//     A full queue stops the reader, and then the kernel's queue fills; as
//     the reader sends at most one batch per coalesce, 256 cover more than
//     2.5 s in which the loop is busy (a scan that waits for RTNL, say),
//     and only batches actually queued take memory.
//   - pruneInterval (1 s): how often expired state is forgotten and waiting
//     names are checked. Snapshots already leave expired namespaces out, so
//     this bounds memory and how late a name wait ends, not what is
//     exported.
//   - retryFailed (1 min): how long an inode that could not be watched (a
//     permission error, say) is left alone, so that every scan neither
//     retries it nor logs again.
//   - retryDump (1 s): how long after a failed dump (other than a gone
//     namespace) it is tried again.
//   - minProcScanGap (1 s): the least time between two process scans that
//     unnamed namespaces trigger: a burst of kernel-announced namespaces
//     would otherwise scan every process at every batch. The periodic scan
//     does not wait for it.
//   - nameWait (1 s): how long a namespace found in a directory waits for a
//     name that a living namespace holds: the old holder's RTM_DELNSID
//     normally comes sooner, and while it waits the new namespace's links
//     are already counted; only its series wait for the name.
//   - staleDelTTL (10 s): how long an RTM_DELNSID is expected for a namespace
//     already counted dead. The kernel sends it right after it frees the
//     nsid, so it is read within a batch or two; one lost in an overrun must
//     not swallow the death of the nsid's next holder for long.
//   - tombstoneTTL (10 s): how long after the dump that found a link gone its
//     settled tombstone is kept, for the RTM_DELLINK that was in flight when
//     the dump ran, which is read within a batch or two.
//   - loopStall (1 min): how long the loop may go without a beat outside the
//     kernel before [Monitor.Healthy] fails. An idle loop beats every
//     pruneInterval, and its longest turns (a resync of 1,000 namespaces, a
//     process scan) take well under a second; a minute leaves room for a
//     CPU-starved process. Waits for RTNL, measured at 22 s for a teardown
//     of 150 namespaces with 9 bridges each and minutes for 1,000, do not
//     count at all.
//   - [DefaultRescanInterval] (10 s): how often the process scan runs. It stats
//     every process's namespace file, and finds the namespaces that only
//     processes hold and that no one gave an nsid; one that got an nsid (a
//     veth peer moved into it, say) is found sooner, by the scan its
//     RTM_NEWNSID triggers.
//   - [DefaultRetention] (5 min): the exporter's default for how long a dead
//     namespace's series stay: long enough for several scrapes at the usual
//     intervals to see a short-lived namespace's last counts, short enough
//     that container churn does not grow the series without bound. Options
//     takes zero as none.
//   - [DefaultReceiveBufferSize] (32 MiB): holds a burst of 2,000 veth pairs
//     (4,000 link messages of about 1.5 KiB each, plus the kernel's overhead
//     per datagram) with room to spare. It is set with SO_RCVBUFFORCE, which
//     ignores net.core.rmem_max (SO_RCVBUF where that is refused), and the
//     kernel doubles it.
//   - [MinBuffer] (2 events): the smallest subscription queue, room for an
//     event and the [EventDropped] notice in front of it.
package netlinkmon
