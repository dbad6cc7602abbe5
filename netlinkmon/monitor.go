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
)

// A Monitor watches link events in every network namespace it can find.
type Monitor struct {
	done chan struct{}
	err  error
}

// Start checks privileges, opens the netlink sockets, discovers the
// namespaces present now and reads their links as the baseline, then watches
// in the background until ctx is cancelled. Errors name what is missing.
func Start(ctx context.Context, opts Options) (*Monitor, error) {
	return nil, errors.New("netlinkmon: not implemented")
}

// Snapshot returns a consistent copy of the counters.
func (m *Monitor) Snapshot() Snapshot { return Snapshot{} }

// Wait blocks until the monitor has stopped after its context was cancelled,
// with every goroutine and file descriptor released, and returns the error
// that stopped it, if any other than cancellation.
func (m *Monitor) Wait() error {
	<-m.done
	return m.err
}
