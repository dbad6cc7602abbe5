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
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// rtextFilterSkipStats asks the kernel to leave link statistics out of
// dumps: the monitor does not read them, and they are most of each message.
const rtextFilterSkipStats = 1 << 3

// maxDumpAttempts bounds how many times in a row a dump that the kernel
// interrupted is made again; the package documentation says why.
const maxDumpAttempts = 3

var (
	// errNoNamespace reports an nsid that no longer names a namespace: it
	// died, and its RTM_DELNSID is on its way.
	errNoNamespace = errors.New("no namespace with this nsid")
	// errInterrupted reports a dump that the kernel interrupted
	// (NLM_F_DUMP_INTR) every time it was made: what it read may lack
	// entries that exist.
	errInterrupted = errors.New("dump interrupted by changes every time")
)

// A requester sends requests on its own unsubscribed socket: dump replies on
// the event socket would mix with events. It reads the replies itself rather
// than through netlink.Conn, which hides the flags of a dump's NLMSG_DONE:
// the only place where the kernel marks a dump interrupted when its last part
// is empty.
//
// It is safe for concurrent use, though the monitor makes one request at a
// time.
type requester struct {
	mu    sync.Mutex
	sock  requestSocket
	seq   uint32
	buf   []byte
	kinds kinds
	// foreign counts reply datagrams that another sender than the kernel
	// sent to the socket; they are dropped unread. takeForeign resets it.
	foreign int
}

// replyBuffer holds any reply datagram: the kernel makes dump parts of at
// most 32 KiB.
const replyBuffer = 64 << 10

func newRequester(sock requestSocket) *requester {
	return &requester{sock: sock, buf: make([]byte, replyBuffer), kinds: make(kinds)}
}

func (r *requester) close() error { return r.sock.close() }

// takeForeign returns how many datagrams of other senders than the kernel
// were dropped since the last call.
func (r *requester) takeForeign() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.foreign
	r.foreign = 0
	return n
}

// roundTrip sends one request and passes every message of its reply to fn,
// until the reply ends: after a single message, at the acknowledgement of a
// request with NLM_F_ACK, at an error, or at the NLMSG_DONE of a dump. It
// reports whether the kernel marked any message of the reply
// NLM_F_DUMP_INTR.
func (r *requester) roundTrip(typ, flags uint16, payload []byte, fn func(typ uint16, b []byte)) (interrupted bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(payload))
	binary.NativeEndian.PutUint32(msg[0:4], uint32(unix.NLMSG_HDRLEN+len(payload)))
	binary.NativeEndian.PutUint16(msg[4:6], typ)
	binary.NativeEndian.PutUint16(msg[6:8], flags)
	binary.NativeEndian.PutUint32(msg[8:12], r.seq)
	binary.NativeEndian.PutUint32(msg[12:16], r.sock.portID())
	msg = append(msg, payload...)
	if err := r.sock.send(msg); err != nil {
		return false, err
	}
	p := replyParser{seq: r.seq, pid: r.sock.portID(), ack: flags&unix.NLM_F_ACK != 0, fn: fn}
	for {
		n, from, err := r.sock.recv(r.buf)
		if err != nil {
			return p.interrupted, err
		}
		if from != 0 {
			// Only the kernel answers requests.
			r.foreign++
			continue
		}
		if p.datagram(r.buf[:n]) {
			return p.interrupted, p.err
		}
	}
}

// A replyParser reads the datagrams of the reply to one request.
type replyParser struct {
	seq, pid uint32
	// ack is set for a request with NLM_F_ACK, whose reply ends with an
	// acknowledgement.
	ack bool
	fn  func(typ uint16, b []byte)

	interrupted bool
	err         error
}

