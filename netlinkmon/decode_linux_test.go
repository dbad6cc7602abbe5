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
	"slices"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Flags of a veth that is up with its peer up, as the kernel reports them.
const vethUp = unix.IFF_UP | unix.IFF_BROADCAST | unix.IFF_RUNNING | unix.IFF_MULTICAST | unix.IFF_LOWER_UP

func u32p(v uint32) *uint32 { return &v }

// nlMsg frames payload as one netlink message of type typ, padded to
// NLMSG_ALIGNTO as the kernel pads every message of a datagram.
func nlMsg(typ uint16, payload []byte) []byte {
	b := make([]byte, unix.NLMSG_HDRLEN, nlmAlign(unix.NLMSG_HDRLEN+len(payload)))
	binary.NativeEndian.PutUint32(b[0:4], uint32(unix.NLMSG_HDRLEN+len(payload)))
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], 0)
	binary.NativeEndian.PutUint32(b[8:12], 0)  // seq: 0 for multicast
	binary.NativeEndian.PutUint32(b[12:16], 0) // pid: 0, the kernel
	b = append(b, payload...)
	return b[:cap(b)]
}

// datagram concatenates messages as one recvmsg would return them.
func datagram(msgs ...[]byte) []byte {
	var b []byte
	for _, m := range msgs {
		b = append(b, m...)
	}
	return b
}

// attrs encodes netlink attributes in host byte order.
func attrs(tb testing.TB, fn func(ae *netlink.AttributeEncoder)) []byte {
	tb.Helper()
	ae := netlink.NewAttributeEncoder()
	fn(ae)
	b, err := ae.Encode()
	if err != nil {
		tb.Fatalf("encode attributes: %v", err)
	}
	return b
}

// linkPayload is the ifinfomsg and attributes of m, as rtnetlink marshals
// them, followed by extra attributes that rtnetlink cannot encode (carrier
// counters, IFLA_NEW_NETNSID, statistics, ...).
func linkPayload(tb testing.TB, m rtnetlink.LinkMessage, extra func(ae *netlink.AttributeEncoder)) []byte {
	tb.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		tb.Fatalf("marshal link message: %v", err)
	}
	if extra != nil {
		b = append(b, attrs(tb, extra)...)
	}
	return b
}

func carrier(up, down uint32) func(ae *netlink.AttributeEncoder) {
	return func(ae *netlink.AttributeEncoder) {
		ae.Uint32(unix.IFLA_CARRIER_UP_COUNT, up)
		ae.Uint32(unix.IFLA_CARRIER_DOWN_COUNT, down)
	}
}

// nsidPayload is an rtgenmsg (one byte, padded to four) and NETNSA_NSID.
func nsidPayload(tb testing.TB, nsid int32) []byte {
	return append(make([]byte, 4), attrs(tb, func(ae *netlink.AttributeEncoder) {
		ae.Int32(unix.NETNSA_NSID, nsid)
	})...)
}

// cmsg builds one control message with a 4-byte payload.
func cmsg(level, typ int32, v uint32) []byte {
	b := make([]byte, unix.CmsgSpace(4))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level = level
	h.Type = typ
	h.SetLen(unix.CmsgLen(4))
	binary.NativeEndian.PutUint32(b[unix.CmsgLen(0):], v)
	return b
}

// nsidCmsg is the control message the kernel attaches to every event of
// another namespace on a NETLINK_LISTEN_ALL_NSID socket.
func nsidCmsg(nsid int32) []byte {
	return cmsg(unix.SOL_NETLINK, unix.NETLINK_LISTEN_ALL_NSID, uint32(nsid))
}

