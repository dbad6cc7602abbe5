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

	"golang.org/x/sys/unix"
)

// The decoding of event datagrams into messages. It needs Linux only for
// x/sys/unix's rtnetlink constants (NLMSG_HDRLEN, IFLA_*, SOL_NETLINK, ...),
// which other systems' builds of it lack.

// errMalformed marks a message that could not be decoded. The monitor counts
// such messages and goes on.
var errMalformed = errors.New("malformed netlink message")

// nlaTypeMask clears NLA_F_NESTED and NLA_F_NET_BYTEORDER from an attribute
// type.
const nlaTypeMask = ^uint16(unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)

// kinds interns IFLA_INFO_KIND values, so that the hot path allocates no
// string for them: the set of kinds is small.
type kinds map[string]string

func (k kinds) intern(b []byte) string {
	if len(b) == 0 {
		return "device"
	}
	if s, ok := k[string(b)]; ok {
		return s
	}
	s := string(b)
	k[s] = s
	return s
}

// decodeDatagram appends the messages of one datagram to msgs. oob holds the
// control messages that came with it. Malformed messages are skipped and
// reported through the returned count; the rest of the datagram is still
// decoded when its framing allows.
func decodeDatagram(msgs []message, b, oob []byte, k kinds) ([]message, int) {
	nsid, remote := sourceNSID(oob)
	bad := 0
	for len(b) >= unix.NLMSG_HDRLEN {
		l := binary.NativeEndian.Uint32(b[0:4])
		if l < unix.NLMSG_HDRLEN || uint64(l) > uint64(len(b)) {
			// The framing is broken: nothing after this can be trusted.
			return msgs, bad + 1
		}
		typ := binary.NativeEndian.Uint16(b[4:6])
		msg, err := decodeMessage(typ, b[unix.NLMSG_HDRLEN:l], k)
		if err != nil {
			bad++
		} else {
			msg.local = !remote
			msg.nsid = nsid
			msgs = append(msgs, msg)
		}
		next := nlmAlign(int(l))
		if next > len(b) {
			break
		}
		b = b[next:]
	}
	return msgs, bad
}

func decodeMessage(typ uint16, payload []byte, k kinds) (message, error) {
	switch typ {
	case unix.RTM_NEWLINK, unix.RTM_DELLINK:
		if len(payload) > 0 && payload[0] != unix.AF_UNSPEC {
			// The bridge reports its ports' state on the same group, as
			// RTM_NEWLINK and RTM_DELLINK of family AF_BRIDGE: a port
			// removed from its bridge is not a link deleted.
			return message{typ: msgOther}, nil
		}
		l, err := decodeLink(payload, k)
		if err != nil {
			return message{}, err
		}
		t := msgNewLink
		if typ == unix.RTM_DELLINK {
			t = msgDelLink
		}
		return message{typ: t, link: l}, nil
	case unix.RTM_NEWNSID, unix.RTM_DELNSID:
		peer, err := decodeNSID(payload)
		if err != nil {
			return message{}, err
		}
		t := msgNewNSID
		if typ == unix.RTM_DELNSID {
			t = msgDelNSID
		}
		return message{typ: t, peer: peer}, nil
	default:
		return message{typ: msgOther}, nil
	}
}

// decodeLink reads an ifinfomsg and the few attributes the counters need. It
// walks the attributes itself instead of using rtnetlink.LinkMessage, which
// decodes every attribute (statistics included) and allocates for each: this
// is the exporter's hot path.
func decodeLink(b []byte, k kinds) (link, error) {
	if len(b) < unix.SizeofIfInfomsg {
		return link{}, fmt.Errorf("%w: ifinfomsg of %d bytes", errMalformed, len(b))
	}
	l := link{
		index:  int32(binary.NativeEndian.Uint32(b[4:8])),
		flags:  binary.NativeEndian.Uint32(b[8:12]),
		change: binary.NativeEndian.Uint32(b[12:16]),
		kind:   "device",
	}
	var hasNewNSID bool
	err := walkAttrs(b[unix.SizeofIfInfomsg:], func(typ uint16, v []byte) error {
		switch typ {
		case unix.IFLA_IFNAME:
			l.name = string(trimNUL(v))
		case unix.IFLA_OPERSTATE:
			if len(v) < 1 {
				return fmt.Errorf("%w: IFLA_OPERSTATE of %d bytes", errMalformed, len(v))
			}
			l.oper = v[0]
		case unix.IFLA_LINKINFO:
			return walkAttrs(v, func(typ uint16, v []byte) error {
				if typ == unix.IFLA_INFO_KIND {
					l.kind = k.intern(trimNUL(v))
				}
				return nil
			})
		case unix.IFLA_MASTER:
			n, err := attrU32(v, "IFLA_MASTER")
			l.master = int32(n)
			return err
		case unix.IFLA_LINK:
			n, err := attrU32(v, "IFLA_LINK")
			l.peer = int32(n)
			return err
		case unix.IFLA_LINK_NETNSID:
			n, err := attrU32(v, "IFLA_LINK_NETNSID")
			l.linkNSID, l.hasLinkNSID = int32(n), true
			return err
		case unix.IFLA_CARRIER_UP_COUNT:
			n, err := attrU32(v, "IFLA_CARRIER_UP_COUNT")
			l.carrierUp, l.hasCarrier = n, true
			return err
		case unix.IFLA_CARRIER_DOWN_COUNT:
			n, err := attrU32(v, "IFLA_CARRIER_DOWN_COUNT")
			l.carrierDown, l.hasCarrier = n, true
			return err
		case unix.IFLA_NEW_NETNSID:
			n, err := attrU32(v, "IFLA_NEW_NETNSID")
			l.newNSID, hasNewNSID = int32(n), true
			return err
		case unix.IFLA_NEW_IFINDEX:
			n, err := attrU32(v, "IFLA_NEW_IFINDEX")
			l.newIfindex = int32(n)
			return err
		}
		return nil
	})
	if err != nil {
		return link{}, err
	}
	l.moved = hasNewNSID
	return l, nil
}

