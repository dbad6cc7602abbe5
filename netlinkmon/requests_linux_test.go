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
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// fakePort is the port id of the fake request socket.
const fakePort = 4242

// A request is one request as the fake kernel received it.
type request struct {
	typ, flags uint16
	seq        uint32
	payload    []byte
}

// A replyDatagram is one datagram of a reply, and the port id of its sender:
// 0 for the kernel.
type replyDatagram struct {
	b    []byte
	from uint32
}

// A fakeKernel answers the requests of a requester with the datagrams that
// answer returns for the n-th request, counted from 0.
type fakeKernel struct {
	answer func(n int, req request) []replyDatagram
	reqs   []request
	queue  []replyDatagram
}

func (k *fakeKernel) send(b []byte) error {
	req := request{
		typ:     binary.NativeEndian.Uint16(b[4:6]),
		flags:   binary.NativeEndian.Uint16(b[6:8]),
		seq:     binary.NativeEndian.Uint32(b[8:12]),
		payload: b[unix.NLMSG_HDRLEN:],
	}
	k.queue = append(k.queue, k.answer(len(k.reqs), req)...)
	k.reqs = append(k.reqs, req)
	return nil
}

func (k *fakeKernel) recv(b []byte) (int, uint32, error) {
	if len(k.queue) == 0 {
		// A real socket would block: the reply ended too early.
		return 0, 0, io.ErrUnexpectedEOF
	}
	d := k.queue[0]
	k.queue = k.queue[1:]
	return copy(b, d.b), d.from, nil
}

func (k *fakeKernel) portID() uint32 { return fakePort }
func (k *fakeKernel) close() error   { return nil }

func fakeRequester(answer func(n int, req request) []replyDatagram) (*requester, *fakeKernel) {
	k := &fakeKernel{answer: answer}
	return newRequester(k), k
}

// reply frames a message of the reply to req.
func reply(req request, typ, flags uint16, payload []byte) []byte {
	b := make([]byte, unix.NLMSG_HDRLEN, nlmAlign(unix.NLMSG_HDRLEN+len(payload)))
	binary.NativeEndian.PutUint32(b[0:4], uint32(unix.NLMSG_HDRLEN+len(payload)))
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], flags)
	binary.NativeEndian.PutUint32(b[8:12], req.seq)
	binary.NativeEndian.PutUint32(b[12:16], fakePort)
	return append(b, payload...)[:cap(b)]
}

// part is a replyDatagram of a dump: its messages, each with flags.
func part(req request, flags uint16, payloads ...[]byte) replyDatagram {
	var b []byte
	for _, p := range payloads {
		b = append(b, reply(req, unix.RTM_NEWLINK, unix.NLM_F_MULTI|flags, p)...)
	}
	return replyDatagram{b: b}
}

// done ends a dump.
func done(req request, flags uint16) replyDatagram {
	return replyDatagram{b: reply(req, unix.NLMSG_DONE, unix.NLM_F_MULTI|flags, make([]byte, 4))}
}

// nlError answers req with an error, or an acknowledgement for errno 0.
func nlError(req request, errno unix.Errno) replyDatagram {
	p := make([]byte, 4+unix.NLMSG_HDRLEN)
	binary.NativeEndian.PutUint32(p[0:4], uint32(-int32(errno)))
	return replyDatagram{b: reply(req, unix.NLMSG_ERROR, 0, p)}
}

func payloadOf(tb testing.TB, m rtnetlink.LinkMessage, extra func(ae *netlink.AttributeEncoder)) []byte {
	return linkPayload(tb, m, extra)
}

// dumpAttempts answers the n-th attempt of a dump with attempts[n].
func dumpAttempts(attempts ...func(req request) []replyDatagram) func(int, request) []replyDatagram {
	return func(n int, req request) []replyDatagram { return attempts[n](req) }
}