var (
	vethMsg = rtnetlink.LinkMessage{
		Family: unix.AF_UNSPEC,
		Type:   unix.ARPHRD_ETHER,
		Index:  5,
		Flags:  vethUp,
		Change: changeAll,
		Attributes: &rtnetlink.LinkAttributes{
			Name:             "veth0",
			MTU:              1500,
			OperationalState: rtnetlink.OperStateUp,
			Info:             &rtnetlink.LinkInfo{Kind: "veth"},
		},
	}
	vethLink = link{
		index: 5, flags: vethUp, change: changeAll, name: "veth0", kind: "veth", oper: uint8(rtnetlink.OperStateUp),
		hasCarrier: true, carrierUp: 1, carrierDown: 1,
	}
	loMsg = rtnetlink.LinkMessage{
		Type:  unix.ARPHRD_LOOPBACK,
		Index: 1,
		Flags: unix.IFF_UP | unix.IFF_LOOPBACK | unix.IFF_RUNNING | unix.IFF_LOWER_UP,
		Attributes: &rtnetlink.LinkAttributes{
			Name:             "lo",
			OperationalState: rtnetlink.OperStateUnknown,
		},
	}
	loLink = link{
		index: 1, flags: unix.IFF_UP | unix.IFF_LOOPBACK | unix.IFF_RUNNING | unix.IFF_LOWER_UP,
		name: "lo", kind: "device",
	}
)

// decodeCase is one datagram and what decodeDatagram must make of it.
type decodeCase struct {
	name    string
	b, oob  []byte
	want    []message
	wantBad int
}