// decodeNSID reads the nsid of an RTM_NEWNSID or RTM_DELNSID.
func decodeNSID(b []byte) (int32, error) {
	// rtgenmsg is one byte, padded to four.
	if len(b) < 4 {
		return 0, fmt.Errorf("%w: rtgenmsg of %d bytes", errMalformed, len(b))
	}
	nsid, found := int32(0), false
	err := walkAttrs(b[4:], func(typ uint16, v []byte) error {
		if typ != unix.NETNSA_NSID {
			return nil
		}
		n, err := attrU32(v, "NETNSA_NSID")
		nsid, found = int32(n), true
		return err
	})
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("%w: nsid message without NETNSA_NSID", errMalformed)
	}
	return nsid, nil
}

// walkAttrs calls fn for each netlink attribute in b, with the type's flag
// bits cleared.
func walkAttrs(b []byte, fn func(typ uint16, v []byte) error) error {
	for len(b) >= unix.SizeofNlAttr {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		if l < unix.SizeofNlAttr || l > len(b) {
			return fmt.Errorf("%w: attribute length %d with %d bytes left", errMalformed, l, len(b))
		}
		typ := binary.NativeEndian.Uint16(b[2:4]) & nlaTypeMask
		if err := fn(typ, b[unix.SizeofNlAttr:l]); err != nil {
			return err
		}
		next := nlaAlign(l)
		if next >= len(b) {
			return nil
		}
		b = b[next:]
	}
	return nil
}

func attrU32(v []byte, name string) (uint32, error) {
	if len(v) < 4 {
		return 0, fmt.Errorf("%w: %s of %d bytes", errMalformed, name, len(v))
	}
	return binary.NativeEndian.Uint32(v[:4]), nil
}

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// sourceNSID finds the NETLINK_LISTEN_ALL_NSID control message, which the
// kernel attaches to every event from another namespace. Kernels without
// commit "netlink: always reset nsid_is_set" (stable, June 2026) can attach
// one to an event of the listener's own namespace too, holding -1
// (NETNSA_NSID_NOT_ASSIGNED): a flag left set by a failed delivery to
// another listener. No other namespace is heard without an nsid, so a
// negative one means the listener's own.
func sourceNSID(oob []byte) (int32, bool) {
	for len(oob) >= unix.SizeofCmsghdr {
		h := cmsgHeader(oob)
		if h.len < unix.SizeofCmsghdr || h.len > len(oob) {
			return 0, false
		}
		data := oob[unix.SizeofCmsghdr:h.len]
		if h.level == unix.SOL_NETLINK && h.typ == unix.NETLINK_LISTEN_ALL_NSID && len(data) >= 4 {
			id := int32(binary.NativeEndian.Uint32(data[:4]))
			if id < 0 {
				return 0, false
			}
			return id, true
		}
		next := cmsgAlign(h.len)
		if next >= len(oob) {
			break
		}
		oob = oob[next:]
	}
	return 0, false
}

type cmsgHdr struct {
	len        int
	level, typ int32
}

// cmsgHeader reads a struct cmsghdr, whose cmsg_len is a size_t.
func cmsgHeader(b []byte) cmsgHdr {
	var h cmsgHdr
	off := unix.SizeofCmsghdr - 8
	if off == 8 {
		h.len = int(binary.NativeEndian.Uint64(b[0:8]))
	} else {
		h.len = int(binary.NativeEndian.Uint32(b[0:4]))
	}
	h.level = int32(binary.NativeEndian.Uint32(b[off : off+4]))
	h.typ = int32(binary.NativeEndian.Uint32(b[off+4 : off+8]))
	return h
}

func nlmAlign(n int) int  { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }
func nlaAlign(n int) int  { return (n + unix.NLA_ALIGNTO - 1) &^ (unix.NLA_ALIGNTO - 1) }
func cmsgAlign(n int) int { return (n + unix.SizeofPtr - 1) &^ (unix.SizeofPtr - 1) }