func TestRequesterLinks(t *testing.T) {
	veth := payloadOf(t, vethMsg, carrier(1, 1))
	lo := payloadOf(t, loMsg, nil)
	// What rtnetlink.LinkMessage rejects: a one-byte hardware address.
	mctp := payloadOf(t, rtnetlink.LinkMessage{
		Type: unix.ARPHRD_MCTP, Index: 4, Flags: unix.IFF_UP,
		Attributes: &rtnetlink.LinkAttributes{Name: "mctp0", Address: []byte{8}, Broadcast: []byte{0xff}, Info: &rtnetlink.LinkInfo{Kind: "mctp"}},
	}, carrier(1, 0))
	mctpLink := link{index: 4, flags: unix.IFF_UP, name: "mctp0", kind: "mctp", hasCarrier: true, carrierUp: 1}
	// An IFLA_OPERSTATE of no bytes: the counters need it.
	truncated := payloadOf(t, rtnetlink.LinkMessage{Index: 7, Attributes: &rtnetlink.LinkAttributes{Name: "x"}},
		func(ae *netlink.AttributeEncoder) { ae.Bytes(unix.IFLA_OPERSTATE, nil) })
	bridgePort := append([]byte(nil), veth...)
	bridgePort[0] = unix.AF_BRIDGE

	clean := func(req request) []replyDatagram {
		return []replyDatagram{part(req, 0, veth), part(req, 0, lo), done(req, 0)}
	}
	tests := []struct {
		name   string
		answer func(int, request) []replyDatagram
		want   linkDump
		// wantErr is what the error wraps, if any.
		wantErr     error
		wantForeign int
	}{
		{
			name:   "a dump in parts",
			answer: dumpAttempts(clean),
			want:   linkDump{links: []link{vethLink, loLink}},
		},
		{
			name: "interrupted once",
			answer: dumpAttempts(func(req request) []replyDatagram {
				return []replyDatagram{part(req, 0, veth), part(req, unix.NLM_F_DUMP_INTR, lo), done(req, unix.NLM_F_DUMP_INTR)}
			}, clean),
			want: linkDump{links: []link{vethLink, loLink}, interruptions: 1},
		},
		{
			// The last part found nothing left: only NLMSG_DONE tells.
			name: "interrupted, as only NLMSG_DONE says",
			answer: dumpAttempts(func(req request) []replyDatagram {
				return []replyDatagram{part(req, 0, veth), done(req, unix.NLM_F_DUMP_INTR)}
			}, clean),
			want: linkDump{links: []link{vethLink, loLink}, interruptions: 1},
		},
		{
			name: "interrupted every time",
			answer: func(_ int, req request) []replyDatagram {
				return []replyDatagram{part(req, unix.NLM_F_DUMP_INTR, veth), done(req, unix.NLM_F_DUMP_INTR)}
			},
			want:    linkDump{links: []link{vethLink}, interruptions: maxDumpAttempts},
			wantErr: errInterrupted,
		},
		{
			name: "a one-byte hardware address",
			answer: dumpAttempts(func(req request) []replyDatagram {
				return []replyDatagram{part(req, 0, lo, mctp), done(req, 0)}
			}),
			want: linkDump{links: []link{loLink, mctpLink}},
		},
		{
			name: "a message truncated where the counters need it",
			answer: dumpAttempts(func(req request) []replyDatagram {
				return []replyDatagram{part(req, 0, veth, truncated, lo), done(req, 0)}
			}),
			want: linkDump{links: []link{vethLink, loLink}, skipped: []int32{7}, malformed: 1},
		},
		{
			name: "a message without an ifindex",
			answer: dumpAttempts(func(req request) []replyDatagram {
				return []replyDatagram{part(req, 0, veth, truncated[:unix.SizeofIfInfomsg-1]), done(req, 0)}
			}),
			want: linkDump{links: []link{vethLink}, blind: true, malformed: 1},
		},
		{
			name: "a bridge port's state",
			answer: dumpAttempts(func(req request) []replyDatagram {
				return []replyDatagram{part(req, 0, bridgePort, veth), done(req, 0)}
			}),
			want: linkDump{links: []link{vethLink}},
		},
		{
			name: "a datagram of another sender",
			answer: dumpAttempts(func(req request) []replyDatagram {
				forged := part(req, 0, mctp)
				forged.from = 777
				return []replyDatagram{part(req, 0, veth), forged, done(req, 0)}
			}),
			want:        linkDump{links: []link{vethLink}},
			wantForeign: 1,
		},
		{
			name: "the rest of an earlier reply",
			answer: dumpAttempts(func(req request) []replyDatagram {
				earlier := req
				earlier.seq--
				return []replyDatagram{part(earlier, 0, mctp), done(earlier, 0), part(req, 0, veth), done(req, 0)}
			}),
			want: linkDump{links: []link{vethLink}},
		},
		{
			name:    "an nsid that names no namespace",
			answer:  dumpAttempts(func(req request) []replyDatagram { return []replyDatagram{nlError(req, unix.EINVAL)} }),
			wantErr: errNoNamespace,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, k := fakeRequester(tt.answer)
			got, err := r.links(3)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("links: %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(linkDump{}, link{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("dump (-want +got):\n%s", diff)
			}
			if n := r.takeForeign(); n != tt.wantForeign {
				t.Errorf("foreign datagrams %d, want %d", n, tt.wantForeign)
			}
			for _, req := range k.reqs {
				if req.typ != unix.RTM_GETLINK || req.flags != unix.NLM_F_REQUEST|unix.NLM_F_DUMP {
					t.Errorf("request type %d, flags %#x; want an RTM_GETLINK dump", req.typ, req.flags)
				}
			}
		})
	}
}