func decodeCases(tb testing.TB) []decodeCase {
	vethNew := nlMsg(unix.RTM_NEWLINK, linkPayload(tb, vethMsg, carrier(1, 1)))
	movedDel := nlMsg(unix.RTM_DELLINK, linkPayload(tb, vethMsg, func(ae *netlink.AttributeEncoder) {
		carrier(1, 1)(ae)
		ae.Int32(unix.IFLA_NEW_NETNSID, 3)
		ae.Int32(unix.IFLA_NEW_IFINDEX, 9)
	}))
	movedLink := vethLink
	movedLink.moved, movedLink.newNSID, movedLink.newIfindex = true, 3, 9

	enslavedMsg := vethMsg
	enslavedAttrs := *vethMsg.Attributes
	enslavedAttrs.Master = u32p(2)
	enslavedMsg.Attributes = &enslavedAttrs
	enslavedLink := vethLink
	enslavedLink.master = 2

	downMsg := vethMsg
	downMsg.Flags, downMsg.Change = unix.IFF_BROADCAST|unix.IFF_MULTICAST, unix.IFF_UP
	downLink := vethLink
	downLink.flags, downLink.change = unix.IFF_BROADCAST|unix.IFF_MULTICAST, unix.IFF_UP
	downLink.carrierUp, downLink.carrierDown = 4, 7

	// A link whose LinkInfo has an empty kind: "device" too.
	emptyKind := loMsg
	emptyKind.Attributes = &rtnetlink.LinkAttributes{Name: "lo", Info: &rtnetlink.LinkInfo{}}

	// A bridge port's state, as the bridge reports it: family AF_BRIDGE,
	// which rtnetlink does not marshal, and no IFLA_LINKINFO.
	bridgePort := func(typ uint16) []byte {
		m := vethMsg
		m.Attributes = &rtnetlink.LinkAttributes{Name: "veth0", Master: u32p(2), OperationalState: rtnetlink.OperStateUp}
		b := linkPayload(tb, m, nil)
		b[0] = unix.AF_BRIDGE
		return nlMsg(typ, b)
	}

	newNSID := nlMsg(unix.RTM_NEWNSID, nsidPayload(tb, 4))
	delNSID := nlMsg(unix.RTM_DELNSID, nsidPayload(tb, 4))
	loNew := nlMsg(unix.RTM_NEWLINK, linkPayload(tb, loMsg, nil))

	// Malformed messages.
	truncIfi := nlMsg(unix.RTM_NEWLINK, make([]byte, unix.SizeofIfInfomsg-1))
	overflow := nlMsg(unix.RTM_NEWLINK, func() []byte {
		b := linkPayload(tb, loMsg, nil)
		// The first attribute claims more bytes than the message holds.
		binary.NativeEndian.PutUint16(b[unix.SizeofIfInfomsg:], uint16(len(b)))
		return b
	}())
	shortAttr := nlMsg(unix.RTM_NEWLINK, func() []byte {
		b := linkPayload(tb, loMsg, nil)
		binary.NativeEndian.PutUint16(b[unix.SizeofIfInfomsg:], 3)
		return b
	}())
	emptyOper := nlMsg(unix.RTM_NEWLINK, linkPayload(tb, loMsg, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(unix.IFLA_OPERSTATE, nil)
	}))
	shortCarrier := nlMsg(unix.RTM_NEWLINK, linkPayload(tb, loMsg, func(ae *netlink.AttributeEncoder) {
		ae.Uint16(unix.IFLA_CARRIER_UP_COUNT, 1)
	}))
	badNested := nlMsg(unix.RTM_NEWLINK, linkPayload(tb, loMsg, func(ae *netlink.AttributeEncoder) {
		// IFLA_LINKINFO whose IFLA_INFO_KIND claims 64 bytes.
		ae.Bytes(unix.IFLA_LINKINFO, []byte{64, 0, unix.IFLA_INFO_KIND, 0, 'v', 'e', 't', 'h'})
	}))
	noNSIDAttr := nlMsg(unix.RTM_NEWNSID, append(make([]byte, 4), attrs(tb, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(unix.NETNSA_PID, 1)
	})...))
	shortGen := nlMsg(unix.RTM_DELNSID, []byte{0, 0})
	shortNSID := nlMsg(unix.RTM_NEWNSID, append(make([]byte, 4), attrs(tb, func(ae *netlink.AttributeEncoder) {
		ae.Uint16(unix.NETNSA_NSID, 4)
	})...))
	hdrTooShort := func() []byte {
		b := nlMsg(unix.RTM_NEWLINK, linkPayload(tb, loMsg, nil))
		binary.NativeEndian.PutUint32(b[0:4], unix.NLMSG_HDRLEN-1)
		return b
	}()
	hdrTooLong := func() []byte {
		b := nlMsg(unix.RTM_NEWLINK, linkPayload(tb, loMsg, nil))
		binary.NativeEndian.PutUint32(b[0:4], uint32(len(b)+4))
		return b
	}()
	// A message whose length is not a multiple of four, padded before the
	// next one as the kernel does.
	unaligned := nlMsg(unix.RTM_NEWADDR, []byte{unix.AF_INET})

	local := func(ev message) message { ev.local = true; return ev }
	remote := func(nsid int32, ev message) message { ev.nsid = nsid; return ev }

	return []decodeCase{
		{
			name: "newlink local",
			b:    vethNew,
			want: []message{local(message{typ: msgNewLink, link: vethLink})},
		},
		{
			name: "newlink remote",
			b:    vethNew,
			oob:  nsidCmsg(7),
			want: []message{remote(7, message{typ: msgNewLink, link: vethLink})},
		},
		{
			name: "nsid cmsg after another control message",
			b:    vethNew,
			oob:  append(cmsg(unix.SOL_SOCKET, unix.SCM_RIGHTS, 0), nsidCmsg(7)...),
			want: []message{remote(7, message{typ: msgNewLink, link: vethLink})},
		},
		{
			// A stale nsid_is_set on older kernels: an event of the
			// listener's own namespace with NETNSA_NSID_NOT_ASSIGNED.
			name: "nsid cmsg of -1",
			b:    vethNew,
			oob:  nsidCmsg(-1),
			want: []message{local(message{typ: msgNewLink, link: vethLink})},
		},
		{
			name: "other control message only",
			b:    vethNew,
			oob:  cmsg(unix.SOL_SOCKET, unix.SCM_RIGHTS, 7),
			want: []message{local(message{typ: msgNewLink, link: vethLink})},
		},
		{
			name: "dellink of a moved link",
			b:    movedDel,
			want: []message{local(message{typ: msgDelLink, link: movedLink})},
		},
		{
			name: "dellink without move",
			b:    nlMsg(unix.RTM_DELLINK, linkPayload(tb, vethMsg, carrier(1, 1))),
			oob:  nsidCmsg(2),
			want: []message{remote(2, message{typ: msgDelLink, link: vethLink})},
		},
		{
			name: "no kind is device",
			b:    loNew,
			want: []message{local(message{typ: msgNewLink, link: loLink})},
		},
		{
			name: "empty kind is device",
			b:    nlMsg(unix.RTM_NEWLINK, linkPayload(tb, emptyKind, nil)),
			want: []message{local(message{typ: msgNewLink, link: link{index: 1, flags: loLink.flags, name: "lo", kind: "device"}})},
		},
		{
			name: "master",
			b:    nlMsg(unix.RTM_NEWLINK, linkPayload(tb, enslavedMsg, carrier(1, 1))),
			want: []message{local(message{typ: msgNewLink, link: enslavedLink})},
		},
		{
			name:    "short IFLA_MASTER",
			b:       nlMsg(unix.RTM_NEWLINK, linkPayload(tb, loMsg, func(ae *netlink.AttributeEncoder) { ae.Uint16(unix.IFLA_MASTER, 2) })),
			wantBad: 1,
		},
		{
			name: "flags, change and carrier counters",
			b:    nlMsg(unix.RTM_NEWLINK, linkPayload(tb, downMsg, carrier(4, 7))),
			want: []message{local(message{typ: msgNewLink, link: downLink})},
		},
		{
			name: "newnsid",
			b:    newNSID,
			want: []message{local(message{typ: msgNewNSID, peer: 4})},
		},
		{
			name: "delnsid remote",
			b:    delNSID,
			oob:  nsidCmsg(1),
			want: []message{remote(1, message{typ: msgDelNSID, peer: 4})},
		},
		{
			name: "two messages in one datagram",
			b:    datagram(loNew, vethNew),
			oob:  nsidCmsg(3),
			want: []message{
				remote(3, message{typ: msgNewLink, link: loLink}),
				remote(3, message{typ: msgNewLink, link: vethLink}),
			},
		},
		{
			// ip link set va nomaster: the bridge's RTM_DELLINK for its
			// port, then the link's own RTM_NEWLINK.
			name: "bridge port messages are not link events",
			b: datagram(
				bridgePort(unix.RTM_DELLINK),
				bridgePort(unix.RTM_NEWLINK),
				vethNew),
			want: []message{local(message{typ: msgOther}), local(message{typ: msgOther}), local(message{typ: msgNewLink, link: vethLink})},
		},
		{
			name: "unknown message type",
			b:    nlMsg(unix.RTM_NEWADDR, make([]byte, unix.SizeofIfAddrmsg)),
			want: []message{local(message{typ: msgOther})},
		},
		{
			name: "unaligned message then another",
			b:    datagram(unaligned, newNSID),
			want: []message{local(message{typ: msgOther}), local(message{typ: msgNewNSID, peer: 4})},
		},
		{
			name: "unaligned last message",
			b:    datagram(newNSID, unaligned[:unix.NLMSG_HDRLEN+1]),
			want: []message{local(message{typ: msgNewNSID, peer: 4}), local(message{typ: msgOther})},
		},
		{
			name: "empty datagram",
		},
		{
			name: "trailing bytes shorter than a header",
			b:    datagram(newNSID, make([]byte, unix.NLMSG_HDRLEN-1)),
			want: []message{local(message{typ: msgNewNSID, peer: 4})},
		},
		{
			name:    "truncated ifinfomsg",
			b:       datagram(truncIfi, newNSID),
			want:    []message{local(message{typ: msgNewNSID, peer: 4})},
			wantBad: 1,
		},
		{
			name:    "attribute longer than the message",
			b:       datagram(overflow, newNSID),
			want:    []message{local(message{typ: msgNewNSID, peer: 4})},
			wantBad: 1,
		},
		{
			name:    "attribute shorter than its header",
			b:       datagram(newNSID, shortAttr),
			want:    []message{local(message{typ: msgNewNSID, peer: 4})},
			wantBad: 1,
		},
		{
			name:    "empty IFLA_OPERSTATE",
			b:       datagram(emptyOper, loNew),
			want:    []message{local(message{typ: msgNewLink, link: loLink})},
			wantBad: 1,
		},
		{
			name:    "short carrier counter",
			b:       shortCarrier,
			wantBad: 1,
		},
		{
			name:    "broken nested IFLA_LINKINFO",
			b:       datagram(badNested, newNSID),
			want:    []message{local(message{typ: msgNewNSID, peer: 4})},
			wantBad: 1,
		},
		{
			name:    "nsid message without NETNSA_NSID",
			b:       datagram(noNSIDAttr, delNSID),
			want:    []message{local(message{typ: msgDelNSID, peer: 4})},
			wantBad: 1,
		},
		{
			name:    "nsid message without rtgenmsg",
			b:       datagram(shortGen, newNSID),
			want:    []message{local(message{typ: msgNewNSID, peer: 4})},
			wantBad: 1,
		},
		{
			name:    "short NETNSA_NSID",
			b:       shortNSID,
			wantBad: 1,
		},
		{
			// The framing is lost: nothing after it can be read.
			name:    "nlmsg_len below the header",
			b:       datagram(newNSID, hdrTooShort, newNSID),
			want:    []message{local(message{typ: msgNewNSID, peer: 4})},
			wantBad: 1,
		},
		{
			name:    "nlmsg_len beyond the datagram",
			b:       datagram(newNSID, hdrTooLong),
			want:    []message{local(message{typ: msgNewNSID, peer: 4})},
			wantBad: 1,
		},
		{
			name:    "nlmsg_len of zero",
			b:       make([]byte, 64),
			wantBad: 1,
		},
		{
			// On 32-bit platforms int(nlmsg_len) is negative here.
			name:    "nlmsg_len with the top bit set",
			b:       func() []byte { b := datagram(loNew); binary.NativeEndian.PutUint32(b[0:4], 0x80000010); return b }(),
			wantBad: 1,
		},
	}
}

