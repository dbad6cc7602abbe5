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
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// A Wakeup is an eventfd that ends an epoll wait. Wake makes it readable,
// Clear makes it unreadable again, and wake-ups in between merge into one.
//
// Wake never writes to a closed descriptor, nor to another file that reuses
// its number once it is closed: it writes under a lock that Close takes too,
// and does nothing after Close. So a wake-up that races with the waiter's
// shutdown (a context cancelled as the waiter returns, say) is harmless.
type Wakeup struct {
	mu sync.Mutex
	// fd is -1 once the Wakeup is closed.
	fd int
}

// NewWakeup opens a Wakeup. The caller adds FD to its epoll set for
// EPOLLIN, and closes the Wakeup when it no longer waits.
func NewWakeup() (*Wakeup, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	return &Wakeup{fd: fd}, nil
}

// FD returns the descriptor to wait on, or -1 once the Wakeup is closed.
func (w *Wakeup) FD() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fd
}

// Wake ends a wait in progress, or the next one. It does nothing once the
// Wakeup is closed.
func (w *Wakeup) Wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd < 0 {
		return
	}
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	// The only error a non-blocking eventfd gives is EAGAIN, at a count
	// of 2^64-2: it is then readable anyway.
	_, _ = unix.Write(w.fd, one[:])
}

// Clear takes back the wake-ups so far, so that the next wait blocks until
// the next Wake. The waiter calls it when its wait reports FD.
func (w *Wakeup) Clear() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd < 0 {
		return
	}
	var b [8]byte
	// EAGAIN says there was nothing to take.
	_, _ = unix.Read(w.fd, b[:])
}

// WakeWhenDone arranges a Wake once ctx is done. The waiter defers stop
// before it closes the Wakeup: stop undoes the arrangement, and if the
// wake-up has started, waits until it has ended, so that no goroutine of
// it outlives the waiter.
func (w *Wakeup) WakeWhenDone(ctx context.Context) (stop func()) {
	woken := make(chan struct{})
	cancel := context.AfterFunc(ctx, func() {
		defer close(woken)
		w.Wake()
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			if !cancel() {
				<-woken
			}
		})
	}
}

// Close closes the descriptor. Wake, Clear and Close do nothing after it.
func (w *Wakeup) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd < 0 {
		return nil
	}
	err := unix.Close(w.fd)
	w.fd = -1
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
