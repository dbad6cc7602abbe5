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
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// mountsPath changes, as seen by poll(2) with POLLPRI, whenever a mount is
// added or removed in this mount namespace. Binding a namespace onto the
// file that "ip netns add" created raises no inotify event, only this.
const mountsPath = "/proc/self/mountinfo"

// Watch blocks until ctx is done and sends on changed whenever the entries of
// a directory in dirs may have changed, or the mount table has: once at the
// start, then within milliseconds of "ip netns add" or "ip netns del". Sends
// never block: if changed is full, the signal merges with the pending one, so
// give changed a buffer of one.
//
// A directory that does not exist yet is watched for from its nearest
// existing parent, and a removed one is watched for again, since /run/netns
// appears only with the first "ip netns add". A directory that cannot be
// watched at all is still covered by mount table changes.
//
// Watch runs in the caller's goroutine and starts none that outlive it; it
// closes all its file descriptors before it returns. It returns ctx.Err()
// once ctx is done, or an error if the watch cannot be set up.
func Watch(ctx context.Context, dirs []string, changed chan<- struct{}) error {
	fds, err := openWatchFDs()
	if err != nil {
		return err
	}
	defer fds.close()
	// The wake-up ends the wait in epoll once ctx is done.
	stop := fds.wake.WakeWhenDone(ctx)
	defer stop()

	signal := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	dw := newDirWatch(fds.inotify, dirs)
	dw.sync()
	signal()

	events := make([]unix.EpollEvent, 4)
	for {
		n, err := unix.EpollWait(fds.epoll, events, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("netns: watch: epoll_wait: %w", err)
		}
		for _, ev := range events[:n] {
			switch int(ev.Fd) {
			case fds.wake.FD():
				return ctx.Err()
			case fds.mounts:
				// No need to re-read the file: poll(2) on it re-arms
				// itself once it has reported a change.
				dw.sync()
				signal()
			case fds.inotify:
				sig, err := dw.read()
				if err != nil {
					return err
				}
				if sig {
					signal()
				}
			}
		}
	}
}