func TestDecodeDatagram(t *testing.T) {
	for _, tt := range decodeCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			// Events are appended to what the caller already holds.
			prior := message{typ: msgOther, nsid: 99}
			got, bad := decodeDatagram([]message{prior}, tt.b, tt.oob, make(kinds))
			if bad != tt.wantBad {
				t.Errorf("malformed = %d, want %d", bad, tt.wantBad)
			}
			want := append([]message{prior}, tt.want...)
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(message{}, link{})); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKindsIntern(t *testing.T) {
	k := make(kinds)
	a := k.intern([]byte("veth"))
	b := k.intern([]byte("veth"))
	if a != "veth" || b != "veth" {
		t.Fatalf("intern = %q, %q; want veth", a, b)
	}
	if got := k.intern(nil); got != "device" {
		t.Errorf("intern(nil) = %q, want device", got)
	}
	if len(k) != 1 {
		t.Errorf("kinds holds %d entries, want 1", len(k))
	}
	if n := testing.AllocsPerRun(100, func() { k.intern([]byte("veth")) }); n != 0 {
		t.Errorf("intern of a known kind allocates %v times, want 0", n)
	}
}

// linkFixtures are link messages as rtnetlink marshals them, with the
// attributes it cannot encode after them. Each is well-formed: what the kernel
// may send.
func linkFixtures() []struct {
	name  string
	m     rtnetlink.LinkMessage
	extra func(ae *netlink.AttributeEncoder)
} {
	return []struct {
		name  string
		m     rtnetlink.LinkMessage
		extra func(ae *netlink.AttributeEncoder)
	}{
		{"veth", vethMsg, carrier(1, 1)},
		{"loopback", loMsg, nil},
		{"no attributes", rtnetlink.LinkMessage{Index: 3, Flags: unix.IFF_UP, Change: unix.IFF_UP}, nil},
		{"bridge down", rtnetlink.LinkMessage{
			Type: unix.ARPHRD_ETHER, Index: 12, Flags: unix.IFF_BROADCAST | unix.IFF_MULTICAST, Change: 0,
			Attributes: &rtnetlink.LinkAttributes{
				Name: "br-0123456789a", MTU: 9000, QueueDisc: "noqueue", TxQueueLen: u32p(1000),
				OperationalState: rtnetlink.OperStateDown,
				Address:          []byte{2, 0, 0, 0, 0, 1}, Broadcast: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
				Info: &rtnetlink.LinkInfo{Kind: "bridge"},
			},
		}, carrier(0, 1)},
		{"macvlan in lower layer down", rtnetlink.LinkMessage{
			Index: 200000, Flags: unix.IFF_UP | unix.IFF_BROADCAST, Change: unix.IFF_UP,
			Attributes: &rtnetlink.LinkAttributes{
				Name: "mv0", OperationalState: rtnetlink.OperStateLowerLayerDown, Type: 12,
				Info: &rtnetlink.LinkInfo{Kind: "macvlan"}, Master: u32p(12),
			},
		}, carrier(1<<31, 1<<31+1)},
		{"dormant with stats", rtnetlink.LinkMessage{
			Index: 7, Flags: unix.IFF_UP | unix.IFF_DORMANT,
			Attributes: &rtnetlink.LinkAttributes{
				Name: "tun0", OperationalState: rtnetlink.OperStateDormant, Info: &rtnetlink.LinkInfo{Kind: "tun"},
			},
		}, func(ae *netlink.AttributeEncoder) {
			ae.Bytes(unix.IFLA_STATS64, make([]byte, 200))
			ae.Bytes(unix.IFLA_AF_SPEC, make([]byte, 300))
			carrier(2, 3)(ae)
		}},
		{"veth whose peer is in nsid 4", rtnetlink.LinkMessage{
			Index: 9, Flags: unix.IFF_BROADCAST | unix.IFF_MULTICAST, Change: changeAll,
			Attributes: &rtnetlink.LinkAttributes{
				Name: "h1", Type: 2, OperationalState: rtnetlink.OperStateDown, Info: &rtnetlink.LinkInfo{Kind: "veth"},
			},
		}, func(ae *netlink.AttributeEncoder) {
			ae.Int32(unix.IFLA_LINK_NETNSID, 4)
			carrier(0, 1)(ae)
		}},
		// Valid hardware addresses that rtnetlink.LinkMessage rejects: it
		// wants 4 to 32 bytes.
		{"mctp, one-byte address", rtnetlink.LinkMessage{
			Type: unix.ARPHRD_MCTP, Index: 4, Flags: unix.IFF_UP | unix.IFF_RUNNING | unix.IFF_LOWER_UP,
			Attributes: &rtnetlink.LinkAttributes{
				Name: "mctp0", OperationalState: rtnetlink.OperStateUp, Info: &rtnetlink.LinkInfo{Kind: "mctp"},
				Address: []byte{8}, Broadcast: []byte{0xff},
			},
		}, carrier(1, 0)},
		{"arcnet, one-byte address", rtnetlink.LinkMessage{
			Type: unix.ARPHRD_ARCNET, Index: 5, Flags: unix.IFF_BROADCAST,
			Attributes: &rtnetlink.LinkAttributes{
				Name: "arc0", OperationalState: rtnetlink.OperStateDown, Address: []byte{0x2a}, Broadcast: []byte{0},
			},
		}, carrier(0, 0)},
		{"phonet, one-byte permanent address", rtnetlink.LinkMessage{
			Type: unix.ARPHRD_PHONET, Index: 6, Flags: unix.IFF_UP | unix.IFF_RUNNING | unix.IFF_LOWER_UP,
			Attributes: &rtnetlink.LinkAttributes{
				Name: "phonet0", OperationalState: rtnetlink.OperStateUnknown, Address: []byte{0x10}, PermAddress: []byte{0x10},
			},
		}, carrier(1, 0)},
		{"tunnel without an address", rtnetlink.LinkMessage{
			Type: unix.ARPHRD_NONE, Index: 8, Flags: unix.IFF_POINTOPOINT | unix.IFF_NOARP,
			Attributes: &rtnetlink.LinkAttributes{Name: "wg0", Info: &rtnetlink.LinkInfo{Kind: "wireguard"}},
		}, func(ae *netlink.AttributeEncoder) {
			ae.Bytes(unix.IFLA_ADDRESS, nil)
			carrier(0, 0)(ae)
		}},
	}
}