// Events and dumps read links with one decoder: they agree on every field
// they both read, whatever else the message holds.
func TestEventsAndDumpsAgree(t *testing.T) {
	for _, tt := range linkFixtures() {
		t.Run(tt.name, func(t *testing.T) {
			b := linkPayload(t, tt.m, tt.extra)
			evs, bad := decodeDatagram(nil, nlMsg(unix.RTM_NEWLINK, b), nsidCmsg(3), make(kinds))
			if bad != 0 || len(evs) != 1 {
				t.Fatalf("event: %d messages, %d malformed", len(evs), bad)
			}
			r, _ := fakeRequester(dumpAttempts(func(req request) []replyDatagram {
				return []replyDatagram{part(req, 0, b), done(req, 0)}
			}))
			d, err := r.links(3)
			if err != nil || len(d.links) != 1 {
				t.Fatalf("dump: %v, %d links", err, len(d.links))
			}
			if diff := cmp.Diff(evs[0].link, d.links[0], cmp.AllowUnexported(link{})); diff != "" {
				t.Errorf("event and dump disagree (-event +dump):\n%s", diff)
			}
		})
	}
}

func TestRequesterNSIDs(t *testing.T) {
	entry := func(req request, flags uint16, nsid int32) []byte {
		return reply(req, unix.RTM_NEWNSID, unix.NLM_F_MULTI|flags, nsidPayload(t, nsid))
	}
	r, _ := fakeRequester(dumpAttempts(
		func(req request) []replyDatagram {
			return []replyDatagram{{b: append(entry(req, 0, 0), entry(req, unix.NLM_F_DUMP_INTR, 2)...)}, done(req, 0)}
		},
		func(req request) []replyDatagram {
			return []replyDatagram{{b: append(entry(req, 0, 0), entry(req, 0, 1)...)}, done(req, 0)}
		},
	))
	ids, interruptions, err := r.nsids()
	if err != nil || !cmp.Equal(ids, []int32{0, 1}) || interruptions != 1 {
		t.Errorf("nsids = %v, %d interruptions, %v; want [0 1], 1, nil", ids, interruptions, err)
	}
}

func TestRequesterNSIDExists(t *testing.T) {
	tests := []struct {
		name    string
		answer  func(req request) []replyDatagram
		want    bool
		wantErr bool
	}{
		{"it does", func(req request) []replyDatagram {
			return []replyDatagram{{b: reply(req, unix.RTM_NEWNSID, 0, nsidPayload(t, 3))}}
		}, true, false},
		{"it does not", func(req request) []replyDatagram { return []replyDatagram{nlError(req, unix.ENOENT)} }, false, false},
		{"the kernel fails", func(req request) []replyDatagram { return []replyDatagram{nlError(req, unix.ENOMEM)} }, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, k := fakeRequester(dumpAttempts(tt.answer))
			got, err := r.nsidExists(3)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("nsidExists = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
			// RTM_GETNSID by NETNSA_NSID: the kernel answers it without RTNL.
			if req := k.reqs[0]; req.typ != unix.RTM_GETNSID || req.flags != unix.NLM_F_REQUEST {
				t.Errorf("request type %d, flags %#x; want RTM_GETNSID", req.typ, req.flags)
			}
		})
	}
}