// datagram reads one datagram and reports whether the reply has ended.
// Messages of other requests (the rest of a reply abandoned earlier) are
// skipped.
func (p *replyParser) datagram(b []byte) (done bool) {
	for len(b) >= unix.NLMSG_HDRLEN {
		l := binary.NativeEndian.Uint32(b[0:4])
		if l < unix.NLMSG_HDRLEN || uint64(l) > uint64(len(b)) {
			// Nothing after a broken header can be read: end the reply
			// rather than wait for a message that may have been in it.
			p.err = fmt.Errorf("%w: reply message of %d bytes with %d left", errMalformed, l, len(b))
			return true
		}
		typ := binary.NativeEndian.Uint16(b[4:6])
		flags := binary.NativeEndian.Uint16(b[6:8])
		seq := binary.NativeEndian.Uint32(b[8:12])
		pid := binary.NativeEndian.Uint32(b[12:16])
		payload := b[unix.NLMSG_HDRLEN:l]
		if seq == p.seq && pid == p.pid {
			if flags&unix.NLM_F_DUMP_INTR != 0 {
				p.interrupted = true
			}
			switch typ {
			case unix.NLMSG_DONE, unix.NLMSG_ERROR:
				// Both begin with an int: 0, or a negative errno.
				if len(payload) >= 4 {
					if e := int32(binary.NativeEndian.Uint32(payload[:4])); e < 0 {
						p.err = unix.Errno(-e)
					}
				}
				done = true
			case unix.NLMSG_NOOP:
			default:
				p.fn(typ, payload)
				if flags&unix.NLM_F_MULTI == 0 && !p.ack {
					done = true
				}
			}
		}
		next := nlmAlign(int(l))
		if next >= len(b) {
			break
		}
		b = b[next:]
	}
	return done
}

// links dumps the links of the namespace with this nsid, or of the exporter's
// own for NoNSID, without entering it. A dump that the kernel interrupts is
// made again, up to maxDumpAttempts times; after that, links returns
// errInterrupted, with the interruptions counted.
func (r *requester) links(nsid int32) (linkDump, error) {
	var target *int32
	if nsid != NoNSID {
		target = &nsid
	}
	interruptions := 0
	for attempt := 1; ; attempt++ {
		d, interrupted, err := r.dumpLinks(target)
		d.interruptions = interruptions
		switch {
		case err != nil:
			if nsid != NoNSID && errors.Is(err, unix.EINVAL) {
				// The kernel's answer to a target nsid that names no
				// namespace.
				err = errNoNamespace
			}
			return d, fmt.Errorf("netlinkmon: dump links of nsid %d: %w", nsid, err)
		case !interrupted:
			return d, nil
		}
		d.interruptions++
		interruptions = d.interruptions
		if attempt == maxDumpAttempts {
			return d, fmt.Errorf("netlinkmon: dump links of nsid %d: %w (%d attempts)", nsid, errInterrupted, attempt)
		}
	}
}

// dumpLinks makes one link dump, of the namespace with nsid *target, or of
// the exporter's own for nil. Links are decoded as events are, by decodeLink:
// an attribute the counters do not read is not checked, so a link that the
// kernel reports with, say, a one-byte hardware address is counted.
func (r *requester) dumpLinks(target *int32) (linkDump, bool, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.IFLA_EXT_MASK, rtextFilterSkipStats)
	if target != nil {
		ae.Int32(unix.IFLA_TARGET_NETNSID, *target)
	}
	attrs, err := ae.Encode()
	if err != nil {
		return linkDump{}, false, err
	}
	var d linkDump
	interrupted, err := r.roundTrip(unix.RTM_GETLINK, unix.NLM_F_REQUEST|unix.NLM_F_DUMP,
		append(make([]byte, unix.SizeofIfInfomsg), attrs...), func(typ uint16, b []byte) {
			if typ != unix.RTM_NEWLINK {
				return
			}
			msg, err := decodeMessage(typ, b, r.kinds)
			switch {
			case err == nil && msg.typ == msgNewLink:
				d.links = append(d.links, msg.link)
			case err == nil:
				// Another family's view of a link (AF_BRIDGE).
			case len(b) >= unix.SizeofIfInfomsg:
				d.malformed++
				d.skipped = append(d.skipped, int32(binary.NativeEndian.Uint32(b[4:8])))
			default:
				d.malformed++
				d.blind = true
			}
		})
	return d, interrupted, err
}