// TestDecodeLinkMatchesRtnetlink checks the lean decoder against rtnetlink's
// full one on the same bytes, where rtnetlink can read them.
func TestDecodeLinkMatchesRtnetlink(t *testing.T) {
	for _, tt := range linkFixtures() {
		t.Run(tt.name, func(t *testing.T) {
			b := linkPayload(t, tt.m, tt.extra)
			var rm rtnetlink.LinkMessage
			if err := rm.UnmarshalBinary(b); err != nil {
				t.Skipf("rtnetlink cannot read it: %v", err)
			}
			want := link{index: int32(rm.Index), flags: rm.Flags, change: rm.Change, kind: "device"}
			if a := rm.Attributes; a != nil {
				want.name = a.Name
				want.oper = uint8(a.OperationalState)
				// rtnetlink calls IFLA_LINK Type.
				want.peer = int32(a.Type)
				if a.Info != nil && a.Info.Kind != "" {
					want.kind = a.Info.Kind
				}
				if a.CarrierUpCount != nil {
					want.hasCarrier, want.carrierUp = true, *a.CarrierUpCount
				}
				if a.CarrierDownCount != nil {
					want.hasCarrier, want.carrierDown = true, *a.CarrierDownCount
				}
				if a.Master != nil {
					want.master = int32(*a.Master)
				}
			}
			got, err := decodeLink(b, make(kinds))
			if err != nil {
				t.Fatalf("decodeLink: %v", err)
			}
			// rtnetlink does not read IFLA_LINK_NETNSID.
			got.hasLinkNSID, got.linkNSID = false, 0
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(link{})); diff != "" {
				t.Errorf("decodeLink disagrees with rtnetlink (-rtnetlink +decodeLink):\n%s", diff)
			}
		})
	}
}