// ownNSID asks by the file of the exporter's namespace, without assigning
// one, and reads NETNSA_NSID_NOT_ASSIGNED as none.
func TestOwnNSID(t *testing.T) {
	tests := []struct {
		name    string
		answer  func(req request) []replyDatagram
		want    int32
		wantErr bool
	}{
		{"it has one", func(req request) []replyDatagram {
			return []replyDatagram{{b: reply(req, unix.RTM_NEWNSID, 0, nsidPayload(t, 5))}}
		}, 5, false},
		{"it has none", func(req request) []replyDatagram {
			return []replyDatagram{{b: reply(req, unix.RTM_NEWNSID, 0, nsidPayload(t, -1))}}
		}, NoNSID, false},
		{"the kernel fails", func(req request) []replyDatagram { return []replyDatagram{nlError(req, unix.ENOMEM)} }, NoNSID, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, k := fakeRequester(dumpAttempts(tt.answer))
			got, err := ownNSID(r)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ownNSID = %d, %v; want %d, error %v", got, err, tt.want, tt.wantErr)
			}
			if len(k.reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(k.reqs))
			}
			req := k.reqs[0]
			if req.typ != unix.RTM_GETNSID || req.flags != unix.NLM_F_REQUEST {
				t.Errorf("request type %d, flags %#x; want RTM_GETNSID", req.typ, req.flags)
			}
			ad, err := netlink.NewAttributeDecoder(req.payload[4:])
			if err != nil {
				t.Fatal(err)
			}
			var fd bool
			for ad.Next() {
				fd = fd || ad.Type() == unix.NETNSA_FD
			}
			if !fd {
				t.Errorf("request without NETNSA_FD")
			}
		})
	}
}

// The probe asks the kernel for what the monitor needs, and names the feature
// it lacks.
func TestRequesterProbe(t *testing.T) {
	lo := payloadOf(t, loMsg, carrier(1, 0))
	noCarrier := payloadOf(t, loMsg, nil)
	refuse := func(req request) []replyDatagram { return []replyDatagram{nlError(req, unix.EINVAL)} }
	tests := []struct {
		name string
		// target answers the dump for nsid -1; loopback the request for
		// ifindex 1.
		target, loopback func(req request) []replyDatagram
		wantErr          string
	}{
		{
			name:     "a kernel with both",
			target:   refuse,
			loopback: func(req request) []replyDatagram { return []replyDatagram{{b: reply(req, unix.RTM_NEWLINK, 0, lo)}} },
		},
		{
			// An old kernel ignores the attribute and dumps its own links.
			name: "a kernel without IFLA_TARGET_NETNSID",
			target: func(req request) []replyDatagram {
				return []replyDatagram{part(req, 0, lo), done(req, 0)}
			},
			wantErr: "IFLA_TARGET_NETNSID",
		},
		{
			name:   "a kernel without carrier counters",
			target: refuse,
			loopback: func(req request) []replyDatagram {
				return []replyDatagram{{b: reply(req, unix.RTM_NEWLINK, 0, noCarrier)}}
			},
			wantErr: "IFLA_CARRIER_UP_COUNT",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, k := fakeRequester(dumpAttempts(tt.target, tt.loopback))
			err := r.probe()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("probe: %v; want an error naming %q", err, tt.wantErr)
			}
			ad, err := netlink.NewAttributeDecoder(k.reqs[0].payload[unix.SizeofIfInfomsg:])
			if err != nil {
				t.Fatal(err)
			}
			target := int32(0)
			for ad.Next() {
				if ad.Type() == unix.IFLA_TARGET_NETNSID {
					target = ad.Int32()
				}
			}
			if target != -1 {
				t.Errorf("probe asked for the links of nsid %d, want -1, which cannot exist", target)
			}
		})
	}
}
