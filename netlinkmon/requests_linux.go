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
	"errors"
	"fmt"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// rtextFilterSkipStats asks the kernel to leave link statistics out of
// dumps: the monitor does not read them, and they are most of each message.
const rtextFilterSkipStats = 1 << 3

// errNoNamespace reports an nsid that no longer names a namespace: it died,
// and its RTM_DELNSID is on its way.
var errNoNamespace = errors.New("no namespace with this nsid")

// A requester sends requests on its own unsubscribed socket: dump replies on
// the event socket would mix with events and fail sequence checks.
type requester struct {
	conn  *netlink.Conn
	kinds kinds
}

func openRequester() (*requester, error) {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		return nil, fmt.Errorf("netlinkmon: open request socket: %w", err)
	}
	return &requester{conn: c, kinds: make(kinds)}, nil
}

func (r *requester) close() error { return r.conn.Close() }

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
	_, err = r.execute(unix.RTM_NEWNSID, netlink.Request|netlink.Acknowledge, ae)
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
	msgs, err := r.execute(unix.RTM_GETNSID, netlink.Request, ae)
	if err != nil {
		return 0, fmt.Errorf("netlinkmon: get nsid: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Type == unix.RTM_NEWNSID {
			return decodeNSID(m.Data)
		}
	}
	return 0, fmt.Errorf("netlinkmon: get nsid: %w: no RTM_NEWNSID in reply", errMalformed)
}

// nsids lists every nsid assigned in the exporter's namespace.
func (r *requester) nsids() ([]int32, error) {
	msgs, err := r.execute(unix.RTM_GETNSID, netlink.Request|netlink.Dump, nil)
	if err != nil {
		return nil, fmt.Errorf("netlinkmon: dump nsids: %w", err)
	}
	ids := make([]int32, 0, len(msgs))
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWNSID {
			continue
		}
		id, err := decodeNSID(m.Data)
		if err != nil {
			return nil, fmt.Errorf("netlinkmon: dump nsids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// links dumps the links of the namespace with this nsid, or of the exporter's
// own for NoNSID, without entering it.
func (r *requester) links(nsid int32) ([]link, error) {
	ifi := make([]byte, unix.SizeofIfInfomsg)
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.IFLA_EXT_MASK, rtextFilterSkipStats)
	if nsid != NoNSID {
		ae.Int32(unix.IFLA_TARGET_NETNSID, nsid)
	}
	attrs, err := ae.Encode()
	if err != nil {
		return nil, fmt.Errorf("netlinkmon: dump links of nsid %d: %w", nsid, err)
	}
	msgs, err := r.conn.Execute(netlink.Message{
		Header: netlink.Header{Type: unix.RTM_GETLINK, Flags: netlink.Request | netlink.Dump},
		Data:   append(ifi, attrs...),
	})
	if err != nil {
		if nsid != NoNSID && errors.Is(err, unix.EINVAL) {
			err = errNoNamespace
		}
		return nil, fmt.Errorf("netlinkmon: dump links of nsid %d: %w", nsid, err)
	}
	out := make([]link, 0, len(msgs))
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK {
			continue
		}
		var lm rtnetlink.LinkMessage
		if err := lm.UnmarshalBinary(m.Data); err != nil {
			return nil, fmt.Errorf("netlinkmon: dump links of nsid %d: %w: %w", nsid, errMalformed, err)
		}
		out = append(out, linkFromMessage(&lm, r.kinds))
	}
	return out, nil
}

// linkFromMessage reduces a dumped link to what the counters need. Dumps are
// rare, so they use rtnetlink's complete decoder; events use decodeLink.
func linkFromMessage(m *rtnetlink.LinkMessage, k kinds) link {
	l := link{index: int32(m.Index), flags: m.Flags, change: m.Change, kind: "device"}
	a := m.Attributes
	if a == nil {
		return l
	}
	l.name, l.oper = a.Name, uint8(a.OperationalState)
	if a.Info != nil {
		l.kind = k.intern([]byte(a.Info.Kind))
	}
	if a.Master != nil {
		l.master = int32(*a.Master)
	}
	if a.CarrierUpCount != nil && a.CarrierDownCount != nil {
		l.hasCarrier = true
		l.carrierUp, l.carrierDown = *a.CarrierUpCount, *a.CarrierDownCount
	}
	return l
}

func (r *requester) execute(typ uint16, flags netlink.HeaderFlags, ae *netlink.AttributeEncoder) ([]netlink.Message, error) {
	// rtgenmsg: the family byte, padded to four.
	data := make([]byte, 4)
	if ae != nil {
		attrs, err := ae.Encode()
		if err != nil {
			return nil, err
		}
		data = append(data, attrs...)
	}
	return r.conn.Execute(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(typ), Flags: flags},
		Data:   data,
	})
}