func FuzzDecodeDatagram(f *testing.F) {
	for _, tt := range decodeCases(f) {
		f.Add(tt.b, tt.oob)
	}
	k := make(kinds)
	f.Fuzz(func(t *testing.T, b, oob []byte) {
		prior := []message{{typ: msgNewNSID, peer: 42}}
		evs, bad := decodeDatagram(prior, b, oob, k)
		if len(evs) < 1 || evs[0] != prior[0] {
			t.Fatalf("decodeDatagram lost the events it was given")
		}
		evs = evs[1:]
		// Every decoded or malformed message takes at least a header,
		// except the one whose framing ends the datagram.
		if bad < 0 || len(evs)+bad > len(b)/unix.NLMSG_HDRLEN+1 {
			t.Fatalf("%d events and %d malformed from %d bytes", len(evs), bad, len(b))
		}
		if len(b) < unix.NLMSG_HDRLEN && (len(evs) != 0 || bad != 0) {
			t.Fatalf("%d events and %d malformed from %d bytes", len(evs), bad, len(b))
		}
		_, remote := sourceNSID(oob)
		for _, ev := range evs {
			if ev.typ >= numMsgTypes {
				t.Fatalf("event type %d out of range", ev.typ)
			}
			if ev.local == remote {
				t.Fatalf("event local = %v with an nsid control message: %v", ev.local, remote)
			}
			switch ev.typ {
			case msgNewLink, msgDelLink:
				if ev.link.kind == "" {
					t.Fatalf("link event without a kind")
				}
			default:
				if ev.link != (link{}) {
					t.Fatalf("%s event with link %+v", msgTypeNames[ev.typ], ev.link)
				}
			}
		}
		// Decoding is a pure function of its input.
		again, bad2 := decodeDatagram(nil, b, oob, k)
		if bad2 != bad || !cmp.Equal(again, evs, cmp.AllowUnexported(message{}, link{}), cmpopts.EquateEmpty()) {
			t.Fatalf("second decode differs")
		}
	})
}

