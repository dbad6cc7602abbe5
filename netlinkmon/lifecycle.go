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
	"sync"
	"sync/atomic"
	"time"
)

// loopStall is how long the loop may go without a sign of progress, outside
// the kernel, before the monitor reports itself unhealthy; see "Start, stop
// and health" in the package documentation.
const loopStall = time.Minute

// A phase is where the monitor is in its life.
type phase int

const (
	// reading: the baseline is being read; nothing is counted yet.
	reading phase = iota
	// counting: the baseline is read and events are counted.
	counting
	// stopped: the monitor has stopped, asked to or not.
	stopped
)

// A lifecycle says whether the monitor is ready and whether it is healthy.
// The goroutine that reads the baseline and then runs the loop updates it;
// any goroutine may ask.
type lifecycle struct {
	mu    sync.Mutex
	phase phase
	err   error // why it stopped, if not asked to

	// last is when the loop last showed progress (UnixNano): a turn, or
	// the end of a request to the kernel.
	last atomic.Int64
	// kernel is since when the loop has been waiting for the kernel
	// (UnixNano), or 0 if it is not.
	kernel atomic.Int64
}

func newLifecycle(now time.Time) *lifecycle {
	l := &lifecycle{}
	l.beat(now)
	return l
}

// beat records that the loop made progress.
func (l *lifecycle) beat(now time.Time) { l.last.Store(now.UnixNano()) }

// enterKernel records that the loop waits for the kernel until the returned
// function is called. A link dump waits for the RTNL lock, which the kernel
// may hold for minutes: such a wait is not a stall, since a restarted
// process would wait just as long.
func (l *lifecycle) enterKernel() (leave func()) {
	l.kernel.Store(time.Now().UnixNano())
	return func() {
		// The beat first: whoever sees kernel at 0 sees the new beat.
		l.beat(time.Now())
		l.kernel.Store(0)
	}
}

// setPhase moves to p; err is why the monitor stopped, if it failed.
func (l *lifecycle) setPhase(p phase, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.phase == stopped {
		return
	}
	l.phase, l.err = p, err
}

// ready returns nil once the baseline has been read and while events are
// counted, else why not, on one line.
func (l *lifecycle) ready(now time.Time) error {
	l.mu.Lock()
	p, err := l.phase, l.err
	l.mu.Unlock()
	switch p {
	case counting:
		return nil
	case stopped:
		return stoppedError(err)
	}
	if since := l.kernel.Load(); since != 0 {
		return fmt.Errorf("netlinkmon: reading the baseline: a request has waited %s for the kernel (link dumps wait for its RTNL lock)",
			waited(now, since))
	}
	return errors.New("netlinkmon: reading the baseline")
}

// healthy returns nil unless the loop has stalled outside the kernel for
// longer than loopStall, or the monitor stopped; else why, on one line.
func (l *lifecycle) healthy(now time.Time) error {
	l.mu.Lock()
	p, err := l.phase, l.err
	l.mu.Unlock()
	if p == stopped {
		return stoppedError(err)
	}
	if l.kernel.Load() != 0 {
		return nil
	}
	if d := now.Sub(time.Unix(0, l.last.Load())); d > loopStall {
		return fmt.Errorf("netlinkmon: the loop has made no progress for %s, and is not waiting for the kernel", d.Round(time.Second))
	}
	return nil
}

func stoppedError(err error) error {
	if err != nil {
		return fmt.Errorf("netlinkmon: stopped: %w", err)
	}
	return errors.New("netlinkmon: stopped")
}

// waited is how long since the UnixNano since, in whole seconds once past
// one.
func waited(now time.Time, since int64) time.Duration {
	d := now.Sub(time.Unix(0, since))
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}
