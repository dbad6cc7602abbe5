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
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/netlink-exporter/netlink_exporter/internal/eventfd"
)

// Sizes; the package documentation says why each has its value.
const (
	// maxBatch bounds the messages handed over at once.
	maxBatch = 4096
	// datagramSize fits any multicast rtnetlink link message.
	datagramSize = 64 << 10
)

// An eventSocket is the host netlink socket that hears the link and nsid
// events of every namespace with an nsid.
//
// It is a raw descriptor waited on through an epoll instance of its own, not
// a netlink.Conn: Go's poller registers descriptors edge-triggered, and wakes
// an idle thread for every datagram that arrives, even while the reader is
// resting between drains. At burst rates that cost more CPU than reading the
// events did. Here a datagram wakes nobody unless the reader is waiting.
type eventSocket struct {
	fd   int
	epfd int
	// wake ends a wait: for requests and cancellation.
	wake *eventfd.Wakeup

	msg unix.Msghdr
	iov unix.Iovec
	// from receives the sender of each datagram.
	from  unix.RawSockaddrNetlink
	buf   []byte
	oob   []byte
	kinds kinds
}

func openEventSocket(rcvbuf int) (*eventSocket, error) {
	s := &eventSocket{fd: -1, epfd: -1, kinds: make(kinds)}
	if err := s.open(rcvbuf); err != nil {
		s.close()
		return nil, err
	}
	s.buf = make([]byte, datagramSize)
	s.oob = make([]byte, unix.CmsgSpace(4)*4)
	s.iov.Base = &s.buf[0]
	s.iov.SetLen(len(s.buf))
	s.msg.Iov = &s.iov
	s.msg.SetIovlen(1)
	return s, nil
}

func (s *eventSocket) open(rcvbuf int) error {
	var err error
	s.fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlinkmon: open event socket: %w", os.NewSyscallError("socket", err))
	}
	if err := unix.Bind(s.fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}); err != nil {
		return fmt.Errorf("netlinkmon: bind event socket: %w", os.NewSyscallError("bind", err))
	}
	// RTNLGRP_NSID is group 28: beyond what the bind-time bitmask reaches
	// by bit shifts in every libc, so join it explicitly.
	if err := unix.SetsockoptInt(s.fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, unix.RTNLGRP_NSID); err != nil {
		return fmt.Errorf("netlinkmon: join RTNLGRP_NSID: %w", os.NewSyscallError("setsockopt", err))
	}
	if err := unix.SetsockoptInt(s.fd, unix.SOL_NETLINK, unix.NETLINK_LISTEN_ALL_NSID, 1); err != nil {
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("netlinkmon: NETLINK_LISTEN_ALL_NSID needs CAP_NET_BROADCAST: %w", err)
		}
		return fmt.Errorf("netlinkmon: set NETLINK_LISTEN_ALL_NSID: %w", os.NewSyscallError("setsockopt", err))
	}
	// SO_RCVBUFFORCE ignores net.core.rmem_max, which is far below what a
	// burst needs on most hosts.
	if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf); err != nil {
		if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf); err != nil {
			return fmt.Errorf("netlinkmon: set receive buffer to %d bytes: %w", rcvbuf, os.NewSyscallError("setsockopt", err))
		}
	}
	if s.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return fmt.Errorf("netlinkmon: %w", os.NewSyscallError("epoll_create1", err))
	}
	if s.wake, err = eventfd.NewWakeup(); err != nil {
		return fmt.Errorf("netlinkmon: %w", err)
	}
	for _, fd := range []int{s.fd, s.wake.FD()} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return fmt.Errorf("netlinkmon: %w", os.NewSyscallError("epoll_ctl", err))
		}
	}
	return nil
}

// wait blocks until the socket is readable or s.wake is woken.
func (s *eventSocket) wait() error {
	var evs [2]unix.EpollEvent
	for {
		n, err := unix.EpollWait(s.epfd, evs[:], -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return os.NewSyscallError("epoll_wait", err)
		}
		for _, ev := range evs[:n] {
			if int(ev.Fd) == s.wake.FD() {
				s.wake.Clear()
			}
		}
		return nil
	}
}

// drain reads every queued datagram into b, up to maxBatch events, and
// reports whether it emptied the queue. After an overrun it reads on to the
// end of the queue: the kernel drops every event until the queue is empty,
// and the resync must come after that point.
func (s *eventSocket) drain(b *batch) (empty bool, err error) {
	for len(b.msgs) < maxBatch || b.overrun {
		n, oobn, flags, err := s.recv()
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return true, nil
		case errors.Is(err, unix.ENOBUFS):
			// The kernel dropped events. The socket stays usable; the
			// reader re-reads the state once it is drained.
			b.overrun = true
			continue
		case err != nil:
			return false, os.NewSyscallError("recvmsg", err)
		}
		if s.from.Pid != 0 {
			// Any process may send a datagram to the socket's port;
			// only the kernel's count.
			b.foreign++
			continue
		}
		if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
			// Part of an event is lost: as good as an overrun.
			b.malformed++
			b.overrun = true
			continue
		}
		var bad int
		b.msgs, bad = decodeDatagram(b.msgs, s.buf[:n], s.oob[:oobn], s.kinds)
		b.malformed += bad
	}
	return false, nil
}

// recv is recvmsg(2) on preallocated buffers: unix.Recvmsg allocates a
// source address for every datagram, and this is the hot path. It is a raw
// system call: with MSG_DONTWAIT it never blocks, and the scheduler need not
// know of it. A call that tells the scheduler (unix.Syscall) wakes the
// runtime's monitor thread when the process was idle, and that thread then
// polls every 20 µs while the batch is read: at burst rates those wake-ups
// cost more CPU than the events.
func (s *eventSocket) recv() (n, oobn, flags int, err error) {
	s.msg.Name = (*byte)(unsafe.Pointer(&s.from))
	s.msg.Namelen = unix.SizeofSockaddrNetlink
	s.msg.Control = &s.oob[0]
	s.msg.SetControllen(len(s.oob))
	s.msg.Flags = 0
	r, _, errno := unix.RawSyscall(unix.SYS_RECVMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.msg)), unix.MSG_DONTWAIT)
	if errno != 0 {
		return 0, 0, 0, errno
	}
	return int(r), int(s.msg.Controllen), int(s.msg.Flags), nil
}

func (s *eventSocket) close() {
	for _, fd := range []*int{&s.fd, &s.epfd} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
	if s.wake != nil {
		_ = s.wake.Close()
	}
}