// realisticVeth is an RTM_NEWLINK of a veth in another namespace with the
// attributes the kernel sends: statistics and per-family data are most of
// its bytes, and the decoder must skip them cheaply.
func realisticVeth(tb testing.TB) []byte {
	m := vethMsg
	a := *m.Attributes
	a.Name = "veth1a2b3c4"
	a.QueueDisc = "noqueue"
	a.TxQueueLen = u32p(1000)
	a.Address = []byte{0x62, 0x1f, 0x0e, 0xa4, 0x55, 0x01}
	a.Broadcast = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	m.Attributes = &a
	return linkPayload(tb, m, func(ae *netlink.AttributeEncoder) {
		ae.Uint8(unix.IFLA_LINKMODE, 0)
		ae.Uint32(unix.IFLA_MIN_MTU, 68)
		ae.Uint32(unix.IFLA_MAX_MTU, 65535)
		ae.Uint32(unix.IFLA_GROUP, 0)
		ae.Uint32(unix.IFLA_PROMISCUITY, 0)
		ae.Uint32(unix.IFLA_NUM_TX_QUEUES, 1)
		ae.Uint32(unix.IFLA_GSO_MAX_SEGS, 65535)
		ae.Uint32(unix.IFLA_GSO_MAX_SIZE, 65536)
		ae.Uint32(unix.IFLA_NUM_RX_QUEUES, 1)
		ae.Uint8(unix.IFLA_CARRIER, 1)
		ae.Uint32(unix.IFLA_CARRIER_CHANGES, 2)
		carrier(1, 1)(ae)
		ae.Uint8(unix.IFLA_PROTO_DOWN, 0)
		ae.Bytes(unix.IFLA_MAP, make([]byte, 32))
		ae.Bytes(unix.IFLA_STATS64, make([]byte, 200))
		ae.Bytes(unix.IFLA_STATS, make([]byte, 96))
		ae.Bytes(unix.IFLA_XDP, attrs(tb, func(ae *netlink.AttributeEncoder) { ae.Uint8(unix.IFLA_XDP_ATTACHED, 0) }))
		ae.Int32(unix.IFLA_LINK_NETNSID, 0)
		ae.Uint32(unix.IFLA_LINK, 6)
		// IFLA_AF_SPEC: AF_INET's devconf and AF_INET6's flags, config,
		// stats and icmp6 stats are about 800 bytes on a 6.x kernel.
		ae.Bytes(unix.IFLA_AF_SPEC, attrs(tb, func(ae *netlink.AttributeEncoder) {
			ae.Bytes(unix.AF_INET, attrs(tb, func(ae *netlink.AttributeEncoder) { ae.Bytes(1, make([]byte, 128)) }))
			ae.Bytes(unix.AF_INET6, attrs(tb, func(ae *netlink.AttributeEncoder) {
				ae.Uint32(unix.IFLA_INET6_FLAGS, 0x80000000)
				ae.Bytes(unix.IFLA_INET6_CONF, make([]byte, 240))
				ae.Bytes(unix.IFLA_INET6_STATS, make([]byte, 296))
				ae.Bytes(unix.IFLA_INET6_ICMP6STATS, make([]byte, 56))
				ae.Bytes(unix.IFLA_INET6_TOKEN, make([]byte, 16))
				ae.Uint8(unix.IFLA_INET6_ADDR_GEN_MODE, 0)
			}))
		}))
	})
}

