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

package eventfd

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func newWakeup(t *testing.T) *Wakeup {
	t.Helper()
	w, err := NewWakeup()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

// readable reports whether a read of fd would not block now.
func readable(t *testing.T, fd int) bool {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("poll %d: %v", fd, err)
		}
		if fds[0].Revents&unix.POLLNVAL != 0 {
			t.Fatalf("poll %d: not an open descriptor", fd)
		}
		return n > 0 && fds[0].Revents&unix.POLLIN != 0
	}
}

// reuse opens an eventfd that takes the number of the closed descriptor
// fd, as the kernel gives out the lowest free number: the file a late
// wake-up would hit. The caller closes it.
func reuse(t *testing.T, fd int) int {
	t.Helper()
	var others []int
	defer func() {
		for _, o := range others {
			_ = unix.Close(o)
		}
	}()
	for range 64 {
		n, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			t.Fatalf("eventfd: %v", err)
		}
		if n == fd {
			return n
		}
		others = append(others, n)
	}
	t.Fatalf("no new descriptor took the number %d", fd)
	return -1
}

func TestWakeupReadable(t *testing.T) {
	tests := []struct {
		name string
		ops  string // w: Wake, c: Clear
		want bool
	}{
		{"new", "", false},
		{"woken", "w", true},
		{"woken and cleared", "wc", false},
		{"wake-ups merge", "wwwc", false},
		{"cleared while not woken", "c", false},
		{"woken again", "wcw", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWakeup(t)
			for _, op := range tt.ops {
				switch op {
				case 'w':
					w.Wake()
				case 'c':
					w.Clear()
				}
			}
			if got := readable(t, w.FD()); got != tt.want {
				t.Errorf("after %q: readable = %v, want %v", tt.ops, got, tt.want)
			}
		})
	}
}

// Wake ends a wait that blocks in epoll_wait, from another goroutine.
func TestWakeEndsEpollWait(t *testing.T) {
	w := newWakeup(t)
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(epfd)
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(w.FD())}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, w.FD(), &ev); err != nil {
		t.Fatal(err)
	}
	ready := make(chan int32, 1)
	go func() {
		evs := make([]unix.EpollEvent, 1)
		for {
			n, err := unix.EpollWait(epfd, evs, -1)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil || n != 1 {
				ready <- -1
				return
			}
			ready <- evs[0].Fd
			return
		}
	}()
	w.Wake()
	select {
	case fd := <-ready:
		if int(fd) != w.FD() {
			t.Errorf("epoll_wait reported descriptor %d, want the wake-up's %d", fd, w.FD())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("epoll_wait still blocks after Wake")
	}
}

func TestWakeWhenDone(t *testing.T) {
	tests := []struct {
		name       string
		stopFirst  bool
		wantWakeup bool
	}{
		{name: "cancelled, then stopped", wantWakeup: true},
		{name: "stopped, then cancelled", stopFirst: true, wantWakeup: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWakeup(t)
			ctx, cancel := context.WithCancel(t.Context())
			stop := w.WakeWhenDone(ctx)
			if tt.stopFirst {
				stop()
				cancel()
			} else {
				cancel()
				stop()
			}
			// stop has waited for a wake-up that started: none is
			// still on its way.
			if got := readable(t, w.FD()); got != tt.wantWakeup {
				t.Errorf("woken = %v, want %v", got, tt.wantWakeup)
			}
			stop() // a second stop returns at once
		})
	}
}

// After Close, a Wakeup leaves alone the file that takes its number.
func TestWakeupAfterCloseLeavesReusedDescriptorAlone(t *testing.T) {
	w, err := NewWakeup()
	if err != nil {
		t.Fatal(err)
	}
	fd := w.FD()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	reused := reuse(t, fd)
	defer unix.Close(reused)

	w.Wake()
	if readable(t, reused) {
		t.Fatalf("Wake after Close wrote to descriptor %d, which another file took", fd)
	}
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	if _, err := unix.Write(reused, one[:]); err != nil {
		t.Fatal(err)
	}
	w.Clear()
	if !readable(t, reused) {
		t.Errorf("Clear after Close read from descriptor %d, which another file took", fd)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := unix.FcntlInt(uintptr(reused), unix.F_GETFD, 0); err != nil {
		t.Errorf("second Close closed descriptor %d, which another file took: %v", fd, err)
	}
	if got := w.FD(); got != -1 {
		t.Errorf("FD after Close = %d, want -1", got)
	}
}

// A wake-up after cancellation, or any other, racing with the waiter's
// shutdown, never writes to the descriptor once it is closed, or to the
// file that reuses its number. Run with -race: the race detector sees an
// unguarded descriptor too.
func TestWakeupRacingClose(t *testing.T) {
	for range 200 {
		w, err := NewWakeup()
		if err != nil {
			t.Fatal(err)
		}
		fd := w.FD()
		ctx, cancel := context.WithCancel(t.Context())
		stop := w.WakeWhenDone(ctx)

		var wg sync.WaitGroup
		wg.Go(cancel)
		wg.Go(func() {
			for range 20 {
				w.Wake()
			}
		})
		// The waiter's shutdown: stop, then close.
		stop()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		reused := reuse(t, fd)
		wg.Wait()
		if readable(t, reused) {
			t.Fatalf("a wake-up wrote to descriptor %d after Close, into the file that took it", fd)
		}
		_ = unix.Close(reused)
	}
}
