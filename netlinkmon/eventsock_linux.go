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
	"os"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

const (
	// maxBatch bounds the events handed over at once, so that a long burst
	// is applied, and visible, while it is still being read.
	maxBatch = 4096
	// datagramSize fits any multicast rtnetlink message: the kernel builds
	// them in NLMSG_GOODSIZE (8 KiB) buffers unless a device has a very long
	// description (many VFs, say).
	datagramSize = 64 << 10
)

// An eventSocket is the host netlink socket that hears link and nsid events
// of every namespace with an nsid.
type eventSocket struct {
	conn  *netlink.Conn
	rc    syscall.RawConn
	buf   []byte
	oob   []byte
	kinds kinds
}

func openEventSocket(rcvbuf int) (*eventSocket, error) {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{Groups: unix.RTMGRP_LINK})
	if err != nil {
		return nil, fmt.Errorf("netlinkmon: open event socket: %w", err)
	}
	s := &eventSocket{
		conn:  c,
		buf:   make([]byte, datagramSize),
		oob:   make([]byte, unix.CmsgSpace(4)*4),
		kinds: make(kinds),
	}
	if err := s.setup(rcvbuf); err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

func (s *eventSocket) setup(rcvbuf int) error {
	// RTNLGRP_NSID is group 28: beyond what the bind-time bitmask reaches
	// by bit shifts in every libc, so join it explicitly.
	if err := s.conn.JoinGroup(unix.RTNLGRP_NSID); err != nil {
		return fmt.Errorf("netlinkmon: join RTNLGRP_NSID: %w", err)
	}
	if err := s.conn.SetOption(netlink.ListenAllNSID, true); err != nil {
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("netlinkmon: NETLINK_LISTEN_ALL_NSID needs CAP_NET_BROADCAST: %w", err)
		}
		return fmt.Errorf("netlinkmon: set NETLINK_LISTEN_ALL_NSID: %w", err)
	}
	if err := s.conn.SetReadBuffer(rcvbuf); err != nil {
		return fmt.Errorf("netlinkmon: set receive buffer to %d bytes: %w", rcvbuf, err)
	}
	rc, err := s.conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("netlinkmon: event socket: %w", err)
	}
	s.rc = rc
	return nil
}

// read drains the socket with non-blocking reads into b. It waits on the
// poller only when there is nothing to read at all and wait is set.
func (s *eventSocket) read(b *batch, wait bool) error {
	return s.rc.Read(func(fd uintptr) bool {
		for len(b.events) < maxBatch {
			n, oobn, flags, _, err := unix.Recvmsg(int(fd), s.buf, s.oob, unix.MSG_DONTWAIT)
			switch {
			case errors.Is(err, unix.EINTR):
				continue
			case errors.Is(err, unix.EAGAIN):
				return !wait || len(b.events) > 0 || b.overrun || b.malformed > 0
			case errors.Is(err, unix.ENOBUFS):
				// The kernel dropped events. The socket stays usable;
				// the caller re-reads the state once it is drained.
				b.overrun = true
				continue
			case err != nil:
				b.err = os.NewSyscallError("recvmsg", err)
				return true
			}
			if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
				b.malformed++
				continue
			}
			var bad int
			b.events, bad = decodeDatagram(b.events, s.buf[:n], s.oob[:oobn], s.kinds)
			b.malformed += bad
		}
		return true
	})
}

func (s *eventSocket) close() error { return s.conn.Close() }
