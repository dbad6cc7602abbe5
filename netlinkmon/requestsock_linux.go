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
	"context"
	"errors"
	"fmt"

	"github.com/mdlayher/socket"
	"golang.org/x/sys/unix"
)

// A requestSocket sends requests to the kernel and receives the datagrams of
// the replies, each with the port id of its sender. Tests fake it.
type requestSocket interface {
	send(b []byte) error
	recv(b []byte) (n int, from uint32, err error)
	portID() uint32
	close() error
}

// A netlinkSocket is a NETLINK_ROUTE socket in no multicast group. Its waits
// go through Go's poller: close ends them.
type netlinkSocket struct {
	c   *socket.Conn
	pid uint32
	// kernel is the address of the kernel, port id 0. Each socket has its
	// own: sendto writes into it.
	kernel unix.SockaddrNetlink
}

func openRequester() (*requester, error) {
	c, err := socket.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE, "netlink", nil)
	if err != nil {
		return nil, fmt.Errorf("netlinkmon: open request socket: %w", err)
	}
	s := &netlinkSocket{c: c, kernel: unix.SockaddrNetlink{Family: unix.AF_NETLINK}}
	if err := s.bind(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("netlinkmon: open request socket: %w", err)
	}
	return newRequester(s), nil
}

func (s *netlinkSocket) bind() error {
	if err := s.c.Bind(&unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	sa, err := s.c.Getsockname()
	if err != nil {
		return err
	}
	nl, ok := sa.(*unix.SockaddrNetlink)
	if !ok {
		return fmt.Errorf("socket address %T, want a netlink address", sa)
	}
	s.pid = nl.Pid
	return nil
}

func (s *netlinkSocket) portID() uint32 { return s.pid }

func (s *netlinkSocket) send(b []byte) error {
	return s.c.Sendto(context.Background(), b, 0, &s.kernel)
}

func (s *netlinkSocket) recv(b []byte) (int, uint32, error) {
	n, _, flags, from, err := s.c.Recvmsg(context.Background(), b, nil, 0)
	if err != nil {
		return 0, 0, err
	}
	if flags&unix.MSG_TRUNC != 0 {
		return 0, 0, fmt.Errorf("%w: reply datagram longer than %d bytes", errMalformed, len(b))
	}
	nl, ok := from.(*unix.SockaddrNetlink)
	if !ok {
		return 0, 0, errors.New("reply datagram without a netlink source address")
	}
	return n, nl.Pid, nil
}

func (s *netlinkSocket) close() error { return s.c.Close() }
