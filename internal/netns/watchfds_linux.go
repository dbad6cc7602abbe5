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

package netns

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/netlink-exporter/netlink_exporter/internal/eventfd"
)

// watchFDs are the file descriptors Watch waits on.
type watchFDs struct {
	epoll   int
	inotify int // directory entries
	mounts  int // mount table, see mountsPath
	wake    *eventfd.Wakeup
}

func openWatchFDs() (*watchFDs, error) {
	w := &watchFDs{epoll: -1, inotify: -1, mounts: -1}
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netns: watch: epoll_create: %w", err)
	}
	w.epoll = fd
	if fd, err = unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK); err != nil {
		w.close()
		return nil, fmt.Errorf("netns: watch: inotify_init: %w", err)
	}
	w.inotify = fd
	if fd, err = unix.Open(mountsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
		w.close()
		return nil, fmt.Errorf("netns: watch: open %s: %w", mountsPath, err)
	}
	w.mounts = fd
	if w.wake, err = eventfd.NewWakeup(); err != nil {
		w.close()
		return nil, fmt.Errorf("netns: watch: %w", err)
	}

	for _, r := range []struct {
		fd     int
		events uint32
	}{
		{w.inotify, unix.EPOLLIN},
		{w.mounts, unix.EPOLLPRI},
		{w.wake.FD(), unix.EPOLLIN},
	} {
		ev := unix.EpollEvent{Events: r.events, Fd: int32(r.fd)}
		if err := unix.EpollCtl(w.epoll, unix.EPOLL_CTL_ADD, r.fd, &ev); err != nil {
			w.close()
			return nil, fmt.Errorf("netns: watch: epoll_ctl: %w", err)
		}
	}
	return w, nil
}

func (w *watchFDs) close() {
	if w.wake != nil {
		_ = w.wake.Close()
	}
	for _, fd := range []int{w.mounts, w.inotify, w.epoll} {
		if fd >= 0 {
			_ = unix.Close(fd)
		}
	}
}