func BenchmarkDecodeDatagram(b *testing.B) {
	payload := realisticVeth(b)
	msg := nlMsg(unix.RTM_NEWLINK, payload)
	oob := nsidCmsg(3)
	k := make(kinds)
	evs := make([]message, 0, 1)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		var bad int
		evs, bad = decodeDatagram(evs[:0], msg, oob, k)
		if len(evs) != 1 || bad != 0 {
			b.Fatalf("decoded %d events, %d malformed", len(evs), bad)
		}
	}
}

func BenchmarkRtnetlinkUnmarshal(b *testing.B) {
	payload := realisticVeth(b)
	b.SetBytes(int64(unix.NLMSG_HDRLEN + len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		var m rtnetlink.LinkMessage
		if err := m.UnmarshalBinary(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBurst is the exporter's user-space work per link event of a
// burst: the decode of each datagram and the registry's apply, in batches
// as the reader hands them over, into a namespace known by its nsid. The
// kernel's recvmsg and the goroutines' hand-offs are not in it.
func BenchmarkBurst(b *testing.B) {
	const (
		events    = 4000
		batchSize = 25 // a 10 ms rest at the bench's burst rate
	)
	payload := realisticVeth(b)
	datagrams := make([][]byte, events)
	for i := range datagrams {
		p := slices.Clone(payload)
		binary.NativeEndian.PutUint32(p[4:8], uint32(100+i)) // ifi_index
		datagrams[i] = nlMsg(unix.RTM_NEWLINK, p)
	}
	oob := nsidCmsg(3)
	b.ReportAllocs()
	for b.Loop() {
		r := newTestRegistry()
		k := make(kinds)
		msgs := make([]message, 0, batchSize)
		for i := 0; i < events; i += batchSize {
			msgs = msgs[:0]
			for _, d := range datagrams[i : i+batchSize] {
				msgs, _ = decodeDatagram(msgs, d, oob, k)
			}
			r.nextBatch()
			r.apply(msgs, t0)
			r.settle()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}
