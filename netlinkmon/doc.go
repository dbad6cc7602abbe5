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
// has each link's detail, which costs memory per link. A caller that knows
// which pod a namespace belongs to (the exporter asks the container runtime,
// told of each new namespace by [Options.NamespaceAdded]) attaches it with
// [Monitor.AttachPod]; the package knows nothing of runtimes.
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
// queued datagram without blocking (a drain), and applies the decoded
// messages to the registry as a batch, under the registry's lock.
// Datagrams whose sender is not the kernel (any process may send one to the
// socket's port) are dropped and counted as foreign.
//
// What the loop asks of the kernel is asked only right after a drain that
// emptied the socket, and the answers travel in the same batch, after its
// messages: every message the kernel sent before a request is applied before
// its answer. The requests are the nsids of namespace files that scans found,
// the nsid table and lookups of nsids (see "Self-repair"), and dumps, in that
// order. Dumps wait for RTNL, which the kernel may hold for long: once a scan
// asks to resolve a file, the dumps left wait for the next batch, and the
// reader skips its rest, so that a namespace that lives only moments is
// resolved while its file is there. Otherwise the reader rests after each
// batch until the next tick of a coalesce ticker, which runs while batches
// come and stops while the reader waits for the socket.
//
// The registry holds every namespace and does no I/O (its tests drive it
// with hand-made messages). The loop goroutine does the rest: the scans, the
// dumps that new namespaces and retries need, the announcements of new
// namespaces, pruning. It turns when a batch left it such work, and on its
// timers; a burst of link events leaves it none, so that a batch costs no
// thread wake-up beyond the reader's own. The reader and the loop take the
// registry's lock for every access, as snapshots do, and neither waits for
// the other while it holds it: the loop's requests to the reader are queued,
// and answered after the reader's next drain.
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
// waits only for the kernel (epoll, receives, dumps) and for the registry's
// lock, which the loop's prune takes at least every pruneInterval too.
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
//     raises no inotify event). Every signal scans every directory, and so
//     does every [Options.RescanInterval].
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
// does not know, the reader, after its next drain, opens the file (checking
// that it still is the network namespace with that inode), asks the kernel
// for its nsid with RTM_GETNSID, has the kernel assign one with RTM_NEWNSID
// if it has none (without an nsid the kernel delivers none of its events to
// the event socket), and closes the file; the namespace is named when the
// reader applies the answer. Asked by the loop at once, the kernel's answer would
// be newer than the registry, which could still hold an earlier namespace at
// that nsid, dead but not yet announced: the scan would give it the new one's
// name. A file that vanished or changed in between (another inode, or no
// network namespace) is skipped: the kernel reuses inodes at once, so the
// next namespace with that inode must not wait. Any other failure is logged
// and the inode left alone for retryFailed.
//
// A namespace made with a veth whose peer is created in it, while it has no
// nsid yet, is not announced until the report of the host end assigns the
// nsid, and the peer's registration, which came before, is never delivered.
// The host end's registration names the peer (IFLA_LINK_NETNSID, IFLA_LINK):
// the peer is counted by the namespace's first dump, or, if the namespace
// dies before one reads it, at its death.
//
// # Names
//
// A namespace is named when a scan identifies it, and the name is fixed for
// its life: "host" for the exporter's own, the file name (invalid UTF-8
// replaced by U+FFFD) for one found in a directory, "ino-<inode>" for one
// found only through a process. Two living namespaces never share a name: a
// namespace whose name a living one holds takes "ino-<inode>", and so does a
// file called [Unidentified]. One found in a directory first waits up to
// nameWait for the name, because "ip netns del X; ip netns add X" makes the
// new X before the old one's death is known: it takes the name at the old
// one's death, or "ino-<inode>" if the wait ends first (which each prune
// checks), or at its own death, whichever comes first. A name that a dead
// namespace within its retention holds is taken at once, and the dead one's
// series end early rather than collide.
//
// A namespace that dies before any scan named it leaves its counters to
// [Unidentified], which adds up those of all such namespaces and is kept for
// the retention after the last of them.
//
// # Pods
//
// A pod is attached to the living namespace that has its inode (byInode),
// and stays on that namespace struct: through its death and its retention,
// with its counters, as a deleted pod's counts must still be joined to its
// name. An attachment for an inode that no living namespace has is dropped:
// nsfs gives a dead namespace's inode to the next new one, which starts
// with no pod. The inodes of namespaces that begin to be watched (baseline
// included, the exporter's own excluded) are queued when they are indexed
// and passed to [Options.NamespaceAdded] by the loop after each turn, with
// no lock held.
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
// wait ends when the RTM_NEWNSID is read, or at a resync or rescan whose drain
// came after the assignment (the message was then read or lost).
//
// The kernel announces an nsid once each time it gives it out. A namespace's
// first RTM_NEWNSID is its own (its assignment, whoever made it); a second
// one while it holds the nsid means that the kernel gave the nsid to another
// namespace before announcing this one's death, or that this announcement
// was lost: the namespace is counted dead, its RTM_DELNSID expected, and the
// nsid's new holder watched (a repair, nsid_reused). A namespace that a scan
// named before its RTM_NEWNSID was read takes the next one as its own; one
// known since before the monitor read any announcement of it (at start, or
// after an overrun) has none to wait for, and cannot tell a reuse this way:
// the old holder's RTM_DELNSID, which the kernel sends right after freeing
// the nsid, or the rescan, tell.
//
// # The seed dump and settling one batch later
//
// The dump of a namespace found after the start is asked for at the end of the
// loop turn that found it. The dump counts: a link it finds that the monitor
// did not know is a creation, a link it lacks is a deletion, a flag that
// differs is a change. A dump applies to the namespace it was asked for, and
// to no later holder of its nsid. Creations and deletions are not counted at
// once, though. The kernel keeps sending while a dump runs, so the next batch
// may hold messages older than the dump: the registration of a link that moved
// into the namespace, say, which the dump already shows. Such differences are
// held until the next batch is applied (the reader sends it even if it is
// empty), and counted then, unless a message of that batch says how the link
// came or went: a registration that follows the link's departure from another
// namespace makes it a move in, an RTM_DELLINK that names a new namespace
// makes it a move out. While a link waits to be settled, its messages count no
// flag changes: they may be older than the dump. A dump that fails with
// another error than a gone namespace, or that the kernel kept interrupting,
// is retried after retryDump.
//
// # Interrupted dumps and odd messages
//
// The kernel marks a message of a dump NLM_F_DUMP_INTR when the set it dumps
// changed between two parts of it: kernels that resume a link dump by
// position (5.15 and 6.1 among them) may then skip a link that exists, and a
// reconcile would count it deleted, and created again later. The requester
// reads replies itself, because mdlayher/netlink hides the NLMSG_DONE that
// ends a dump, which carries the flag alone when the last part is empty. An
// interrupted dump, link or nsid, is made again at once, up to
// maxDumpAttempts times, and never used: after the last attempt the state
// stays as it was. Each interruption counts. A namespace whose baseline dump
// the kernel kept interrupting counts nothing (its messages are older than
// its baseline) until a dump of it completes, which is its baseline; until
// then the baseline is not complete (Monitor.baselinePending).
//
// Dumps decode links as events do, with the decoder that reads only what the
// counters need, so that the two agree and that an attribute nothing reads
// (a hardware address of one byte, say, which rtnetlink.LinkMessage rejects)
// fails nothing. A message truncated where the counters need it is skipped,
// counted as malformed, and logged once per namespace; its link keeps the
// state it had, and the rest of the dump applies. A malformed message whose
// ifindex cannot be read makes the dump blind: it finds no link gone.
//
// # Death
//
// A namespace dies:
//
//   - at its RTM_DELNSID, unless the message belongs to an earlier holder of
//     the nsid (see "nsid assignment and its announcements" above and
//     "Stale RTM_DELNSID" below);
//   - when a dump asked for it fails because no namespace has its nsid any
//     more: every message sent before the dump has been applied, so its
//     RTM_DELNSID was lost in an overrun or is still on its way (the kernel
//     fails a dump of a namespace being destroyed at once, and frees its
//     nsid later). The dump of an nsid's earlier holder is not applied to a
//     later one;
//   - when its nsid is given to another namespace, or announced again (see
//     "nsid assignment and its announcements");
//   - when a rescan finds its nsid gone (see "Self-repair");
//   - when a scan no longer finds its file and a lookup of its nsid fails:
//     "ip netns del" removes the file at once, but the kernel announces the
//     death only once it has destroyed the namespace, which can take seconds
//     while others hold RTNL, and fails the lookup at once (RTM_GETNSID with
//     NETNSA_NSID, which needs no RTNL). One that lives on without its file
//     is looked up at each scan;
//   - during the baseline, when it is gone before its first dump.
//
// The kernel sends no RTM_DELLINK for the devices of a dying namespace, so
// death counts each remaining link as deleted (via netns_death), after
// counting as created those that a dump found and that were not settled yet,
// and the veth peers that only their host end showed; links that a dump found
// gone and that were not settled yet are counted as deleted too. A death
// counts as a removal if the namespace was named; otherwise its counters go
// to Unidentified. The
// kernel gives a dead namespace's inode to a new one at once, so after a
// batch in which an RTM_DELNSID killed a named namespace the loop scans the
// directories again: a namespace that an earlier scan skipped as already
// known is found now.
//
// # Stale RTM_DELNSID
//
// When the monitor counts a namespace dead before its RTM_DELNSID (a dump or
// a rescan found its nsid gone, or its nsid went to another namespace or was
// announced again), it expects that message: the next RTM_DELNSID of the
// nsid is swallowed, so that it does not kill the nsid's next holder, and
// two such deaths at one nsid expect two. The new holder's RTM_NEWNSID does
// not end the expectation, since the old holder's RTM_DELNSID may follow it.
// An expectation ends after staleDelTTL, or at a resync or rescan whose drain
// came after it was made: every RTM_DELNSID sent before a drain has been read
// or lost. Not while the kernel still lists the nsid of a namespace counted
// dead because a dump or a lookup of it failed: the kernel fails those as
// soon as it begins to destroy a namespace, and frees and announces the nsid
// only once done, seconds later maybe; until then the listed nsid is no new
// namespace either. An expectation that swallowed a living namespace's
// death, or that ended too early, leaves a wrong state that the rescan sets
// right.
//
// # Self-repair
//
// A lost RTM_DELNSID (in an overrun), a lost RTM_NEWNSID, or an nsid given
// out again before its holder's death was announced can leave a dead
// namespace alive in the registry, a living one unwatched, or links counted
// in the wrong namespace. Every [Options.RescanInterval], whether or not
// [Options.ProcScan] is set, the loop scans the directories (and the
// processes), and asks the reader for the kernel's nsid table, read after a
// drain. The kernel lists nsids by position, so a table taken while
// namespaces come and go can skip a living nsid; and it lists the nsid of a
// namespace being destroyed. So each nsid on which the table and the
// registry disagree is looked up (RTM_GETNSID with NETNSA_NSID, which the
// kernel answers without taking RTNL, unlike a link dump) before anything
// changes: a namespace whose nsid is gone is counted dead (repair
// nsid_gone), an nsid that exists but that the registry lacks is watched
// (nsid_unannounced), unless a message applied meanwhile explains either.
// Repairs are counted by reason ([Snapshot.Repairs]). A wrong state thus
// lasts at most one interval, with one exception: a dead namespace whose
// nsid went to a namespace that no scan can reach, with both announcements
// lost, is not told apart from the new holder.
//
// # Namespaces the baseline found
//
// The event socket opens before the baseline is read, so that nothing after
// it is missed; so it may also hold messages sent before the baseline found
// a namespace: among them the RTM_DELNSID of an earlier holder of its nsid,
// which the kernel gives out again at once, followed by the namespace's own
// RTM_NEWNSID. Until a drain after counting began has emptied the socket,
// an RTM_DELNSID of such a namespace's nsid is therefore not taken as its
// death: the nsid is looked up after the drain (RTM_GETNSID, no RTNL), and
// the namespace is counted dead only if the nsid names no namespace. After
// that drain, its next RTM_DELNSID is its own and its next RTM_NEWNSID a
// reuse, as for any namespace. The reader hands over its batches even when
// empty until that drain, so that it is known at once. Should the
// namespace die and its nsid be given out again before that drain, the new
// holder's announcement is taken for the old one's, until a scan finds the
// new holder's file (see "Self-repair"). A lookup that fails leaves the
// namespace alive until the next rescan's nsid table.
//
// # The exporter's own nsid
//
// A namespace can have an nsid for itself: anyone with CAP_NET_ADMIN may
// assign one (ip netns set on its file). Kernels without "net: netlink:
// dont set nsid on local notifications" (stable, June 2026) then send every
// event of the listener's own namespace with that nsid, as if from another
// namespace, and the nsid is in every nsid table; kernels without "netlink:
// always reset nsid_is_set" may also tag an own event with nsid -1 after a
// failed delivery to another listener, which the decoder reads as local.
// The monitor asks the kernel for its namespace's own nsid (RTM_GETNSID
// with the namespace's file, which takes no RTNL) while it reads the
// baseline, after any batch in which the registry started watching an nsid,
// and at every rescan, until it has one. From then on, messages of that
// nsid are self's, and nsid tables and lookups leave it out.
//
// Whatever the registry held at the nsid is dealt with then. A named
// namespace there died (the kernel gives out the lowest free nsid) and is
// counted dead. An unnamed one was started for the nsid from self's tagged
// events or its announcement, or is a namespace that died before any scan
// named it: the two cannot be told apart, so it is forgotten uncounted.
// Either way self's links are dumped again, and the links made or removed
// while self's events went astray are counted, as in a resync; /events
// subscribers saw those events under the unnamed namespace. On an older
// kernel, self's own RTM_NEWNSID and RTM_DELNSID before that moment are
// lost too; the rescan's nsid table repairs what they would have told.
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
// then reads on to the end of the queue (the kernel drops everything until the
// queue has been emptied), lists every nsid, and dumps the host and every
// nsid. The monitor counts the overrun, and the resync (an [EventResync] to
// subscribers), counts every difference the dumps show (settled one batch
// later), starts watching the nsids it did not know, and asks for dumps of
// those it knows that the list lacks: a multi-part nsid dump resumes by
// position, so a list taken while namespaces come and go can skip one, and
// only a dump tells whether it died. If the nsid list cannot be read (or the
// kernel kept interrupting it), the monitor asks for dumps of the host and of
// every namespace it knows instead, and counts no resync. Changes that undid
// each other during the blind window are not seen, except carrier transitions
// (see above).
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
// A namespace's counters do not vanish with it: when it leaves snapshots (at
// the prune after its retention, or when a new namespace takes its name),
// they are added to a sum by source, and Unidentified's to a sum of its own
// when it expires ([Snapshot.Expired]). A namespace's source is fixed once
// it is named, and one that dies unnamed is only ever in Unidentified, so a
// reader that adds up namespaces by source gets totals that only grow
// however late a pod is attached: the collector's aggregates. The sums cost
// nothing per event: they change at prunes only.
//
// # Constants
//
// The values, and why each is what it is:
//
//   - coalesce (10 ms): the period at which the reader reads during a
//     burst. A goroutine that parks on the poller after every datagram
//     spends most of its CPU in scheduler wake-ups; resting lets a burst pile
//     up and be read in one go, well within the 100 ms in which an event must
//     be visible. A ticker, not a timer set after each batch: the runtime's
//     poller then already sleeps until the next tick, where a new timer would
//     have it woken to be told when, a thread wake-up per batch.
//   - maxBatch (4,096 messages): the most a batch holds, so that a long burst
//     is applied, and visible, while it is still being read. After an
//     overrun a drain reads on regardless, to the end of the queue.
//   - datagramSize (64 KiB): the receive buffer for one datagram. Multicast
//     link messages without RTEXT_FILTER_VF stay within a few KiB; a longer
//     datagram is truncated, and handled like an overrun.
//   - pruneInterval (1 s): how often expired state is forgotten and waiting
//     names are checked. Snapshots already leave expired namespaces out, so
//     this bounds memory and how late a name wait ends, not what is
//     exported.
//   - retryFailed (1 min): how long an inode that could not be watched (a
//     permission error, say) is left alone, so that every scan neither
//     retries it nor logs again.
//   - retryDump (1 s): how long after a failed dump (other than a gone
//     namespace), or one the kernel kept interrupting, it is tried again.
//   - maxDumpAttempts (3): how many times in a row an interrupted dump is
//     made. A dump is interrupted when links come and go while it runs,
//     which a retry a moment later usually escapes; more in a row wait for
//     RTNL each, while the churn that interrupts them goes on.
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
//   - [DefaultRescanInterval] (10 s): how often the scans run and the nsid
//     table is compared, which bounds how long a lost announcement leaves
//     the registry wrong. The process scan stats every process's namespace
//     file, and finds the namespaces that only processes hold and that no
//     one gave an nsid; one that got an nsid (a veth peer moved into it, say)
//     is found sooner, by the scan its RTM_NEWNSID triggers. The nsid table
//     costs one dump that needs no RTNL.
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