// nsids lists every nsid assigned in the exporter's namespace, with the
// number of attempts that the kernel interrupted. Like links, it makes an
// interrupted dump again up to maxDumpAttempts times.
func (r *requester) nsids() (ids []int32, interruptions int, err error) {
	for attempt := 1; ; attempt++ {
		ids = ids[:0]
		var bad error
		interrupted, err := r.roundTrip(unix.RTM_GETNSID, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, make([]byte, 4), func(typ uint16, b []byte) {
			if typ != unix.RTM_NEWNSID {
				return
			}
			id, err := decodeNSID(b)
			if err != nil {
				bad = err
				return
			}
			ids = append(ids, id)
		})
		if err == nil {
			err = bad
		}
		if err != nil {
			return nil, interruptions, fmt.Errorf("netlinkmon: dump nsids: %w", err)
		}
		if !interrupted {
			return ids, interruptions, nil
		}
		interruptions++
		if attempt == maxDumpAttempts {
			return nil, interruptions, fmt.Errorf("netlinkmon: dump nsids: %w (%d attempts)", errInterrupted, attempt)
		}
	}
}

// nsidExists reports whether an nsid names a namespace now. It asks with
// RTM_GETNSID and NETNSA_NSID, which the kernel answers without taking RTNL,
// unlike a link dump. A namespace that is being destroyed no longer counts:
// the kernel holds no reference to it any more.
func (r *requester) nsidExists(nsid int32) (bool, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Int32(unix.NETNSA_NSID, nsid)
	found := false
	err := r.request(unix.RTM_GETNSID, unix.NLM_F_REQUEST, ae, func(typ uint16, b []byte) {
		found = found || typ == unix.RTM_NEWNSID
	})
	switch {
	case errors.Is(err, unix.ENOENT):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("netlinkmon: look up nsid %d: %w", nsid, err)
	case !found:
		return false, fmt.Errorf("netlinkmon: look up nsid %d: %w: no RTM_NEWNSID in reply", nsid, errMalformed)
	}
	return true, nil
}

// nsid returns the nsid of the namespace that fd refers to, assigning one if
// it has none: without an nsid the kernel does not deliver its events. fresh
// reports that this call assigned it.
func (r *requester) nsid(fd int) (id int32, fresh bool, err error) {
	id, err = r.getNSID(fd)
	if err != nil || id >= 0 {
		return id, false, err
	}
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.NETNSA_FD, uint32(fd))
	ae.Int32(unix.NETNSA_NSID, -1)
	err = r.request(unix.RTM_NEWNSID, unix.NLM_F_REQUEST|unix.NLM_F_ACK, ae, func(uint16, []byte) {})
	switch {
	case err == nil:
		fresh = true
	case errors.Is(err, unix.EEXIST):
		// Someone else assigned one meanwhile.
	case errors.Is(err, unix.EPERM):
		return 0, false, fmt.Errorf("netlinkmon: assign nsid needs CAP_NET_ADMIN: %w", err)
	default:
		return 0, false, fmt.Errorf("netlinkmon: assign nsid: %w", err)
	}
	id, err = r.getNSID(fd)
	if err == nil && id < 0 {
		err = errors.New("netlinkmon: nsid still unassigned after RTM_NEWNSID")
	}
	return id, fresh, err
}

func (r *requester) getNSID(fd int) (int32, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.NETNSA_FD, uint32(fd))
	var (
		id    int32
		found bool
		bad   error
	)
	err := r.request(unix.RTM_GETNSID, unix.NLM_F_REQUEST, ae, func(typ uint16, b []byte) {
		if typ == unix.RTM_NEWNSID && !found {
			id, bad = decodeNSID(b)
			found = true
		}
	})
	switch {
	case err != nil:
		return 0, fmt.Errorf("netlinkmon: get nsid: %w", err)
	case bad != nil:
		return 0, fmt.Errorf("netlinkmon: get nsid: %w", bad)
	case !found:
		return 0, fmt.Errorf("netlinkmon: get nsid: %w: no RTM_NEWNSID in reply", errMalformed)
	}
	return id, nil
}

// request sends a request of the nsid family: an rtgenmsg, padded to four
// bytes, and the attributes of ae.
func (r *requester) request(typ, flags uint16, ae *netlink.AttributeEncoder, fn func(typ uint16, b []byte)) error {
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	_, err = r.roundTrip(typ, flags, append(make([]byte, 4), attrs...), fn)
	return err
}
